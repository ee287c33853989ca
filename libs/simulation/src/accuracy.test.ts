import {
  estimateLink,
  formatNanosIso,
  NANOS_PER_SECOND,
  Pseudonymiser,
  type UnixNanos,
} from '@message-bus/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { corridorScenario, MORNING_JAM } from './corridor';
import type { TruthLink } from './ground-truth';
import { SightingIndex, scoreEstimator, summariseErrors, type ScoredInterval } from './replay';
import { simulate, type Simulation } from './simulate';

// The accuracy bar of issue 5, on a full simulated day of the built-in corridor at its
// default volume (median ~5 matches per link per 15 min off-peak, 5 % detected) with
// 15 % of traversals stopping or detouring. The estimator runs every 60 s for every
// link, exactly as the worker would call it.
//
// "Truth at intervalEnd" is the travel time of a vehicle reaching the destination at
// intervalEnd (GroundTruth.travelSecondsArrivingAt): the current travel time a user
// asking at that instant wants, and the newest a sample in the window can show.

const DAY_SECONDS = 86_400;
const START: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n; // 2026-11-30T00:00Z
const SEED = 20_261_130;
const MAX_MEDIAN_APE = 0.05;
const ONSET_TOLERANCE = 0.15;
const ONSET_DEADLINE_SECONDS = 300;

let simulation: Simulation;
let scored: ScoredInterval[];

beforeAll(() => {
  const scenario = corridorScenario();
  expect(scenario.stops.share).toBe(0.15);
  simulation = simulate(scenario, { seed: SEED, start: START, durationSeconds: DAY_SECONDS });
  // Stored as the collector stores them: pseudonyms rotating daily at 03:00 UTC, with
  // the overlap that lets trips across the rotation still match.
  const pseudonymiser = new Pseudonymiser({
    masterSecret: new Uint8Array(32).fill(0x5a),
    rotation: { kind: 'daily', utcHour: 3 },
    overlapSeconds: 900,
  });
  const index = new SightingIndex(simulation.sightings, pseudonymiser);
  scored = scoreEstimator({
    index,
    truth: simulation.truth,
    from: START,
    durationSeconds: DAY_SECONDS,
    stepSeconds: 60,
    estimate: (input) => {
      const estimate = estimateLink(input);
      return { seconds: estimate.medianSeconds, validSamples: estimate.validSamples };
    },
  });
}, 120_000);

describe('the estimator on a simulated day of the corridor', () => {
  it('has a median absolute percentage error of at most 5 % on intervals with ≥ 3 valid samples', () => {
    const overall = summariseErrors(scored);
    const perLink = simulation.truth.links.map((link) => {
      const { intervals, medianApe } = summariseErrors(scored.filter((interval) => interval.link === link));
      return `${link.source}→${link.destination} ${percent(medianApe)} over ${intervals}`;
    });
    console.info(
      `median APE ${percent(overall.medianApe)} (p90 ${percent(overall.p90Ape)}, ` +
        `${percent(overall.within10Percent)} within 10 %) over ${overall.intervals} intervals; ` +
        perLink.join('; '),
    );
    // Most of the day has enough data; the bar must not be met by skipping it.
    expect(overall.intervals).toBeGreaterThan(0.4 * scored.length);
    expect(overall.medianApe).toBeLessThanOrEqual(MAX_MEDIAN_APE);
  });

  it('tracks a jam doubling the travel time within 15 % no later than 5 minutes after the truth doubles', () => {
    const jammed = simulation.truth.links.filter((link) => doubledAt(link) !== undefined);
    // The morning jam covers four consecutive links and the skip link across two of them.
    expect(jammed.map((link) => `${link.source}→${link.destination}`)).toEqual([
      'D05→D06',
      'D06→D07',
      'D07→D08',
      'D08→D09',
      'D06→D08',
    ]);
    const byLinkAndTime = new Map(
      scored.map((interval) => [keyOf(interval.link, interval.intervalEnd), interval]),
    );
    const outcomes = jammed.map((link) => {
      const doubled = doubledAt(link) as UnixNanos;
      const deadline = floorToMinute(doubled + BigInt(ONSET_DEADLINE_SECONDS) * NANOS_PER_SECOND);
      const atDeadline = byLinkAndTime.get(keyOf(link, deadline));
      const error = relativeError(atDeadline);
      return {
        link: `${link.source}→${link.destination}`,
        doubledAt: formatNanosIso(doubled).slice(11, 19),
        deadline: formatNanosIso(deadline).slice(11, 16),
        truthSeconds: atDeadline?.truthSeconds,
        estimateSeconds: atDeadline?.estimateSeconds,
        validSamples: atDeadline?.validSamples,
        withinTolerance: error !== undefined && error <= ONSET_TOLERANCE,
        firstWithinTolerance: firstWithinTolerance(link, doubled, byLinkAndTime),
      };
    });
    console.info(`jam onsets: ${JSON.stringify(outcomes)}`);
    expect(outcomes.filter((outcome) => !outcome.withinTolerance)).toEqual([]);
  });
});

/** The first arrival instant at which the link's true travel time is double its free flow, during the morning jam. */
function doubledAt(link: TruthLink): UnixNanos | undefined {
  const jamStart = START + BigInt(MORNING_JAM.startSecondOfDay) * NANOS_PER_SECOND;
  for (let second = 0; second < 3 * 3600; second += 1) {
    const at = jamStart + BigInt(second) * NANOS_PER_SECOND;
    if (simulation.truth.travelSecondsArrivingAt(link, at) >= 2 * link.freeFlowSeconds * (1 - 1e-9))
      return at;
  }
  return undefined;
}

/** When (HH:MM) the estimate first came within tolerance at or after the doubling. */
function firstWithinTolerance(
  link: TruthLink,
  doubled: UnixNanos,
  byLinkAndTime: ReadonlyMap<string, ScoredInterval>,
): string | undefined {
  const minute = 60n * NANOS_PER_SECOND;
  for (let at = floorToMinute(doubled + minute - 1n); at < doubled + 3600n * NANOS_PER_SECOND; at += minute) {
    const error = relativeError(byLinkAndTime.get(keyOf(link, at)));
    if (error !== undefined && error <= ONSET_TOLERANCE) return formatNanosIso(at).slice(11, 16);
  }
  return undefined;
}

function relativeError(interval: ScoredInterval | undefined): number | undefined {
  if (interval?.estimateSeconds === undefined) return undefined;
  return Math.abs(interval.estimateSeconds - interval.truthSeconds) / interval.truthSeconds;
}

function floorToMinute(at: UnixNanos): UnixNanos {
  const minute = 60n * NANOS_PER_SECOND;
  return START + ((at - START) / minute) * minute;
}

function keyOf(link: TruthLink, at: UnixNanos): string {
  return `${link.source}>${link.destination}@${at}`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

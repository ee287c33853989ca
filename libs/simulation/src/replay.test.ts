import {
  NANOS_PER_SECOND,
  Pseudonymiser,
  type DetectorId,
  type RawDeviceId,
  type UnixNanos,
} from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { corridorScenario } from './corridor';
import { groundTruth } from './ground-truth';
import { SightingIndex, scoreEstimator, summariseErrors, type ScoredInterval } from './replay';
import type { SimulatedSighting } from './simulate';

const SECOND = NANOS_PER_SECOND;
/** 2026-11-30T03:00Z, a daily rotation boundary. */
const ROTATION: UnixNanos = BigInt(Date.UTC(2026, 10, 30, 3)) * 1_000_000n;

function seen(detector: string, rawId: string, time: UnixNanos): SimulatedSighting {
  return { detectorId: detector as DetectorId, kind: 'wifi', rawDeviceId: rawId as RawDeviceId, time };
}

describe('SightingIndex', () => {
  const sightings = [
    seen('D02', 'AA:00:00:00:00:01', ROTATION - 100n * SECOND),
    seen('D01', 'AA:00:00:00:00:01', ROTATION - 200n * SECOND),
    seen('D01', 'AA:00:00:00:00:02', ROTATION - 50n * SECOND),
    seen('D01', 'AA:00:00:00:00:03', ROTATION + 10n * SECOND),
  ];

  it("holds each detector's sightings in time order and slices [from, to)", () => {
    const index = new SightingIndex(sightings);
    expect(index.size).toBe(4);
    const atD01 = index.between('D01' as DetectorId, ROTATION - 200n * SECOND, ROTATION + 10n * SECOND);
    expect(atD01.map((sighting) => sighting.deviceId)).toEqual(['AA:00:00:00:00:01', 'AA:00:00:00:00:02']);
    expect(index.between('D09' as DetectorId, 0n, ROTATION)).toEqual([]);
  });

  it('pseudonymises as the collector does, with the previous pseudonym in the overlap after a rotation', () => {
    const pseudonymiser = new Pseudonymiser({
      masterSecret: new Uint8Array(32).fill(1),
      rotation: { kind: 'daily', utcHour: 3 },
      overlapSeconds: 900,
    });
    const index = new SightingIndex(sightings, pseudonymiser);
    const [before, , after] = index.between('D01' as DetectorId, 0n, ROTATION + SECOND * 3600n);
    expect(before?.deviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(before?.previousDeviceId).toBeUndefined();
    expect(after?.previousDeviceId).toBe(
      pseudonymiser.pseudonymsAt('wifi', 'AA:00:00:00:00:03' as RawDeviceId, ROTATION - SECOND).current,
    );
  });

  it("gives the estimator the window, the history, the pass gap and, at the source, the link's maximum", () => {
    const link = groundTruth(corridorScenario()).links[0]!;
    const end = ROTATION;
    const around = (detector: string, secondsBefore: bigint[]) =>
      secondsBefore.map((before) => seen(detector, `AA:00:00:00:01:${before}`, end - before * SECOND));
    // Destination lookback 900 + 1800 + 120 = 2820 s; the source adds maxSeconds (720 s).
    const index = new SightingIndex([
      ...around(link.destination, [2821n, 2820n, 1n, 0n]),
      ...around(link.source, [3541n, 3540n, 1n]),
    ]);
    const input = index.linkInput(link, end);
    expect(link.maxSeconds).toBe(720);
    expect(input.destination.map((sighting) => end - sighting.time)).toEqual([2820n * SECOND, SECOND]);
    expect(input.source.map((sighting) => end - sighting.time)).toEqual([3540n * SECOND, SECOND]);
    expect(input.link).toEqual({ source: 'D01', destination: 'D02', maxSeconds: 720 });
    expect(input.distanceMeters).toBe(link.distanceMeters);
    expect(index.linkInput(link, end, { historySeconds: 0 }).destination).toHaveLength(1);
  });
});

describe('scoreEstimator and summariseErrors', () => {
  it('scores every link at every step against the truth of vehicles arriving then', () => {
    const truth = groundTruth(corridorScenario());
    const from = BigInt(Date.UTC(2026, 10, 30, 7)) * 1_000_000n;
    const scored = scoreEstimator({
      index: new SightingIndex([]),
      truth,
      from,
      durationSeconds: 600,
      stepSeconds: 300,
      estimate: (input) => ({ seconds: 100, validSamples: input.source.length + 3 }),
    });
    expect(scored).toHaveLength(truth.links.length * 2);
    expect(scored[1]?.intervalEnd).toBe(from + 600n * SECOND);
    expect(scored[1]?.truthSeconds).toBe(
      truth.travelSecondsArrivingAt(truth.links[0]!, from + 600n * SECOND),
    );
  });

  it('summarises absolute percentage errors of intervals with enough valid samples', () => {
    const interval = (estimateSeconds: number | undefined, validSamples: number): ScoredInterval => ({
      link: groundTruth(corridorScenario()).links[0]!,
      intervalEnd: 0n,
      truthSeconds: 100,
      estimateSeconds,
      validSamples,
    });
    const summary = summariseErrors([
      interval(100, 3),
      interval(105, 5),
      interval(80, 4),
      interval(200, 2), // too few samples
      interval(undefined, 0),
    ]);
    expect(summary.intervals).toBe(3);
    expect(summary.medianApe).toBeCloseTo(0.05, 12);
    expect(summary.p90Ape).toBeCloseTo(0.17, 12);
    expect(summary.within10Percent).toBeCloseTo(2 / 3, 12);
  });
});

import { describe, expect, it } from 'vitest';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { parseDetectorId } from '../ids/detector-id';
import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import type { Alert } from './alert';
import {
  DEFAULT_CONGESTION_ALERT_RULE,
  judgeCongestion,
  resolveCongestionAlertRule,
} from './alert-congestion';
import { alertId } from './alert-id';
import type { CongestionLevel } from './congestion';
import { withCongestionFigures } from './congestion-figures';
import { parseRouteName } from './route';
import { TimeOfWeekBins } from './time-of-week';
import type { TypicalProfile } from './typical-profile';
import type { TrafficTarget } from './traffic-target';

const a = parseDetectorId('a');
const b = parseDetectorId('b');
const target: TrafficTarget = { kind: 'link', source: a, destination: b };
const MINUTE = 60n * NANOS_PER_SECOND;
const T0: UnixNanos = 1_765_000_000n * NANOS_PER_SECOND;
const rule = DEFAULT_CONGESTION_ALERT_RULE;

function levelOf(ratio: number): CongestionLevel {
  return ratio >= 2.5 ? 'severe' : ratio >= 1.8 ? 'heavy' : ratio >= 1.3 ? 'moderate' : 'free';
}

/** Estimates at minutes 1, 2, ... of the given ratios to a typical 100 s; `undefined`: no profile. */
function estimates(ratios: readonly (number | undefined)[], firstMinute = 1): TravelTimeEstimate[] {
  return ratios.map((ratio, index) => ({
    source: a,
    destination: b,
    intervalEnd: T0 + BigInt(firstMinute + index) * MINUTE,
    windowSeconds: 900,
    medianSeconds: 100 * (ratio ?? 1),
    validSamples: 20,
    totalSamples: 20,
    status: 'ok',
    ...(ratio === undefined ? {} : { typicalSeconds: 100, ratioToTypical: ratio, level: levelOf(ratio) }),
  }));
}

/** Replays a series minute by minute as a worker would: the last 5 estimates and the open alert each time. */
function replay(ratios: readonly (number | undefined)[]): { change: string; alert: Alert }[] {
  const series = estimates(ratios);
  const changes: { change: string; alert: Alert }[] = [];
  let open: Alert | undefined;
  for (let end = 1; end <= series.length; end++) {
    const result = judgeCongestion({
      target,
      recent: series.slice(Math.max(0, end - 5), end),
      ...(open === undefined ? {} : { open }),
      rule,
    });
    if (result === undefined) continue;
    changes.push(result);
    open = result.change === 'cleared' ? undefined : result.alert;
  }
  return changes;
}

describe('judgeCongestion', () => {
  it('raises once 3 of the last 5 intervals reach 1.5× typical, from the first of them', () => {
    const result = judgeCongestion({ target, recent: estimates([1.0, 1.6, 1.2, 1.7, 1.9]), rule });
    const start = T0 + 2n * MINUTE;
    expect(result).toEqual({
      change: 'raised',
      alert: {
        id: alertId('congestion', target, start),
        kind: 'congestion',
        severity: 'warning',
        subject: target,
        start,
        updated: T0 + 5n * MINUTE,
        evidence:
          'Travel time on link a → b is 1.9× typical (190 s against a typical 100 s); 3 of the last 5 intervals at or above 1.5×.',
        figures: {
          congested_intervals: 3,
          window_intervals: 5,
          raise_ratio: 1.5,
          max_ratio_to_typical: 1.9,
          ratio_to_typical: 1.9,
          median_seconds: 190,
          typical_seconds: 100,
        },
      },
    });
  });

  it('does not raise on 2 congested intervals, nor without typical times', () => {
    expect(judgeCongestion({ target, recent: estimates([1.0, 1.6, 1.2, 1.0, 1.9]), rule })).toBeUndefined();
    expect(
      judgeCongestion({ target, recent: estimates([undefined, undefined, undefined]), rule }),
    ).toBeUndefined();
    expect(judgeCongestion({ target, recent: [], rule })).toBeUndefined();
  });

  it('makes one alert of a queue hovering around the threshold, cleared only once traffic is back under 1.3×', () => {
    const changes = replay([
      1.0, 1.6, 1.7, 1.6, 1.4, 1.55, 1.45, 1.35, 1.6, 1.4, 2.6, 1.2, 1.1, 1.35, 1.0, 1.0, 1.0,
    ]);
    expect(changes.map(({ change, alert }) => `${change} ${alert.severity}`)).toEqual([
      'raised info',
      'updated critical',
      'cleared critical',
    ]);
    const ids = new Set(changes.map(({ alert }) => alert.id));
    expect(ids.size).toBe(1);
    const cleared = changes.at(-1)!.alert;
    expect(cleared.start).toBe(T0 + 2n * MINUTE);
    // Cleared when 4 of the last 5 (minutes 12..16) are known to be below 1.3: minute 16.
    expect(cleared.end).toBe(T0 + 16n * MINUTE);
    expect(cleared.evidence).toBe(
      'Congestion on link a → b is over: 4 of the last 5 intervals below 1.3× typical.',
    );
  });

  it('takes thin or unsure estimates as no evidence: they neither raise nor clear', () => {
    const thin = estimates([1.0, 2.0, 2.1, 2.2, 2.3]).map((estimate) => ({ ...estimate, validSamples: 4 }));
    expect(judgeCongestion({ target, recent: thin, rule: { ...rule, minValidSamples: 5 } })).toBeUndefined();
    expect(judgeCongestion({ target, recent: thin, rule })?.change).toBe('raised');
    const unsure = estimates([1.0, 2.0, 2.1, 2.2, 2.3]).map((estimate) => ({
      ...estimate,
      status: 'insufficient_data' as const,
    }));
    expect(judgeCongestion({ target, recent: unsure, rule })).toBeUndefined();
    // Two thin intervals among five: 3 solid congested ones still raise, from the first solid one.
    const mixed = estimates([2.0, 2.0, 2.1, 2.2, 2.3]).map((estimate, index) =>
      index < 2 ? { ...estimate, status: 'insufficient_data' as const, validSamples: 2 } : estimate,
    );
    expect(judgeCongestion({ target, recent: mixed, rule })?.alert.start).toBe(T0 + 3n * MINUTE);

    const open = judgeCongestion({ target, recent: estimates([2.0, 2.0, 2.0]), rule })!.alert;
    // A jam letting hardly any vehicle through: low ratios on 2 samples do not clear it.
    const jammed = estimates([1.0, 1.0, 1.0, 1.0, 1.0], 4).map((estimate) => ({
      ...estimate,
      status: 'insufficient_data' as const,
      validSamples: 2,
    }));
    expect(judgeCongestion({ target, recent: jammed, open, rule })).toBeUndefined();
    // Nor do intervals without samples; 3 solid free intervals of 5 are not yet enough.
    const emptied = estimates([undefined, undefined, 1.0, 1.0, 1.0], 4).map((estimate, index) =>
      index < 2 ? { ...estimate, status: 'no_samples' as const, validSamples: 0 } : estimate,
    );
    expect(judgeCongestion({ target, recent: emptied, open, rule })).toBeUndefined();
    expect(
      judgeCongestion({ target, recent: estimates([1.4, 1.0, 1.2, 1.1, 1.0], 4), open, rule })?.change,
    ).toBe('cleared');
  });

  it('takes an estimate whose valid samples disagree as no evidence: a stop mixed with ordinary trips', () => {
    // p85 at 1.3× p15 or less: the trips of one regime; beyond, a stop beside ordinary trips.
    const spread = (ratios: readonly number[], p85OverP15: number) =>
      estimates(ratios).map((estimate) => ({
        ...estimate,
        p15Seconds: estimate.medianSeconds! / Math.sqrt(p85OverP15),
        p85Seconds: estimate.medianSeconds! * Math.sqrt(p85OverP15),
      }));
    expect(judgeCongestion({ target, recent: spread([1.0, 2.0, 2.1, 2.2, 2.3], 1.25), rule })?.change).toBe(
      'raised',
    );
    expect(
      judgeCongestion({ target, recent: spread([1.0, 2.0, 2.1, 2.2, 2.3], 1.35), rule }),
    ).toBeUndefined();
    // Nor does it clear: disagreeing low intervals leave the alert open.
    const open = judgeCongestion({ target, recent: estimates([2.0, 2.0, 2.0]), rule })!.alert;
    expect(
      judgeCongestion({ target, recent: spread([1.0, 1.0, 1.0, 1.0, 1.0], 1.35), open, rule }),
    ).toBeUndefined();
    expect(
      judgeCongestion({ target, recent: spread([1.0, 1.0, 1.0, 1.0, 1.0], 1.25), open, rule })?.change,
    ).toBe('cleared');
  });

  it("takes a route's sum of links with 2 agreeing samples on every link as evidence, not a link's", () => {
    const route: TrafficTarget = { kind: 'route', route: parseRouteName('north') };
    const thin = (validSamples: number, routeMethod?: 'sum_of_links' | 'matched') =>
      estimates([1.0, 2.0, 2.1, 2.2, 2.3]).map((estimate) => ({
        ...estimate,
        status: 'insufficient_data' as const,
        validSamples,
        ...(routeMethod === undefined ? {} : { route: route.route, routeMethod }),
      }));
    expect(judgeCongestion({ target: route, recent: thin(2, 'sum_of_links'), rule })?.change).toBe('raised');
    expect(judgeCongestion({ target: route, recent: thin(1, 'sum_of_links'), rule })).toBeUndefined();
    expect(judgeCongestion({ target: route, recent: thin(2, 'matched'), rule })).toBeUndefined();
    expect(judgeCongestion({ target, recent: thin(2), rule })).toBeUndefined();
    // A stale link makes the sum stale: that says nothing either way.
    const stale = thin(2, 'sum_of_links').map((estimate) => ({ ...estimate, status: 'stale' as const }));
    expect(judgeCongestion({ target: route, recent: stale, rule })).toBeUndefined();
  });

  it('gives the same change for the same estimates, in any order', () => {
    const recent = estimates([1.0, 1.6, 1.2, 1.7, 1.9]);
    expect(judgeCongestion({ target, recent: [...recent].reverse(), rule })).toEqual(
      judgeCongestion({ target, recent, rule }),
    );
  });

  it('judges only the newest windowIntervals estimates', () => {
    const recent = estimates([2, 2, 2, 1, 1, 1, 1, 1]);
    expect(judgeCongestion({ target, recent, rule })).toBeUndefined();
  });

  it('takes its thresholds from the rule and refuses a rule that cannot work', () => {
    const strict = resolveCongestionAlertRule({
      windowIntervals: 3,
      raiseIntervals: 3,
      raiseRatio: 2,
      clearRatio: 1.5,
    });
    expect(judgeCongestion({ target, recent: estimates([1.9, 2.1, 2.2]), rule: strict })).toBeUndefined();
    expect(judgeCongestion({ target, recent: estimates([2.0, 2.1, 2.2]), rule: strict })?.change).toBe(
      'raised',
    );
    expect(() => resolveCongestionAlertRule({ raiseIntervals: 6 })).toThrow(
      new RangeError('CongestionAlertRule.raiseIntervals must be a whole number from 1 to 5, got 6'),
    );
    expect(() => resolveCongestionAlertRule({ clearIntervals: 3 })).toThrow('clearIntervals');
    expect(() => resolveCongestionAlertRule({ minValidSamples: 0 })).toThrow(
      new RangeError('CongestionAlertRule.minValidSamples must be a whole number from 1 to 1000000, got 0'),
    );
    expect(() => resolveCongestionAlertRule({ raiseRatio: 1.2 })).toThrow(
      new RangeError('CongestionAlertRule.raiseRatio must be at least clearRatio (1.3), got 1.2'),
    );
  });
});

describe('judgeCongestion against a typical profile', () => {
  // A quarter-hour boundary (UTC bins); the profile's bin before it is 100 s.
  const STEP = T0 - (T0 % (15n * MINUTE)) + 15n * MINUTE;
  const bins = new TimeOfWeekBins('UTC', 15);
  const profileOf = (beforeSeconds: number, afterSeconds: number): TypicalProfile => {
    const bin = (time: UnixNanos, medianSeconds: number) => ({
      ...bins.binAt(time),
      medianSeconds,
      p15Seconds: medianSeconds,
      p85Seconds: medianSeconds,
      samples: 40,
    });
    return {
      target,
      computedAt: T0,
      weeks: 4,
      binMinutes: 15,
      timeZone: 'UTC',
      bins: [bin(STEP - MINUTE, beforeSeconds), bin(STEP, afterSeconds)],
    };
  };
  /** Minutes −10 … +20 around STEP; the estimator reads 190 s from 3 minutes after it. */
  const series = Array.from({ length: 31 }, (_, index): TravelTimeEstimate => {
    const intervalEnd = STEP + BigInt(index - 10) * MINUTE;
    return {
      source: a,
      destination: b,
      intervalEnd,
      windowSeconds: 900,
      medianSeconds: intervalEnd >= STEP + 3n * MINUTE ? 190 : 100,
      validSamples: 6,
      totalSamples: 6,
      status: 'ok',
    };
  });
  const raised = (profile: TypicalProfile) => {
    const judged = series.map((estimate) => withCongestionFigures(estimate, profile));
    let open: Alert | undefined;
    return judged.flatMap((_, index) => {
      const recent = judged.slice(Math.max(0, index - 4), index + 1);
      const change = judgeCongestion({ target, recent, rule, ...(open === undefined ? {} : { open }) });
      if (change !== undefined) open = change.change === 'cleared' ? undefined : change.alert;
      return change?.change === 'raised'
        ? [{ start: change.alert.start, judgedAt: judged[index]!.intervalEnd }]
        : [];
    });
  };

  it('raises nothing on a rush hour’s steep onset that the profile shows', () => {
    // Typical 100 s, then 190 s from STEP: the window's middle lies in the quiet bin
    // until 7.5 minutes after STEP, but the window already reaches the busy one.
    expect(raised(profileOf(100, 190))).toEqual([]);
  });

  it('raises one alert on the same slowdown against a flat profile, on its third slow interval', () => {
    expect(raised(profileOf(100, 100))).toEqual([
      { start: STEP + 3n * MINUTE, judgedAt: STEP + 5n * MINUTE },
    ]);
  });
});

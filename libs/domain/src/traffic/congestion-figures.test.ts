import { describe, expect, it } from 'vitest';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { parseDetectorId } from '../ids/detector-id';
import { NANOS_PER_SECOND } from '../time';
import { ValidationError } from '../validation-error';
import {
  DEFAULT_CONGESTION_THRESHOLDS,
  congestionFigures,
  levelOf,
  resolveCongestionThresholds,
  withCongestionFigures,
} from './congestion-figures';
import { TimeOfWeekBins } from './time-of-week';
import type { TypicalProfile } from './typical-profile';

const A = parseDetectorId('a');
const B = parseDetectorId('b');
/** Monday 2026-01-05 08:00 UTC = 09:00 in Warsaw. */
const EIGHT_UTC = BigInt(Date.parse('2026-01-05T08:00:00Z')) * 1_000_000n;

const PROFILE: TypicalProfile = {
  target: { kind: 'link', source: A, destination: B },
  computedAt: EIGHT_UTC,
  weeks: 4,
  binMinutes: 15,
  timeZone: 'Europe/Warsaw',
  freeFlowSeconds: 80,
  bins: [
    { dayOfWeek: 1, minuteOfDay: 540, medianSeconds: 100, p15Seconds: 90, p85Seconds: 120, samples: 40 },
    { dayOfWeek: 1, minuteOfDay: 555, medianSeconds: 200, p15Seconds: 180, p85Seconds: 260, samples: 40 },
  ],
};

function estimate(intervalEndAfterEight: number, medianSeconds?: number): TravelTimeEstimate {
  return {
    source: A,
    destination: B,
    intervalEnd: EIGHT_UTC + BigInt(intervalEndAfterEight) * NANOS_PER_SECOND,
    windowSeconds: 900,
    validSamples: 5,
    totalSamples: 5,
    status: medianSeconds === undefined ? 'no_samples' : 'ok',
    ...(medianSeconds === undefined ? {} : { medianSeconds }),
  };
}

describe('levelOf', () => {
  it('starts each level at its threshold', () => {
    expect([1, 1.29, 1.3, 1.59, 1.6, 1.99, 2, 5].map((ratio) => levelOf(ratio))).toEqual([
      'free',
      'free',
      'moderate',
      'moderate',
      'heavy',
      'heavy',
      'severe',
      'severe',
    ]);
    expect(levelOf(1.2, { moderate: 1.1, heavy: 1.5, severe: 3 })).toBe('moderate');
  });
});

describe('resolveCongestionThresholds', () => {
  it('fills in the defaults and refuses thresholds that are not increasing and above 1', () => {
    expect(resolveCongestionThresholds()).toEqual(DEFAULT_CONGESTION_THRESHOLDS);
    expect(resolveCongestionThresholds({ severe: 3 })).toEqual({ moderate: 1.3, heavy: 1.6, severe: 3 });
    expect(() => resolveCongestionThresholds({ moderate: 1 })).toThrow(
      new ValidationError('out_of_range', 'moderate', 'is 1; it must be greater than 1'),
    );
    expect(() => resolveCongestionThresholds({ heavy: 1.2 })).toThrow(
      new ValidationError('out_of_range', 'heavy', 'is 1.2; it must be greater than moderate (1.3)'),
    );
    expect(() => resolveCongestionThresholds({ severe: Number.NaN })).toThrow('severe');
  });
});

describe('congestionFigures', () => {
  it('compares the median with the busiest bin its window touches, in the profile’s zone, and with free flow', () => {
    // Window [08:00, 08:15) UTC = [09:00, 09:15) Warsaw: bin 09:00 only, typical 100.
    expect(congestionFigures(estimate(900, 170), PROFILE)).toEqual({
      typicalSeconds: 100,
      freeFlowSeconds: 80,
      ratioToTypical: 1.7,
      ratioToFreeFlow: 2.125,
      level: 'heavy',
    });
    // A minute later the window reaches into bin 09:15 (typical 200): a rush hour's
    // steep onset that the profile shows is not congestion, though the window's
    // middle (09:08:30) still lies in the quiet bin. A reused TimeOfWeekBins gives the same.
    const bins = new TimeOfWeekBins('Europe/Warsaw', 15);
    expect(congestionFigures(estimate(960, 170), PROFILE, { bins })).toMatchObject({
      typicalSeconds: 200,
      ratioToTypical: 0.85,
      level: 'free',
    });
    // On the way down too: [09:25, 09:40) touches bin 09:15 and a gap; the bin counts.
    expect(congestionFigures(estimate(2400, 170), PROFILE)).toMatchObject({ typicalSeconds: 200 });
  });

  it('leaves out what it cannot compute: no bin over the window, no median', () => {
    expect(congestionFigures(estimate(3600, 170), PROFILE)).toEqual({
      freeFlowSeconds: 80,
      ratioToFreeFlow: 2.125,
    });
    expect(congestionFigures(estimate(900), PROFILE)).toEqual({ typicalSeconds: 100, freeFlowSeconds: 80 });
  });

  it('replaces the figures an estimate had', () => {
    const stale = {
      ...estimate(3600, 170),
      typicalSeconds: 1,
      ratioToTypical: 170,
      level: 'severe' as const,
    };
    expect(withCongestionFigures(stale, PROFILE)).toEqual({
      ...estimate(3600, 170),
      freeFlowSeconds: 80,
      ratioToFreeFlow: 2.125,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { parseDetectorId } from '../ids/detector-id';
import type { EstimateStatus, TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import type { TrafficTarget } from './traffic-target';
import { buildTypicalProfile, typicalBinAt, typicalHistorySeconds } from './typical-profile-builder';

const MINUTE = 60n * NANOS_PER_SECOND;
const DAY = 1440n * MINUTE;
const WEEK = 7n * DAY;
const A = parseDetectorId('a');
const B = parseDetectorId('b');
const LINK: TrafficTarget = { kind: 'link', source: A, destination: B };
/** Monday 2026-01-05 00:00 UTC. */
const MONDAY = BigInt(Date.parse('2026-01-05T00:00:00Z')) * 1_000_000n;
/** Four weeks after: the profile covers the four Mondays from MONDAY on. */
const NOW = MONDAY + 4n * WEEK;

/** An estimate whose window (900 s) is centred on `middle`. */
function estimate(
  middle: UnixNanos,
  medianSeconds: number | undefined,
  status: EstimateStatus = 'ok',
): TravelTimeEstimate {
  return {
    source: A,
    destination: B,
    intervalEnd: middle + 450n * NANOS_PER_SECOND,
    windowSeconds: 900,
    validSamples: 10,
    totalSamples: 10,
    status,
    ...(medianSeconds === undefined ? {} : { medianSeconds }),
  };
}

describe('buildTypicalProfile', () => {
  it('takes per bin the median over weeks of each week’s median, so one odd week does not move it', () => {
    const estimates: TravelTimeEstimate[] = [];
    // Monday 08:00–08:15 of each week: weeks 0..2 near 100 s, the holiday week (3) at 400 s.
    const perWeek = [[100, 102, 98], [101, 99], [100], [400, 410, 420]];
    perWeek.forEach((medians, week) =>
      medians.forEach((seconds, index) =>
        estimates.push(
          estimate(MONDAY + BigInt(week) * WEEK + 480n * MINUTE + BigInt(index) * MINUTE, seconds),
        ),
      ),
    );
    const profile = buildTypicalProfile(LINK, estimates, { now: NOW });

    expect(profile).toMatchObject({
      target: LINK,
      computedAt: NOW,
      weeks: 4,
      binMinutes: 15,
      timeZone: 'UTC',
    });
    expect(profile.bins).toHaveLength(1);
    const bin = profile.bins[0]!;
    // Week medians 100, 100, 100, 410: their median is 100.
    expect(bin).toMatchObject({ dayOfWeek: 1, minuteOfDay: 480, medianSeconds: 100, samples: 9 });
    // Over the nine estimates 98, 99, 100, 100, 101, 102, 400, 410, 420 (type 7).
    expect(bin.p15Seconds).toBeCloseTo(99 + 0.2 * 1, 9);
    expect(bin.p85Seconds).toBeCloseTo(400 + 0.8 * 10, 9);
    // 10th percentile of the nine: between 98 and 99.
    expect(profile.freeFlowSeconds).toBeCloseTo(98.8, 9);
  });

  it('bins by local time, counts only ok and insufficient estimates with a median, and leaves gaps out', () => {
    const morning = MONDAY + 7n * 60n * MINUTE; // 07:00 UTC, 08:00 in Warsaw
    const profile = buildTypicalProfile(
      LINK,
      [
        estimate(morning, 200),
        estimate(morning + 15n * MINUTE, 210, 'insufficient_data'),
        estimate(morning + 30n * MINUTE, 999, 'stale'),
        estimate(morning + 45n * MINUTE, undefined, 'no_samples'),
        // Outside the period: before it, and at now.
        estimate(NOW - 5n * WEEK, 1),
        estimate(NOW, 1),
      ],
      { now: NOW, timeZone: 'Europe/Warsaw' },
    );

    expect(profile.timeZone).toBe('Europe/Warsaw');
    expect(profile.bins).toEqual([
      { dayOfWeek: 1, minuteOfDay: 480, medianSeconds: 200, p15Seconds: 200, p85Seconds: 200, samples: 1 },
      { dayOfWeek: 1, minuteOfDay: 495, medianSeconds: 210, p15Seconds: 210, p85Seconds: 210, samples: 1 },
    ]);
    expect(typicalBinAt(profile, morning + 20n * MINUTE)?.medianSeconds).toBe(210);
    expect(typicalBinAt(profile, morning + 40n * MINUTE)).toBeUndefined();
  });

  it('leaves out bins with fewer than minBinSamples estimates, still counting them for free flow', () => {
    const eight = MONDAY + 480n * MINUTE;
    const estimates = [
      ...[100, 101, 102].map((seconds, index) => estimate(eight + BigInt(index) * MINUTE, seconds)),
      ...[90, 91].map((seconds, index) => estimate(eight + 15n * MINUTE + BigInt(index) * MINUTE, seconds)),
    ];
    const profile = buildTypicalProfile(LINK, estimates, { now: NOW, minBinSamples: 3 });
    expect(profile.bins).toEqual([
      {
        dayOfWeek: 1,
        minuteOfDay: 480,
        medianSeconds: 101,
        p15Seconds: 100.3,
        p85Seconds: 101.7,
        samples: 3,
      },
    ]);
    // 10th percentile of 90, 91, 100, 101, 102.
    expect(profile.freeFlowSeconds).toBeCloseTo(90.4, 9);
    expect(() => buildTypicalProfile(LINK, estimates, { now: NOW, minBinSamples: 0 })).toThrow(
      'minBinSamples',
    );
  });

  it('measures the history from the earliest estimate it would count', () => {
    const estimates = [
      estimate(NOW - DAY, 100),
      estimate(NOW - 2n * DAY, 100, 'stale'),
      estimate(NOW - 3n * DAY, undefined, 'no_samples'),
      estimate(NOW - 5n * WEEK, 100),
      estimate(NOW - 60n * MINUTE, 100, 'insufficient_data'),
    ];
    expect(typicalHistorySeconds(estimates, NOW)).toBe(86_400);
    expect(typicalHistorySeconds(estimates.slice(1), NOW)).toBe(3600);
    expect(typicalHistorySeconds(estimates.slice(4), NOW - 60n * MINUTE)).toBe(0);
    // Five weeks back only counts with five weeks of profile.
    expect(typicalHistorySeconds(estimates, NOW, 6)).toBe(5 * 7 * 86_400);
  });

  it('has no bins and no free-flow time without data', () => {
    const profile = buildTypicalProfile(LINK, [], { now: NOW, weeks: 2 });
    expect(profile).toEqual({
      target: LINK,
      computedAt: NOW,
      weeks: 2,
      binMinutes: 15,
      timeZone: 'UTC',
      bins: [],
    });
    expect(() => buildTypicalProfile(LINK, [], { now: NOW, weeks: 0 })).toThrow('weeks');
  });
});

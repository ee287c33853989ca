import { secondsToNanos } from '../duration';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { median, percentileOfSorted, sortedAscending } from '../estimator/percentiles';
import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import { ValidationError } from '../validation-error';
import { DEFAULT_BIN_MINUTES, DEFAULT_TIME_ZONE, TimeOfWeekBins } from './time-of-week';
import type { TrafficTarget } from './traffic-target';
import type { TypicalBin, TypicalProfile } from './typical-profile';

export const DEFAULT_PROFILE_WEEKS = 4;
/** The free-flow time is this percentile of the period's estimate medians. */
export const FREE_FLOW_PERCENTILE = 0.1;

const WEEK_NANOS = 7n * 86_400n * NANOS_PER_SECOND;

/**
 * A profile is worth storing once its target's counted estimates span at least a day:
 * from the first minutes of a new link, "typical" would be whatever traffic it started
 * with, and every later hour would be compared with it.
 */
export const MIN_TYPICAL_HISTORY_SECONDS = 86_400;

/**
 * A bin needs this many estimates to be typical: a third of a 15-minute bin's minute
 * estimates, so one odd window (or a gap in the data) does not make a bin on its own.
 */
export const MIN_TYPICAL_BIN_SAMPLES = 5;

export interface TypicalProfileOptions {
  /** The profile is computed at `now` from estimates in [now − weeks × 7 days, now). */
  readonly now: UnixNanos;
  /** Weeks of estimates; e.g. 4 (the default). */
  readonly weeks?: number;
  /** IANA zone of the bins, e.g. `Europe/Warsaw`; default `UTC`. */
  readonly timeZone?: string;
  /** Width of a bin; e.g. 15 (the default). Must divide a day. */
  readonly binMinutes?: number;
  /** A `TimeOfWeekBins` of the same zone and width to reuse (its formatter is costly to build). */
  readonly bins?: TimeOfWeekBins;
  /** Bins with fewer counted estimates are left out; e.g. `MIN_TYPICAL_BIN_SAMPLES`; default 1. */
  readonly minBinSamples?: number;
}

/**
 * The typical travel time of a link or route by time of week, from its estimates
 * (any order; other targets' estimates must not be mixed in). Choices:
 *
 * - Only `ok` and `insufficient_data` estimates with a median count: a stale or empty
 *   window says nothing about the traffic then.
 * - An estimate falls in the bin of the middle of its window (intervalEnd − window / 2),
 *   in the profile's zone, and in week k = ⌊(now − that instant) / 7 days⌋ counted back
 *   from `now`.
 * - Robust to an odd week (a public holiday, an accident, roadworks): per week and bin the
 *   median of that week's estimate medians, then the bin's `medianSeconds` is the median
 *   over the weeks. p15/p85 are taken over every estimate median in the bin (the spread
 *   a user sees at that time of week) and `samples` counts those estimates.
 * - Gaps are simply absent: a bin without estimates in any week has no entry, nor one
 *   with fewer than `minBinSamples`.
 * - `freeFlowSeconds` is the 10th percentile of every counted estimate median in the
 *   period: traffic at its quickest, without letting the single fastest window decide.
 */
export function buildTypicalProfile(
  target: TrafficTarget,
  estimates: readonly TravelTimeEstimate[],
  options: TypicalProfileOptions,
): TypicalProfile {
  const weeks = options.weeks ?? DEFAULT_PROFILE_WEEKS;
  if (!Number.isInteger(weeks) || weeks < 1) {
    throw new ValidationError('out_of_range', 'weeks', `is ${weeks}; it must be a whole number ≥ 1`);
  }
  const bins =
    options.bins ??
    new TimeOfWeekBins(options.timeZone ?? DEFAULT_TIME_ZONE, options.binMinutes ?? DEFAULT_BIN_MINUTES);
  const { now } = options;
  const minBinSamples = options.minBinSamples ?? 1;
  if (!Number.isInteger(minBinSamples) || minBinSamples < 1) {
    throw new ValidationError(
      'out_of_range',
      'minBinSamples',
      `is ${minBinSamples}; it must be a whole number ≥ 1`,
    );
  }
  const periodStart = now - BigInt(weeks) * WEEK_NANOS;
  /** Per bin key: the week's medians by week index. */
  const byBin = new Map<number, { readonly all: number[]; readonly byWeek: Map<bigint, number[]> }>();
  const every: number[] = [];
  for (const estimate of estimates) {
    const seconds = estimate.medianSeconds;
    if (seconds === undefined || !counted(estimate)) continue;
    const at = windowMiddle(estimate);
    if (at < periodStart || at >= now) continue;
    const { dayOfWeek, minuteOfDay } = bins.binAt(at);
    const key = dayOfWeek * 1440 + minuteOfDay;
    let bin = byBin.get(key);
    if (bin === undefined) byBin.set(key, (bin = { all: [], byWeek: new Map() }));
    const week = (now - at - 1n) / WEEK_NANOS;
    const ofWeek = bin.byWeek.get(week);
    if (ofWeek === undefined) bin.byWeek.set(week, [seconds]);
    else ofWeek.push(seconds);
    bin.all.push(seconds);
    every.push(seconds);
  }
  const typicalBins: TypicalBin[] = [...byBin.entries()]
    .filter(([, bin]) => bin.all.length >= minBinSamples)
    .sort(([a], [b]) => a - b)
    .map(([key, bin]) => {
      const sorted = sortedAscending(bin.all);
      return {
        dayOfWeek: Math.floor(key / 1440),
        minuteOfDay: key % 1440,
        medianSeconds: median([...bin.byWeek.values()].map((ofWeek) => median(ofWeek) as number)) as number,
        p15Seconds: percentileOfSorted(sorted, 0.15) as number,
        p85Seconds: percentileOfSorted(sorted, 0.85) as number,
        samples: sorted.length,
      };
    });
  const freeFlowSeconds = percentileOfSorted(sortedAscending(every), FREE_FLOW_PERCENTILE);
  return {
    target,
    computedAt: now,
    weeks,
    binMinutes: bins.binMinutes,
    timeZone: bins.timeZone,
    ...(freeFlowSeconds === undefined ? {} : { freeFlowSeconds }),
    bins: typicalBins,
  };
}

/**
 * How long before `now` the target's history starts: from the earliest estimate
 * `buildTypicalProfile` would count (within `weeks` before `now`), in seconds; 0 without one.
 */
export function typicalHistorySeconds(
  estimates: readonly TravelTimeEstimate[],
  now: UnixNanos,
  weeks: number = DEFAULT_PROFILE_WEEKS,
): number {
  const periodStart = now - BigInt(weeks) * WEEK_NANOS;
  let earliest: UnixNanos | undefined;
  for (const estimate of estimates) {
    if (estimate.medianSeconds === undefined || !counted(estimate)) continue;
    const at = windowMiddle(estimate);
    if (at >= periodStart && at < now && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest === undefined ? 0 : Number(now - earliest) / Number(NANOS_PER_SECOND);
}

/** A stale or empty window says nothing about the traffic then. */
function counted(estimate: TravelTimeEstimate): boolean {
  return estimate.status === 'ok' || estimate.status === 'insufficient_data';
}

/** The instant an estimate stands for: the middle of its window. */
export function windowMiddle(estimate: Pick<TravelTimeEstimate, 'intervalEnd' | 'windowSeconds'>): UnixNanos {
  return estimate.intervalEnd - secondsToNanos(estimate.windowSeconds / 2);
}

/** The profile's bin at `time`, or undefined when it has none there. */
export function typicalBinAt(
  profile: TypicalProfile,
  time: UnixNanos,
  bins: TimeOfWeekBins = new TimeOfWeekBins(profile.timeZone, profile.binMinutes),
): TypicalBin | undefined {
  const { dayOfWeek, minuteOfDay } = bins.binAt(time);
  return findBin(profile.bins, dayOfWeek, minuteOfDay);
}

/** Binary search over bins sorted by day then minute. */
function findBin(
  bins: readonly TypicalBin[],
  dayOfWeek: number,
  minuteOfDay: number,
): TypicalBin | undefined {
  const key = dayOfWeek * 1440 + minuteOfDay;
  let low = 0;
  let high = bins.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const bin = bins[middle] as TypicalBin;
    const at = bin.dayOfWeek * 1440 + bin.minuteOfDay;
    if (at === key) return bin;
    if (at < key) low = middle + 1;
    else high = middle;
  }
  return undefined;
}

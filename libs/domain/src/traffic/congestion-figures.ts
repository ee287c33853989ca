import { secondsToNanos } from '../duration';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import { ValidationError } from '../validation-error';
import type { CongestionFigures, CongestionLevel } from './congestion';
import { TimeOfWeekBins } from './time-of-week';
import { typicalBinAt } from './typical-profile-builder';
import type { TypicalProfile } from './typical-profile';

/**
 * Where each level starts, as the ratio of the travel time to the typical one at that
 * time of week: below `moderate` it is `free`, from `severe` on `severe`.
 */
export interface CongestionThresholds {
  readonly moderate: number;
  readonly heavy: number;
  readonly severe: number;
}

/** 30 % over typical is noticeable, 60 % a jam, twice the typical time severe. */
export const DEFAULT_CONGESTION_THRESHOLDS: CongestionThresholds = Object.freeze({
  moderate: 1.3,
  heavy: 1.6,
  severe: 2.0,
});

/** The defaults overlaid with `overrides`, checked: finite, > 1 and increasing. Errors name the field. */
export function resolveCongestionThresholds(
  overrides: Partial<CongestionThresholds> = {},
): CongestionThresholds {
  const thresholds: CongestionThresholds = {
    moderate: overrides.moderate ?? DEFAULT_CONGESTION_THRESHOLDS.moderate,
    heavy: overrides.heavy ?? DEFAULT_CONGESTION_THRESHOLDS.heavy,
    severe: overrides.severe ?? DEFAULT_CONGESTION_THRESHOLDS.severe,
  };
  let below = 1;
  let belowName = '1';
  for (const field of ['moderate', 'heavy', 'severe'] as const) {
    const value = thresholds[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ValidationError('not_finite', field, `is ${String(value)}; expected a finite ratio`);
    }
    if (value <= below) {
      throw new ValidationError('out_of_range', field, `is ${value}; it must be greater than ${belowName}`);
    }
    below = value;
    belowName = `${field} (${value})`;
  }
  return thresholds;
}

/** The level of a travel time `ratioToTypical` times the typical one. */
export function levelOf(
  ratioToTypical: number,
  thresholds: CongestionThresholds = DEFAULT_CONGESTION_THRESHOLDS,
): CongestionLevel {
  if (ratioToTypical >= thresholds.severe) return 'severe';
  if (ratioToTypical >= thresholds.heavy) return 'heavy';
  if (ratioToTypical >= thresholds.moderate) return 'moderate';
  return 'free';
}

export interface CongestionOptions {
  readonly thresholds?: CongestionThresholds;
  /** Reused when it matches the profile's zone and bin width (a formatter is costly to build). */
  readonly bins?: TimeOfWeekBins;
}

/**
 * How `estimate` compares with `profile`: the typical time over its window (`typicalOverWindow`);
 * the profile's free-flow time; the ratios of the estimate's median to both; and the
 * level from the ratio to typical. A figure is absent when what it needs is: no bin over
 * the window (a gap in the profile), no free-flow time, or no median in the estimate.
 */
export function congestionFigures(
  estimate: TravelTimeEstimate,
  profile: TypicalProfile,
  options: CongestionOptions = {},
): CongestionFigures {
  const bins =
    options.bins !== undefined &&
    options.bins.timeZone === profile.timeZone &&
    options.bins.binMinutes === profile.binMinutes
      ? options.bins
      : new TimeOfWeekBins(profile.timeZone, profile.binMinutes);
  const typicalSeconds = typicalOverWindow(estimate, profile, bins);
  const { freeFlowSeconds } = profile;
  const seconds = estimate.medianSeconds;
  const figures: { -readonly [K in keyof CongestionFigures]: CongestionFigures[K] } = {};
  if (typicalSeconds !== undefined) figures.typicalSeconds = typicalSeconds;
  if (freeFlowSeconds !== undefined) figures.freeFlowSeconds = freeFlowSeconds;
  if (seconds !== undefined && typicalSeconds !== undefined && typicalSeconds > 0) {
    figures.ratioToTypical = seconds / typicalSeconds;
    figures.level = levelOf(figures.ratioToTypical, options.thresholds);
  }
  if (seconds !== undefined && freeFlowSeconds !== undefined && freeFlowSeconds > 0) {
    figures.ratioToFreeFlow = seconds / freeFlowSeconds;
  }
  return figures;
}

/**
 * The highest typical time among the profile's bins that the estimate's window
 * [intervalEnd − window, intervalEnd) touches, in the profile's zone; undefined when it
 * touches none. Not the bin of the window's middle: the estimator follows the newest
 * trips of its window, so at a rush hour's steep onset the estimate is already at the
 * next bin's level while the middle's bin is still the quiet one (a replay of the
 * products bench's plan read 193 s against a middle bin of 100 s, the next one 191 s:
 * 1.9× typical, a false alert). The highest bin never calls a ramp that the
 * profile shows congestion, on the way up or down; a real slowdown at a bin edge is
 * judged against the busier bin a few minutes early, at worst.
 */
export function typicalOverWindow(
  estimate: Pick<TravelTimeEstimate, 'intervalEnd' | 'windowSeconds'>,
  profile: TypicalProfile,
  bins: TimeOfWeekBins = new TimeOfWeekBins(profile.timeZone, profile.binMinutes),
): number | undefined {
  const end = estimate.intervalEnd;
  const binNanos = BigInt(profile.binMinutes) * 60n * NANOS_PER_SECOND;
  let highest: number | undefined;
  const consider = (time: UnixNanos) => {
    const seconds = typicalBinAt(profile, time, bins)?.medianSeconds;
    if (seconds !== undefined && (highest === undefined || seconds > highest)) highest = seconds;
  };
  for (let time = end - secondsToNanos(estimate.windowSeconds); time < end; time += binNanos) consider(time);
  consider(end - 1n);
  return highest;
}

/** `estimate` with its congestion figures against `profile` (replacing any it had). */
export function withCongestionFigures(
  estimate: TravelTimeEstimate,
  profile: TypicalProfile,
  options: CongestionOptions = {},
): TravelTimeEstimate {
  const {
    typicalSeconds: _typical,
    freeFlowSeconds: _freeFlow,
    ratioToTypical: _ratioToTypical,
    ratioToFreeFlow: _ratioToFreeFlow,
    level: _level,
    ...bare
  } = estimate;
  return { ...bare, ...congestionFigures(estimate, profile, options) };
}

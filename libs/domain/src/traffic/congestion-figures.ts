import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { ValidationError } from '../validation-error';
import type { CongestionFigures, CongestionLevel } from './congestion';
import { TimeOfWeekBins } from './time-of-week';
import { typicalBinAt, windowMiddle } from './typical-profile-builder';
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
 * How `estimate` compares with `profile`: the typical time of the bin its window's middle
 * (intervalEnd − window / 2) falls in, in the profile's zone; the profile's free-flow
 * time; the ratios of the estimate's median to both; and the level from the ratio to
 * typical. A figure is absent when what it needs is: no bin at that time of week (a gap
 * in the profile), no free-flow time, or no median in the estimate.
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
  const typicalSeconds = typicalBinAt(profile, windowMiddle(estimate), bins)?.medianSeconds;
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

import { ValidationError } from '../validation-error';

/**
 * Which instants of the two passes a travel time spans. `middle-middle` (the default)
 * runs from the middle of the device's pass at the source (halfway between its first and
 * last sighting) to the middle of its pass at the destination: where readers spread a
 * few reads over a pass, the middle is the closest estimate of when the device passed,
 * and on short links with overlapping ranges it has the least error (the benchmark:
 * tools/bench, "measure" rows). `first-first` runs from first sighting to first
 * sighting: a device lingering in the destination's range does not move it.
 * `last-first` runs from the last sighting at the source to the first at the
 * destination, so time spent dwelling in the source's range for reasons that are not the
 * link's (a bus stop, a car park exit) is not counted; it reads short by part of a pass
 * otherwise.
 */
export type TravelTimeMeasure = 'middle-middle' | 'first-first' | 'last-first';

export const TRAVEL_TIME_MEASURES: readonly TravelTimeMeasure[] = [
  'middle-middle',
  'first-first',
  'last-first',
];

/** How the estimator turns sightings into a link's travel time. All durations in seconds. */
export interface EstimatorConfig {
  /**
   * Sightings of one device at one detector with gaps shorter than this form one pass,
   * e.g. 120: a car queueing at a signal for 90 s stays one pass.
   */
  readonly passGapSeconds: number;
  /** Which instant of each pass a travel time is measured from and to, e.g. `'middle-middle'`. */
  readonly measure: TravelTimeMeasure;
  /**
   * The estimate describes samples whose destination time is in
   * [intervalEnd − windowSeconds, intervalEnd), e.g. 900 (a trailing 15 minutes).
   */
  readonly windowSeconds: number;
  /**
   * Extra lookback before the window, e.g. 1800: its samples give the outlier filter
   * the recent history of the link, so the window's first samples are judged in context.
   */
  readonly historySeconds: number;
  /** A sample is an outlier beyond k scaled MADs of the recent samples, e.g. 3. */
  readonly outlierK: number;
  /** Fewer valid samples make the estimate `insufficient_data` (its values are still given), e.g. 3. */
  readonly minValidSamples: number;
  /** No valid sample for this long before intervalEnd makes the estimate `stale`, e.g. 900. */
  readonly staleAfterSeconds: number;
  /**
   * No vehicle covers a link faster than this, in km/h, e.g. 130: with the link's
   * length it gives the shortest plausible trip, and faster samples (overlapping reader
   * ranges, a clock jump) are rejected. A link's own `minSeconds` takes precedence.
   */
  readonly maxSpeedKmh: number;
}

export const DEFAULT_ESTIMATOR_CONFIG: EstimatorConfig = Object.freeze({
  passGapSeconds: 120,
  measure: 'middle-middle',
  windowSeconds: 900,
  historySeconds: 1800,
  outlierK: 3,
  minValidSamples: 3,
  staleAfterSeconds: 900,
  maxSpeedKmh: 130,
});

/**
 * The defaults overlaid with `overrides`, every field checked: durations finite and
 * positive (history may be 0), k positive, minValidSamples a whole number ≥ 1, measure
 * one of `TRAVEL_TIME_MEASURES`. Errors name the field.
 */
export function resolveEstimatorConfig(overrides: Partial<EstimatorConfig> = {}): EstimatorConfig {
  const config: EstimatorConfig = { ...DEFAULT_ESTIMATOR_CONFIG, ...definedFields(overrides) };
  positive(config.passGapSeconds, 'passGapSeconds');
  positive(config.windowSeconds, 'windowSeconds');
  finite(config.historySeconds, 'historySeconds');
  if (config.historySeconds < 0) {
    throw new ValidationError(
      'out_of_range',
      'historySeconds',
      `is ${config.historySeconds}; it must be ≥ 0`,
    );
  }
  positive(config.outlierK, 'outlierK');
  positive(config.staleAfterSeconds, 'staleAfterSeconds');
  positive(config.maxSpeedKmh, 'maxSpeedKmh');
  finite(config.minValidSamples, 'minValidSamples');
  if (!Number.isInteger(config.minValidSamples) || config.minValidSamples < 1) {
    throw new ValidationError(
      Number.isInteger(config.minValidSamples) ? 'out_of_range' : 'not_integer',
      'minValidSamples',
      `is ${config.minValidSamples}; it must be a whole number ≥ 1`,
    );
  }
  if (!TRAVEL_TIME_MEASURES.includes(config.measure)) {
    throw new ValidationError(
      'unknown_value',
      'measure',
      `is ${JSON.stringify(config.measure)}; expected ${TRAVEL_TIME_MEASURES.map((measure) => `'${measure}'`).join(', ')}`,
    );
  }
  return config;
}

/** `{ outlierK: undefined }` keeps the default rather than erasing it. */
function definedFields(overrides: Partial<EstimatorConfig>): Partial<EstimatorConfig> {
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}

function finite(value: number, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError('not_finite', field, `is ${String(value)}; expected a finite number`);
  }
}

function positive(value: number, field: string): void {
  finite(value, field);
  if (value <= 0) throw new ValidationError('out_of_range', field, `is ${value}; it must be > 0`);
}

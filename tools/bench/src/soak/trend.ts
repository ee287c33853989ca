import { median } from '../measure';

/** A sampled series' shape: how it ended up compared with how it went. */
export interface Trend {
  /** Samples in the series. */
  readonly samples: number;
  readonly median: number;
  readonly max: number;
  /** `max ÷ median`: 1 is perfectly steady; a spike shows as a large ratio. */
  readonly maxOverMedian: number;
  /** Least-squares slope over the second half of the run, in the series' unit per minute. */
  readonly secondHalfSlopePerMinute: number;
  /** How much that slope adds over the second half, as a fraction of the median: 0.1 is 10 % growth. */
  readonly secondHalfGrowth: number;
}

export interface TimedValue {
  /** Seconds since the run started. */
  readonly seconds: number;
  readonly value: number;
}

/**
 * Median, maximum and the trend of the second half of a run: the first half holds the
 * warm-up (JIT, caches, buffers growing to their working size), so a leak or a
 * backlog shows as a slope in the second half.
 */
export function trendOf(series: readonly TimedValue[]): Trend {
  if (series.length < 2) throw new Error(`a trend needs at least 2 samples, got ${series.length}`);
  const values = series.map((sample) => sample.value);
  const middle = median(values);
  const max = Math.max(...values);
  const start = series[0]!.seconds;
  const end = series[series.length - 1]!.seconds;
  const secondHalf = series.filter((sample) => sample.seconds >= start + (end - start) / 2);
  const slopePerSecond = secondHalf.length >= 2 ? leastSquaresSlope(secondHalf) : 0;
  const secondHalfSeconds =
    secondHalf.length >= 2 ? secondHalf[secondHalf.length - 1]!.seconds - secondHalf[0]!.seconds : 0;
  return {
    samples: series.length,
    median: middle,
    max,
    maxOverMedian: middle === 0 ? (max === 0 ? 1 : Infinity) : max / middle,
    secondHalfSlopePerMinute: slopePerSecond * 60,
    secondHalfGrowth: middle === 0 ? 0 : (slopePerSecond * secondHalfSeconds) / middle,
  };
}

/** The slope of the least-squares line through the points, per second. */
export function leastSquaresSlope(points: readonly TimedValue[]): number {
  const count = points.length;
  const meanX = points.reduce((sum, point) => sum + point.seconds, 0) / count;
  const meanY = points.reduce((sum, point) => sum + point.value, 0) / count;
  let covariance = 0;
  let variance = 0;
  for (const { seconds, value } of points) {
    covariance += (seconds - meanX) * (value - meanY);
    variance += (seconds - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/**
 * The lowest value of each window of `windowSeconds`, timed at the window's start: the
 * floor a garbage-collected heap returns to. Collections make memory a sawtooth whose
 * peaks come and go; a leak raises the floor, so that is the series to judge.
 */
export function floorsOf(series: readonly TimedValue[], windowSeconds: number): TimedValue[] {
  if (!(windowSeconds > 0)) throw new RangeError(`windowSeconds must be positive, got ${windowSeconds}`);
  const first = series[0];
  if (first === undefined) return [];
  const floors: TimedValue[] = [];
  for (const sample of series) {
    const windowStart =
      first.seconds + Math.floor((sample.seconds - first.seconds) / windowSeconds) * windowSeconds;
    const current = floors[floors.length - 1];
    if (current === undefined || current.seconds !== windowStart)
      floors.push({ seconds: windowStart, value: sample.value });
    else if (sample.value < current.value)
      floors[floors.length - 1] = { seconds: windowStart, value: sample.value };
  }
  return floors;
}

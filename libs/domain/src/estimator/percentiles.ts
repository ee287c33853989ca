/**
 * The `fraction` quantile (0..1) of values sorted ascending, by linear interpolation
 * between the closest ranks: rank h = (n − 1) × fraction, result x[⌊h⌋] + (h − ⌊h⌋) ×
 * (x[⌊h⌋ + 1] − x[⌊h⌋]). This is Hyndman & Fan's type 7, the default of R, NumPy and
 * spreadsheet PERCENTILE.INC, so published figures can be reproduced. Undefined for
 * no values.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, fraction: number): number | undefined {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`fraction must be within 0..1, got ${fraction}`);
  }
  if (sorted.length === 0) return undefined;
  const rank = (sorted.length - 1) * fraction;
  const below = Math.floor(rank);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (rank - below) * (upper - lower);
}

/** The `fraction` quantile (0..1) of values in any order; see `percentileOfSorted`. */
export function percentile(values: ArrayLike<number>, fraction: number): number | undefined {
  return percentileOfSorted(sortedAscending(values), fraction);
}

/** The median (the 0.5 quantile) of values in any order; undefined for none. */
export function median(values: ArrayLike<number>): number | undefined {
  return percentileOfSorted(sortedAscending(values), 0.5);
}

/** The arithmetic mean; undefined for no values. */
export function mean(values: ArrayLike<number>): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (let index = 0; index < values.length; index += 1) sum += values[index] as number;
  return sum / values.length;
}

/**
 * A sorted copy. A Float64Array sorts numerically without a comparator callback (an
 * array's default sort compares numbers as text), several times faster on the
 * estimator's hot path.
 */
export function sortedAscending(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

import { median } from './percentiles';

/**
 * The halves of a window disagree when their medians differ by more than 15 % of the
 * older one's: more than sampling noise of a few trips (vehicles spread by about
 * 5–10 %), less than a building jam moves in ten minutes.
 */
const TREND_RELATIVE_DIFFERENCE = 0.15;
/** Each half needs at least 2 samples for its median to mean anything. */
const MIN_HALF_SAMPLES = 2;

/**
 * The newest part of a window's valid travel times (in time order) that agrees with
 * itself: while the newer half's median differs from the older half's by more than
 * 15 %, the older half is dropped. During a gradual change (a jam building over a
 * quarter of an hour) the whole window's median lags by half the window; the newest
 * consistent part does not. In steady traffic the halves agree and every sample
 * counts. Halving keeps the cost at O(n log n).
 */
export function newestConsistentSamples(travelSeconds: readonly number[]): readonly number[] {
  let from = 0;
  while (travelSeconds.length - from >= 2 * MIN_HALF_SAMPLES) {
    const split = from + Math.floor((travelSeconds.length - from) / 2);
    const older = median(travelSeconds.slice(from, split)) as number;
    const newer = median(travelSeconds.slice(split)) as number;
    if (Math.abs(newer - older) <= TREND_RELATIVE_DIFFERENCE * older) break;
    from = split;
  }
  return from === 0 ? travelSeconds : travelSeconds.slice(from);
}

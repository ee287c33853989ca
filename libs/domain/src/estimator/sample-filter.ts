import { median, percentileOfSorted, sortedAscending } from './percentiles';

/** Which samples of a link passed the filter, and where the current traffic regime begins. */
export interface FilteredTravelTimes {
  /** `accepted[i]` is whether travel time i is valid. */
  readonly accepted: readonly boolean[];
  /**
   * Index of the first sample of the latest regime change, when one was detected:
   * older samples describe traffic that no longer exists, so estimates start here.
   */
  readonly regimeStart?: number;
}

/** Consistency constant: 1.4826 × MAD estimates the standard deviation of normal data. */
export const MAD_SCALE = 1.4826;

/** The band comes from at most this many most recent accepted samples. */
const REFERENCE_SIZE = 15;
/** Below this many reference samples MAD is unreliable (0 for one sample) and is not used. */
const MIN_REFERENCE_FOR_MAD = 5;
/**
 * With 1–4 reference samples a sample is near when within ±50 % of their median: wide
 * enough for real spread, narrow enough that one stray reference sample is outvoted;
 * their spread is taken as 10 %, typical of free-flowing traffic.
 */
const FEW_SAMPLES_RELATIVE_HALF_WIDTH = 0.5;
const FEW_SAMPLES_RELATIVE_SPREAD = 0.1;
/**
 * The scaled MAD is floored at 5 % of the median and at 1 s: identical or very few
 * distinct travel times (whole-second detector clocks) would otherwise give a zero-width
 * band that rejects every ordinary sample.
 */
const MIN_RELATIVE_SPREAD = 0.05;
const MIN_SPREAD_SECONDS = 1;
/**
 * Outliers are one-sided: a stop, a detour or a device carried by a pedestrian makes a
 * trip longer, while nothing makes one much shorter than driving it (only clock skew
 * or a mismatch can). So the fast side accepts twice as far from the median as the
 * slow side.
 */
const FAST_SIDE_FACTOR = 2;
/**
 * Consecutive far samples that agree with each other reveal a new regime. 2 suffice
 * when faster (nothing but a real change makes fast samples agree) or slower by a
 * factor traffic plausibly reaches (up to 2.5×: a jam doubling a link's travel time
 * must show within minutes on thin data). Slower still takes 3, since on a short link
 * a stop of minutes multiplies the travel time and two such trips in a row can look
 * alike. A false slow regime (stops in a row) is undone by the next two ordinary trips.
 */
const REGIME_SAMPLES = 2;
const REGIME_SAMPLES_BEYOND_TRAFFIC = 3;
const MAX_TRAFFIC_FACTOR = 2.5;
/** The agreeing samples are sought among the latest (up to) 5 far ones, so a stray stop does not hide them. */
const REGIME_LOOKBACK = 5;
/**
 * Far samples agree when within ±2 spreads of their own median (the spread of recent
 * traffic, relative), at most ±25 %: vehicles in one regime agree about that closely,
 * stops of random length rarely do.
 */
const REGIME_AGREEMENT_SPREADS = 2;
const REGIME_MAX_RELATIVE_TOLERANCE = 0.25;

/**
 * Robust, adaptive outlier filter for one link's travel times, given in destination-time
 * order (O(n): the reference has a bounded size).
 *
 * Each sample x is judged against the median m and the spread s (1.4826 × MAD, floored,
 * see above) of the 15 most recent accepted samples: it is valid when
 * m − 2ks ≤ x ≤ m + ks, k = `outlierK` (asymmetric, see FAST_SIDE_FACTOR). With 1–4
 * accepted samples the band is x ≤ 1.5 m instead, and the very first sample is accepted
 * as it is: on thin data a wrong start is cheaper to undo (below) than to wait for.
 *
 * Genuine changes are followed, not rejected: a sample outside m ± ks (m ± 50 % with
 * few samples) is "far"; when the latest consecutive far samples (up to 5) include 2
 * that agree with each other (3 when beyond 2.5 m), or slow ones rising in order like a
 * building queue (`buildingQueue`), traffic has changed: they become valid, the
 * reference restarts from them, and `regimeStart` marks the first of them.
 * A near sample ends a run of far ones, so isolated stops never move the reference.
 */
export function filterTravelTimes(travelSeconds: readonly number[], outlierK: number): FilteredTravelTimes {
  if (!Number.isFinite(outlierK) || outlierK <= 0) {
    throw new RangeError(`outlierK must be a finite number > 0, got ${outlierK}`);
  }
  const accepted = travelSeconds.map(() => false);
  let reference: number[] = [];
  let farRun: number[] = [];
  let regimeStart: number | undefined;
  travelSeconds.forEach((value, index) => {
    if (reference.length === 0) {
      accepted[index] = true;
      reference = [value];
      return;
    }
    const { center, spread, halfWidth } = bandOf(reference, outlierK);
    if (value <= center + halfWidth && value >= center - FAST_SIDE_FACTOR * halfWidth) {
      accepted[index] = true;
      reference.push(value);
      if (reference.length > REFERENCE_SIZE) reference.shift();
    }
    if (Math.abs(value - center) <= halfWidth) {
      farRun = [];
      return;
    }
    farRun.push(index);
    const tolerance = Math.min((REGIME_AGREEMENT_SPREADS * spread) / center, REGIME_MAX_RELATIVE_TOLERANCE);
    const candidates = farRun.slice(-REGIME_LOOKBACK);
    const newRegime =
      agreeingSamples(candidates, travelSeconds, tolerance, center) ??
      buildingQueue(candidates, travelSeconds, tolerance, center);
    if (newRegime === undefined) return;
    for (const member of newRegime) accepted[member] = true;
    reference = newRegime.map((member) => travelSeconds[member] as number);
    regimeStart = newRegime[0];
    farRun = [];
  });
  return regimeStart === undefined ? { accepted } : { accepted, regimeStart };
}

interface Band {
  readonly center: number;
  /** How much recent travel times vary, in seconds. */
  readonly spread: number;
  /** How far from the center a sample is still near. */
  readonly halfWidth: number;
}

function bandOf(reference: readonly number[], outlierK: number): Band {
  const sorted = sortedAscending(reference);
  const center = percentileOfSorted(sorted, 0.5) as number;
  if (reference.length < MIN_REFERENCE_FOR_MAD) {
    return {
      center,
      spread: FEW_SAMPLES_RELATIVE_SPREAD * center,
      halfWidth: FEW_SAMPLES_RELATIVE_HALF_WIDTH * center,
    };
  }
  const deviations = sorted.map((value) => Math.abs(value - center)).sort();
  const spread = Math.max(
    MAD_SCALE * (percentileOfSorted(deviations, 0.5) as number),
    MIN_RELATIVE_SPREAD * center,
    MIN_SPREAD_SECONDS,
  );
  return { center, spread, halfWidth: outlierK * spread };
}

/**
 * The slow `candidates` that agree within ±`REGIME_MAX_RELATIVE_TOLERANCE` (25 %) and
 * arrived in a building order, none faster than the one before by more than
 * `steadyTolerance` (what steady traffic varies), when there are enough of them (see
 * REGIME_SAMPLES): a queue's first trips. While a jam builds, each trip through it takes
 * longer than the one before, by far more than steady traffic varies (139, 169, 176 s on
 * a 53 s link of the products plan), so the ±2 spreads that traffic agrees within kept
 * such a jam waiting for a fourth trip, 9 minutes later. Stops in a row have random
 * lengths and rarely rise in order (700, 1100, 900 s is no queue). Congestion lab
 * (`node tools/bench/run.mjs products --lab`): median alert delay 14.3 → 13.5 minutes,
 * the same right and wrong alerts.
 */
function buildingQueue(
  candidates: readonly number[],
  travelSeconds: readonly number[],
  steadyTolerance: number,
  currentCenter: number,
): number[] | undefined {
  const members = agreeingSamples(candidates, travelSeconds, REGIME_MAX_RELATIVE_TOLERANCE, currentCenter);
  if (members === undefined) return undefined;
  const values = members.map((member) => travelSeconds[member] as number);
  const slow = values.every((value) => value > currentCenter);
  const building = values.every(
    (value, position) => position === 0 || value >= (values[position - 1] as number) * (1 - steadyTolerance),
  );
  return slow && building ? members : undefined;
}

/**
 * The members (indices, in order) of `candidates` within ±relativeTolerance of the
 * candidates' median, when there are enough of them to reveal a new regime (see
 * REGIME_SAMPLES).
 */
function agreeingSamples(
  candidates: readonly number[],
  travelSeconds: readonly number[],
  relativeTolerance: number,
  currentCenter: number,
): number[] | undefined {
  if (candidates.length < REGIME_SAMPLES) return undefined;
  const values = candidates.map((index) => travelSeconds[index] as number);
  const center = median(values) as number;
  const tolerance = relativeTolerance * center;
  const members = candidates.filter(
    (_, position) => Math.abs((values[position] as number) - center) <= tolerance,
  );
  const needed = center > MAX_TRAFFIC_FACTOR * currentCenter ? REGIME_SAMPLES_BEYOND_TRAFFIC : REGIME_SAMPLES;
  return members.length >= needed ? members : undefined;
}

import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';

export interface ClockSkewJudgement {
  /** The estimated offset in seconds, positive when the detector's clock runs ahead. */
  readonly offsetSeconds: number;
  /** The median excess over typical of the links into the detector and out of it, seconds. */
  readonly inExcessSeconds: number;
  readonly outExcessSeconds: number;
  readonly linksIn: number;
  readonly linksOut: number;
}

/** The smaller side of a skew must be at least this share of the larger (see `estimateClockSkew`). */
const MIN_SIDE_RATIO = 0.5;

/**
 * A detector's clock offset, from how its links' travel times differ from typical.
 *
 * A detector whose clock runs δ seconds ahead stamps every sighting δ late: every trip
 * into it looks δ longer and every trip out of it δ shorter, at all hours (free flow at
 * night too), by the same δ on both sides. Congestion is different: an incident
 * lengthens the links upstream of it (its queue spreads back), on one side of a detector
 * first, and never shortens the other side by as much. So for each link with enough `ok`
 * estimates carrying a typical time in the window, its excess is the median of
 * (median − typical) over them; a skew is judged only when
 * - both sides are measured, every link in points one way and every link out the other;
 * - the two sides are of similar size: the median excess of the smaller side at least
 *   half that of the larger (an incident's +90 s in against a −5 s out is no skew);
 * and δ is the size of the smaller side, signed as the links in (what both sides agree
 * on: a skew under congestion is not overstated). Otherwise undefined (no judgment).
 *
 * `linksIn` and `linksOut` hold each link's estimates of the window; a link needs at least
 * `minEstimatesPerLink` usable ones (the caller picks e.g. half the window's intervals),
 * so a skew must be sustained over most of the window to be seen; a drifting clock is
 * seen once the median of its offset over the window passes the threshold.
 *
 * Limitations: a detector needs links both in and out (one at the end of a corridor has
 * none out, and no skew is ever judged there); a skew during congestion on its links is
 * not judged (an open alert clears); typical profiles are built from past estimates, so
 * a skew that has lasted through the profile's weeks is part of "typical" and no longer
 * shows. The sightings carry no arrival time at the collector (the store keeps the
 * detector's time only), so the skew cannot be read directly from upload delays.
 */
export function estimateClockSkew(
  linksIn: readonly (readonly TravelTimeEstimate[])[],
  linksOut: readonly (readonly TravelTimeEstimate[])[],
  minEstimatesPerLink: number,
): ClockSkewJudgement | undefined {
  const excesses = (links: readonly (readonly TravelTimeEstimate[])[]) =>
    links.flatMap((estimates) => {
      const excess = estimates.flatMap((estimate) =>
        estimate.status === 'ok' &&
        estimate.medianSeconds !== undefined &&
        estimate.typicalSeconds !== undefined
          ? [estimate.medianSeconds - estimate.typicalSeconds]
          : [],
      );
      return excess.length >= Math.max(1, minEstimatesPerLink) ? [median(excess)] : [];
    });
  const inExcess = excesses(linksIn);
  const outExcess = excesses(linksOut);
  if (inExcess.length === 0 || outExcess.length === 0) return undefined;
  const inSign = Math.sign(inExcess[0]!);
  if (inSign === 0 || !inExcess.every((excess) => Math.sign(excess) === inSign)) return undefined;
  if (!outExcess.every((excess) => Math.sign(excess) === -inSign)) return undefined;
  const inExcessSeconds = median(inExcess);
  const outExcessSeconds = median(outExcess);
  const smaller = Math.min(Math.abs(inExcessSeconds), Math.abs(outExcessSeconds));
  const larger = Math.max(Math.abs(inExcessSeconds), Math.abs(outExcessSeconds));
  if (smaller < MIN_SIDE_RATIO * larger) return undefined;
  return {
    offsetSeconds: inSign * smaller,
    inExcessSeconds,
    outExcessSeconds,
    linksIn: inExcess.length,
    linksOut: outExcess.length,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

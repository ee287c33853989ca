import type { TravelSample } from '../estimator/pass-matching';
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
 * Each trip's excess over the link's typical time when it arrived, in seconds: `samples`
 * are the link's matched trips (before any filter), `estimates` its estimates around
 * them, whose `typicalSeconds` say what was typical; a trip takes the typical of the
 * first estimate whose interval ends after its arrival (the one whose window holds it).
 * Trips without a typical then are left out.
 *
 * Unfiltered trips, because the estimator's filter is what hides a skew: a clock running
 * 30 s ahead makes a 75 s link out of it look like 45 s, faster than any car may drive,
 * so the estimator rejects those trips and its estimates never show the link short.
 */
export function tripExcesses(
  samples: readonly TravelSample[],
  estimates: readonly TravelTimeEstimate[],
): number[] {
  const typical = estimates
    .filter((estimate) => estimate.typicalSeconds !== undefined)
    .sort((a, b) => (a.intervalEnd < b.intervalEnd ? -1 : a.intervalEnd > b.intervalEnd ? 1 : 0));
  const excesses: number[] = [];
  let next = 0;
  for (const sample of [...samples].sort((a, b) =>
    a.destinationTime < b.destinationTime ? -1 : a.destinationTime > b.destinationTime ? 1 : 0,
  )) {
    while (next < typical.length && typical[next]!.intervalEnd <= sample.destinationTime) next += 1;
    const estimate = typical[next];
    if (estimate !== undefined) excesses.push(sample.travelSeconds - estimate.typicalSeconds!);
  }
  return excesses;
}

/**
 * A detector's clock offset, from how the trips on its links differ from typical.
 *
 * A detector whose clock runs δ seconds ahead stamps every sighting δ late: every trip
 * into it looks δ longer and every trip out of it δ shorter, at all hours (free flow at
 * night too), by the same δ on both sides. Congestion is different: an incident
 * lengthens the links upstream of it (its queue spreads back), on one side of a detector
 * first, and never shortens the other side by as much. So for each link with at least
 * `minTripsPerLink` trips in the window, its excess is the median of its trips' excesses
 * over typical (`tripExcesses`); a skew is judged only when
 * - both sides are measured, every link in points one way and every link out the other;
 * - the two sides are of similar size: the median excess of the smaller side at least
 *   half that of the larger (an incident's +90 s in against a −5 s out is no skew);
 * and δ is the size of the smaller side, signed as the links in (what both sides agree
 * on: a skew under congestion is not overstated). Otherwise undefined (no judgment).
 *
 * The median over the window is the offset at about its middle, so a drifting clock is
 * seen once the offset half a window ago passes the threshold. Trips with a stop on the
 * way are in the window too; they are a minority and the median keeps them from counting.
 *
 * Limitations: a detector needs links both in and out (one at the end of a corridor has
 * none out, and no skew is ever judged there); a skew during congestion on its links is
 * not judged (an open alert clears); typical profiles are built from past estimates, so
 * a skew that has lasted through the profile's weeks is part of "typical" and no longer
 * shows; a quiet road (fewer trips than `minTripsPerLink` in the window, at night) is not
 * judged. The sightings carry no arrival time at the collector (the store keeps the
 * detector's time only), so the skew cannot be read directly from upload delays.
 */
export function estimateClockSkew(
  linksIn: readonly (readonly number[])[],
  linksOut: readonly (readonly number[])[],
  minTripsPerLink: number,
): ClockSkewJudgement | undefined {
  const excesses = (links: readonly (readonly number[])[]) =>
    links.flatMap((trips) => (trips.length >= Math.max(1, minTripsPerLink) ? [median(trips)] : []));
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

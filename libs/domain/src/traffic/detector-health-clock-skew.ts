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

/**
 * A detector's clock offset, from how its links' travel times differ from typical.
 *
 * A detector whose clock runs δ seconds ahead stamps every sighting δ late: trips into it
 * look δ longer and trips out of it δ shorter, while congestion lengthens both. So for
 * each link with enough `ok` estimates carrying a typical time in the window, its excess
 * is the median of (median − typical) over them; then with E_in the median excess of its
 * links in and E_out of its links out, δ = (E_in − E_out) / 2. Only a systematic shift
 * counts: both sides must be measured and their excesses must have opposite signs (in
 * longer and out shorter, or the reverse); otherwise undefined (no judgment).
 *
 * `linksIn` and `linksOut` hold each link's estimates of the window; a link needs at least
 * `minEstimatesPerLink` usable ones (the caller picks e.g. half the window's intervals),
 * so a skew must be sustained over most of the window to be seen.
 *
 * Limitation: typical profiles are built from past estimates, so a skew that has lasted
 * through the profile's weeks is part of "typical" and no longer shows.
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
  const inExcessSeconds = median(inExcess);
  const outExcessSeconds = median(outExcess);
  if (Math.sign(inExcessSeconds) * Math.sign(outExcessSeconds) !== -1) return undefined;
  return {
    offsetSeconds: (inExcessSeconds - outExcessSeconds) / 2,
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

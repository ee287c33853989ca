import { secondsToNanos, nanosToSeconds } from '../duration';
import type { TravelTimeMeasure } from './estimator-config';
import { identitiesOf, type Pass } from './passes';
import type { UnixNanos } from '../time';

/** One device's trip over a link: a matched pair of passes. */
export interface TravelSample {
  /** The destination pass's deviceId (the device's newest pseudonym). */
  readonly deviceId: string;
  /**
   * The source pass's last sighting (`last-first`), first sighting (`first-first`) or
   * middle (`middle-middle`); first where the other would not be in order (see `timed`).
   */
  readonly sourceTime: UnixNanos;
  /** The destination pass's first sighting; samples are ordered and windowed by it. */
  readonly destinationTime: UnixNanos;
  readonly travelSeconds: number;
}

export interface MatchOptions {
  /** The link's max_seconds: longer trips are not samples of this link. */
  readonly maxSeconds: number;
  readonly measure: TravelTimeMeasure;
}

/**
 * Pairs the passes of one link's source and destination detectors into travel samples,
 * sorted by destination time then deviceId. Passes match when they share an identity
 * (deviceId or alias), so a trip across a pseudonym rotation still matches.
 *
 * Each destination pass, taken in time order, is paired with the device's LATEST
 * source pass that began before it, and that source pass is then consumed: a later
 * destination pass whose latest earlier source pass is the same one yields nothing,
 * rather than falling back to an older source pass. So a device lingering near the
 * destination (two destination passes) gives one sample, a device passing the source
 * twice gives one sample from its second pass, and a detour gives one long sample that
 * the filter judges. The pair is consumed even when its travel time exceeds maxSeconds.
 * A pair whose chosen instants are not in order is timed first-first (see `timed`), so
 * every pair's time is > 0.
 *
 * A sample's travel time is > 0 and ≤ maxSeconds. Cost: O((S + D) log S) for S source
 * and D destination passes.
 */
export function matchPasses(
  source: readonly Pass[],
  destination: readonly Pass[],
  options: MatchOptions,
): TravelSample[] {
  const { maxSeconds, measure } = options;
  if (!Number.isFinite(maxSeconds) || maxSeconds <= 0) {
    throw new RangeError(`maxSeconds must be a finite number > 0, got ${maxSeconds}`);
  }
  const maxNanos = secondsToNanos(maxSeconds);
  const sourcesInOrder = [...source].sort(byFirst);
  const sourcesOfIdentity = new Map<string, number[]>();
  sourcesInOrder.forEach((pass, order) => {
    for (const identity of identitiesOf(pass)) {
      const orders = sourcesOfIdentity.get(identity);
      if (orders === undefined) sourcesOfIdentity.set(identity, [order]);
      else orders.push(order);
    }
  });
  const consumed = new Set<number>();
  const samples: TravelSample[] = [];
  for (const arrival of [...destination].sort(byFirstThenDevice)) {
    let latest = -1;
    for (const identity of identitiesOf(arrival)) {
      const orders = sourcesOfIdentity.get(identity);
      if (orders !== undefined)
        latest = Math.max(latest, latestBefore(orders, sourcesInOrder, arrival.first));
    }
    if (latest < 0 || consumed.has(latest)) continue;
    consumed.add(latest);
    const departure = sourcesInOrder[latest] as Pass;
    const { sourceTime, travelNanos } = timed(departure, arrival, measure);
    if (travelNanos > maxNanos) continue;
    samples.push({
      deviceId: arrival.deviceId,
      sourceTime,
      destinationTime: arrival.first,
      travelSeconds: nanosToSeconds(travelNanos),
    });
  }
  return samples;
}

/**
 * The instants a pair's travel time spans: from the source pass's first sighting, last
 * sighting or middle, to the destination pass's first sighting or middle (see
 * `TravelTimeMeasure`). Always > 0, since the source pass began before the destination
 * pass (`latestBefore`):
 * - `last-first` when the destination saw the device at or before its last source
 *   sighting (reader ranges that overlap: on a short urban link the device is in both
 *   ranges at once): the last source sighting then marks no departure, and last-first
 *   would give zero or a negative time. That pair is timed first-first, unbiased when
 *   both readers spread their reads over a pass alike; clamping to a tiny positive time
 *   would add samples the minimum travel time must then throw away.
 * - `middle-middle` when the middles are not in order (a long lingering at the source
 *   around a short pass at the destination): first-first too, for the same reason.
 */
function timed(
  departure: Pass,
  arrival: Pass,
  measure: TravelTimeMeasure,
): { readonly sourceTime: UnixNanos; readonly travelNanos: bigint } {
  if (measure === 'middle-middle') {
    const sourceTime = middleOf(departure);
    const travelNanos = middleOf(arrival) - sourceTime;
    if (travelNanos > 0n) return { sourceTime, travelNanos };
  } else if (measure === 'last-first' && arrival.first > departure.last) {
    return { sourceTime: departure.last, travelNanos: arrival.first - departure.last };
  }
  return { sourceTime: departure.first, travelNanos: arrival.first - departure.first };
}

/** The instant halfway between a pass's first and last sighting (to the nanosecond, rounded down). */
function middleOf(pass: Pass): UnixNanos {
  return (pass.first + pass.last) / 2n;
}

/**
 * The largest order in `orders` (ascending positions in `passes`, sorted by first)
 * whose pass began before `time`, or −1. Binary search.
 */
function latestBefore(orders: readonly number[], passes: readonly Pass[], time: UnixNanos): number {
  let low = 0;
  let high = orders.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((passes[orders[middle] as number] as Pass).first < time) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? -1 : (orders[low - 1] as number);
}

function byFirst(a: Pass, b: Pass): number {
  return a.first < b.first ? -1 : a.first > b.first ? 1 : 0;
}

function byFirstThenDevice(a: Pass, b: Pass): number {
  return byFirst(a, b) || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0);
}

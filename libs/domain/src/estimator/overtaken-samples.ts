import type { TravelSample } from './pass-matching';
import type { UnixNanos } from '../time';

/**
 * How clearly a trip must have been overtaken to count as a stop: another vehicle left
 * the source at least this share of the slow trip's travel time after it and reached the
 * destination that much before it. Vehicles spread by 5–10 % and pass times are read to
 * within seconds, so ordinary traffic never overtakes by a fifth of a trip.
 */
const OVERTAKE_RELATIVE_MARGIN = 0.2;
/** And by at least this many seconds, so short links' pass-time noise is never a stop. */
const MIN_OVERTAKE_SECONDS = 10;

/**
 * The samples (in destination-time order) without those clearly overtaken (see
 * OVERTAKE_RELATIVE_MARGIN): a trip that a later vehicle overtook stopped or detoured on
 * the way, since queued traffic keeps its order. Such trips say nothing about the road,
 * and three of them in a row on a long link agree well enough to pass for a jam. A jam's
 * slow trips are kept: no one who left after them arrived before them. O(n log n).
 */
export function withoutOvertakenSamples(samples: readonly TravelSample[]): TravelSample[] {
  const latestSourceBefore: UnixNanos[] = [];
  let latest: UnixNanos | undefined;
  for (const sample of samples) {
    latest = latest === undefined || sample.sourceTime > latest ? sample.sourceTime : latest;
    latestSourceBefore.push(latest);
  }
  return samples.filter((sample) => {
    const margin = BigInt(
      Math.round(Math.max(MIN_OVERTAKE_SECONDS, OVERTAKE_RELATIVE_MARGIN * sample.travelSeconds) * 1e9),
    );
    const arrivedBefore = countArrivedBefore(samples, sample.destinationTime - margin);
    if (arrivedBefore === 0) return true;
    return (latestSourceBefore[arrivedBefore - 1] as UnixNanos) < sample.sourceTime + margin;
  });
}

/** How many of `samples` (in destination-time order) arrived at or before `time`. */
function countArrivedBefore(samples: readonly TravelSample[], time: UnixNanos): number {
  let low = 0;
  let high = samples.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((samples[middle] as TravelSample).destinationTime <= time) low = middle + 1;
    else high = middle;
  }
  return low;
}

import type { DetectorId, Sighting, UnixNanos } from '@message-bus/domain';
import type { EventRepository } from '@message-bus/repository';

/**
 * One detector's sightings over a span, read once, oldest first, so that many intervals
 * (a catch-up) slice them instead of reading the store again for each.
 */
export class SightingSpan {
  private constructor(private readonly sightings: readonly Sighting[]) {}

  /** Reads the detector's sightings in [after, before). */
  static async read(
    events: EventRepository,
    detectorId: DetectorId,
    after: UnixNanos,
    before: UnixNanos,
  ): Promise<SightingSpan> {
    const sightings: Sighting[] = [];
    const range = { after, before };
    for await (const page of events.listPages({ detectorIds: [detectorId], range, order: 'oldest_first' })) {
      for (const sighting of page) sightings.push(sighting);
    }
    return new SightingSpan(sightings);
  }

  /** The sightings in [after, before), oldest first. */
  between(after: UnixNanos, before: UnixNanos): readonly Sighting[] {
    return this.sightings.slice(this.firstAtOrAfter(after), this.firstAtOrAfter(before));
  }

  private firstAtOrAfter(time: UnixNanos): number {
    let low = 0;
    let high = this.sightings.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.sightings[middle]!.time < time) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

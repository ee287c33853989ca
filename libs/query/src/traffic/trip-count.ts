import {
  TripCounter,
  ValidationError,
  type OriginDestinationMatrix,
  type Sighting,
} from '@message-bus/domain';
import type { EventRepository } from '@message-bus/repository';
import type { OriginDestinationQuery } from './traffic-arguments';

/**
 * The origin–destination matrix of the query: each detector's sightings in the range
 * read oldest first, a page at a time, merged by time into a `TripCounter`.
 *
 * What is held: one page per detector (about a thousand sightings each), the devices
 * seen within the last trip gap, and one duration per trip counted; never the range's
 * sightings. `signal` is checked, and the sightings read counted against
 * `maxSightings`, at every page, so a cancelled or oversized call stops there.
 */
export async function countTrips(
  events: EventRepository,
  query: OriginDestinationQuery,
  maxSightings: number,
  signal?: AbortSignal,
): Promise<OriginDestinationMatrix> {
  const counter = new TripCounter(query.detectorIds, query.tripGapSeconds);
  const cursors = query.detectorIds.map((detectorId) => {
    const pages = events.listPages({ detectorIds: [detectorId], range: query.range, order: 'oldest_first' });
    return new PageCursor(pages[Symbol.asyncIterator]());
  });
  let sightingsRead = 0;
  const nextPage = async (cursor: PageCursor): Promise<boolean> => {
    signal?.throwIfAborted();
    const more = await cursor.nextPage();
    sightingsRead += more ? cursor.pageLength : 0;
    if (sightingsRead > maxSightings) {
      throw new ValidationError(
        'out_of_range',
        'range',
        `selects more than ${maxSightings} sightings at these detectors, the most one GetOriginDestination ` +
          'reads; narrow range or detector_ids',
      );
    }
    return more;
  };
  try {
    const heap = new CursorHeap();
    for (const cursor of cursors) if (await nextPage(cursor)) heap.push(cursor);
    for (;;) {
      const cursor = heap.top();
      if (cursor === undefined) break;
      counter.add(cursor.head());
      if (cursor.advance() || (await nextPage(cursor))) heap.headChanged();
      else heap.pop();
    }
  } finally {
    await Promise.all(cursors.map((cursor) => cursor.close()));
  }
  return counter.matrix();
}

/** One detector's sightings, a page at a time, and the next one not yet counted. */
class PageCursor {
  private page: readonly Sighting[] = [];
  private index = 0;

  constructor(private readonly pages: AsyncIterator<readonly Sighting[]>) {}

  get pageLength(): number {
    return this.page.length;
  }

  head(): Sighting {
    return this.page[this.index] as Sighting;
  }

  /** Moves past the head; false when the page is used up. */
  advance(): boolean {
    this.index += 1;
    return this.index < this.page.length;
  }

  /** Reads the next page (never empty, the port says); false when there is none. */
  async nextPage(): Promise<boolean> {
    const next = await this.pages.next();
    if (next.done === true) return false;
    this.page = next.value;
    this.index = 0;
    return this.page.length > 0;
  }

  async close(): Promise<void> {
    await this.pages.return?.();
  }
}

/** Cursors by their head's time, earliest on top: a binary min-heap. */
class CursorHeap {
  private readonly cursors: PageCursor[] = [];

  top(): PageCursor | undefined {
    return this.cursors[0];
  }

  push(cursor: PageCursor): void {
    this.cursors.push(cursor);
    let child = this.cursors.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.earlier(child, parent)) break;
      this.swap(child, parent);
      child = parent;
    }
  }

  /** Removes the top. */
  pop(): void {
    const last = this.cursors.pop();
    if (last === undefined || this.cursors.length === 0) return;
    this.cursors[0] = last;
    this.headChanged();
  }

  /** Restores the order after the top's head moved on (to a later time). */
  headChanged(): void {
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let earliest = parent;
      if (left < this.cursors.length && this.earlier(left, earliest)) earliest = left;
      if (right < this.cursors.length && this.earlier(right, earliest)) earliest = right;
      if (earliest === parent) return;
      this.swap(parent, earliest);
      parent = earliest;
    }
  }

  private earlier(a: number, b: number): boolean {
    return (this.cursors[a] as PageCursor).head().time < (this.cursors[b] as PageCursor).head().time;
  }

  private swap(a: number, b: number): void {
    const held = this.cursors[a] as PageCursor;
    this.cursors[a] = this.cursors[b] as PageCursor;
    this.cursors[b] = held;
  }
}

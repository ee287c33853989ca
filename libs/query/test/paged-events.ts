import type { DetectorId, Sighting, UnixNanos } from '@message-bus/domain';
import type { EventQuery, EventRepository } from '@message-bus/repository';
import { setImmediate } from 'node:timers/promises';

/** Sightings per page a `PagedEvents` store hands out, as lmdb's 1024-entry read pages. */
export const PAGE = 1_000;

const BASE_TIME: UnixNanos = 1_700_000_000_000_000_000n;

/**
 * Event reads of `detectorId` from a store holding `stored` of its sightings (Infinity:
 * more than any scan gets through), a page per event-loop turn as the real stores read,
 * counting the sightings handed out: how a test sees whether a scan stopped. Other
 * detectors' reads, appends and follows go to `others`.
 */
export class PagedEvents implements EventRepository {
  private handedOut = 0;

  constructor(
    private readonly detectorId: DetectorId,
    private readonly stored: number,
    private readonly others: EventRepository,
  ) {}

  /** Sightings of `detectorId` handed out so far. */
  read(): number {
    return this.handedOut;
  }

  append(sightings: readonly Sighting[]): Promise<void> {
    return this.others.append(sightings);
  }

  listPages(query: EventQuery): AsyncIterable<readonly Sighting[]> {
    if (!query.detectorIds.includes(this.detectorId)) return this.others.listPages(query);
    return this.pages((query.order ?? 'newest_first') === 'newest_first');
  }

  async *list(query: EventQuery): AsyncGenerator<Sighting> {
    for await (const page of this.listPages(query)) yield* page;
  }

  follow(detectorIds: readonly DetectorId[], signal: AbortSignal): AsyncIterable<Sighting> {
    return this.others.follow(detectorIds, signal);
  }

  /** The sightings one nanosecond apart, ending one nanosecond before BASE_TIME + 1. */
  private async *pages(newestFirst: boolean): AsyncGenerator<Sighting[]> {
    const { stored, detectorId } = this;
    for (let first = 0; first < stored; first += PAGE) {
      await setImmediate();
      const page = Array.from({ length: Math.min(PAGE, stored - first) }, (_, offset) => {
        const index = BigInt(first + offset);
        const time = newestFirst ? BASE_TIME - index : BASE_TIME - BigInt(stored) + 1n + index;
        return { detectorId, deviceId: 'device', time };
      });
      this.handedOut += page.length;
      yield page;
    }
  }
}

/** Lets the event loop turn `turns` times: time for that many pages, had a scan kept reading. */
export async function eventLoopTurns(turns: number): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) await setImmediate();
}

/** Events that nothing follows: each follow delivers nothing and ends when aborted. */
export const NO_EVENTS: EventRepository = {
  append: async () => undefined,
  listPages: () => nothing(),
  list: () => nothing(),
  follow: (_detectorIds, signal) => nothing(signal),
};

/** Ends at once, or when `until` aborts. */
async function* nothing<T>(until?: AbortSignal): AsyncGenerator<T> {
  if (until !== undefined && !until.aborted) {
    await new Promise((resolve) => until.addEventListener('abort', resolve, { once: true }));
  }
  yield* [];
}

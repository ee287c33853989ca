import type { DetectorId, Sighting, UnixNanos } from '@message-bus/domain';
import type { EventQuery, EventRepository } from '@message-bus/repository';
import { setImmediate } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { replayThenFollow } from './event-stream';
import type { DetectorQuery } from './query-arguments';

/** Sightings per page the fake store hands out, as lmdb's 1024-entry read pages. */
const PAGE = 1_000;
const DETECTOR = 'cancel-detector' as DetectorId;
const BASE_TIME: UnixNanos = 1_700_000_000_000_000_000n;

/**
 * A store holding `stored` sightings of one detector (Infinity: more than any scan gets
 * through), read a page per event-loop turn as the real stores do, counting the
 * sightings it has handed out. Follows deliver nothing and end when aborted.
 */
function pagedStore(stored: number): { events: EventRepository; read(): number } {
  let read = 0;
  async function* pages(query: EventQuery): AsyncGenerator<Sighting[]> {
    const newestFirst = (query.order ?? 'newest_first') === 'newest_first';
    for (let first = 0; first < stored; first += PAGE) {
      await setImmediate();
      const page = Array.from({ length: Math.min(PAGE, stored - first) }, (_, offset) => {
        const index = BigInt(first + offset);
        const time = newestFirst ? BASE_TIME - index : BASE_TIME - BigInt(stored) + 1n + index;
        return { detectorId: DETECTOR, deviceId: 'device', time };
      });
      read += page.length;
      yield page;
    }
  }
  const events: EventRepository = {
    append: async () => undefined,
    listPages: pages,
    list: async function* list(query) {
      for await (const page of pages(query)) yield* page;
    },
    follow: (_detectorIds, signal) => followingNothing(signal),
  };
  return { events, read: () => read };
}

/** A follow that delivers nothing and ends when `signal` aborts. */
async function* followingNothing(signal: AbortSignal): AsyncGenerator<Sighting> {
  if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
  yield* [];
}

async function eventLoopTurns(turns: number): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) await setImmediate();
}

const live: DetectorQuery = { detectorIds: [DETECTOR], range: {}, limitPerDetector: 100_000 };
const bounded: DetectorQuery = { ...live, range: { before: BASE_TIME + 1n } };

describe.each([
  ['live', live],
  ['with before', bounded],
])('a %s StreamEvents replay, aborted', (_name, query) => {
  it('reads at most one more page of the store and ends with the abort reason', async () => {
    const store = pagedStore(Infinity);
    const aborting = new AbortController();
    const first = replayThenFollow(store.events, query, aborting.signal).next();
    first.catch(() => undefined); // awaited below
    await vi.waitFor(() => expect(store.read()).toBeGreaterThanOrEqual(3 * PAGE), { interval: 1 });

    aborting.abort(new Error('client cancelled'));
    const readAtAbort = store.read();
    // Time enough for dozens of pages, had the replay kept reading.
    await eventLoopTurns(50);

    expect(store.read() - readAtAbort).toBeLessThanOrEqual(PAGE);
    await expect(first).rejects.toThrow('client cancelled');
  });
});

describe('onReplayed', () => {
  it('is called once the whole replay is sent, before the live follow', async () => {
    const store = pagedStore(2_500);
    const following = new AbortController();
    const replayed = vi.fn();
    const stream = replayThenFollow(store.events, live, following.signal, Infinity, replayed);

    let sent = 0;
    for (; sent < 2_500; sent += 1) {
      expect(replayed).not.toHaveBeenCalled();
      await stream.next();
    }
    const next = stream.next();
    await vi.waitFor(() => expect(replayed).toHaveBeenCalledTimes(1), { interval: 1 });
    following.abort();
    expect(await next).toEqual({ done: true, value: undefined });
  });
});

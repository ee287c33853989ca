import type { DetectorId } from '@message-bus/domain';
import { describe, expect, it, vi } from 'vitest';
import { eventLoopTurns, NO_EVENTS, PAGE, PagedEvents } from '../test/paged-events';
import { replayThenFollow } from './event-stream';
import type { DetectorQuery } from './query-arguments';

const DETECTOR = 'cancel-detector' as DetectorId;
const live: DetectorQuery = { detectorIds: [DETECTOR], range: {}, limitPerDetector: 100_000 };
const bounded: DetectorQuery = { ...live, range: { before: 1_700_000_000_000_000_001n } };

describe.each([
  ['live', live],
  ['with before', bounded],
])('a %s StreamEvents replay, aborted', (_name, query) => {
  it('reads at most one more page of the store and ends with the abort reason', async () => {
    const store = new PagedEvents(DETECTOR, Infinity, NO_EVENTS);
    const aborting = new AbortController();
    const first = replayThenFollow(store, query, aborting.signal).next();
    first.catch(() => undefined); // awaited below
    await vi.waitFor(() => expect(store.read()).toBeGreaterThanOrEqual(3 * PAGE), { interval: 1 });

    aborting.abort(new Error('client cancelled'));
    const readAtAbort = store.read();
    await eventLoopTurns(50);

    expect(store.read() - readAtAbort).toBeLessThanOrEqual(PAGE);
    await expect(first).rejects.toThrow('client cancelled');
  });
});

describe('onReplayed', () => {
  it('is called once the whole replay is sent, before the live follow', async () => {
    const store = new PagedEvents(DETECTOR, 2_500, NO_EVENTS);
    const following = new AbortController();
    const replayed = vi.fn();
    const stream = replayThenFollow(store, live, following.signal, Infinity, replayed);

    for (let sent = 0; sent < 2_500; sent += 1) {
      expect(replayed).not.toHaveBeenCalled();
      await stream.next();
    }
    const next = stream.next();
    await vi.waitFor(() => expect(replayed).toHaveBeenCalledTimes(1), { interval: 1 });
    following.abort();
    expect(await next).toEqual({ done: true, value: undefined });
  });
});

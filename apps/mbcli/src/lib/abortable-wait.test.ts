import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortableWait } from './abortable-wait';

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('abortableWait', () => {
  it('leaves no abort listener behind over 50 waits on one signal, so Node never warns of a leak', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const stop = new AbortController();
      const before = abortListeners(stop.signal);
      const after: number[] = [];
      for (let wait = 0; wait < 50; wait += 1) {
        await abortableWait(1, stop.signal);
        after.push(abortListeners(stop.signal));
      }
      // Node emits the warning on a later tick than the listener that passed the limit.
      await new Promise((done) => setImmediate(done));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
      expect(before).toBe(0);
      expect(after).toEqual(Array.from({ length: 50 }, () => 0));
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('ends a wait as soon as the signal aborts, and one on an aborted signal at once, without an error', async () => {
    const stop = new AbortController();
    // An hour: only the abort can end this wait within the test's timeout.
    const wait = abortableWait(3_600_000, stop.signal);
    expect(abortListeners(stop.signal)).toBe(1);
    stop.abort();
    await expect(wait).resolves.toBeUndefined();
    expect(abortListeners(stop.signal)).toBe(0);
    await expect(abortableWait(3_600_000, stop.signal)).resolves.toBeUndefined();
    expect(abortListeners(stop.signal)).toBe(0);
  });

  it('waits without a signal', async () => {
    await expect(abortableWait(1)).resolves.toBeUndefined();
  });
});

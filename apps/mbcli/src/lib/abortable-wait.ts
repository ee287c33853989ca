import { setTimeout as timer } from 'node:timers/promises';

/**
 * Resolves after `ms`, or as soon as `signal` aborts (at once if it already has): callers
 * check `signal.aborted` afterwards. Node's timer removes its abort listener when it ends,
 * so a loop may wait on one signal any number of times.
 */
export async function abortableWait(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await timer(ms, undefined, { signal });
  } catch (error) {
    // An abort rejects with an AbortError; the callers stop on the signal, not on an error.
    if (!signal?.aborted) throw error;
  }
}

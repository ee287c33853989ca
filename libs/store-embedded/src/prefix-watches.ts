import { StoreUnavailableError } from '@message-bus/repository';
import type { KvEntry } from '@message-bus/store-kv';

/**
 * In-process watches: the backend publishes each committed put here, in commit order,
 * and every watch whose prefix matches gets the entries it covers.
 */
export class PrefixWatches {
  private readonly watches = new Set<PrefixWatch>();

  /** @param bufferLimit entries a watch may hold unread before it fails (see {@link PrefixWatch}) */
  constructor(private readonly bufferLimit: number) {}

  /** A watch that sees what is published from now on, until `signal` aborts or {@link endAll}. */
  watch(prefix: string, signal: AbortSignal): PrefixWatch {
    const watch = new PrefixWatch(prefix, this.bufferLimit, signal, (ended) => this.watches.delete(ended));
    if (!signal.aborted) this.watches.add(watch);
    return watch;
  }

  publish(entries: readonly KvEntry[]): void {
    for (const watch of this.watches) watch.offer(entries);
  }

  /** Ends every watch; entries they already hold are still handed out. */
  endAll(): void {
    for (const watch of this.watches) watch.stop();
  }
}

/**
 * One watch's queue and async iterator. The queue is bounded: writers never wait for a
 * slow reader, and a reader more than `bufferLimit` entries behind gets the entries held
 * so far and then a `StoreUnavailableError` (retryable) instead of a silent gap, so it
 * can re-read what it missed and watch again.
 */
export class PrefixWatch implements AsyncIterableIterator<KvEntry> {
  private queue: KvEntry[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: StoreUnavailableError | undefined;
  private readonly stopOnAbort = () => this.stop();

  constructor(
    private readonly prefix: string,
    private readonly bufferLimit: number,
    private readonly signal: AbortSignal,
    private readonly onEnd: (watch: PrefixWatch) => void,
  ) {
    if (signal.aborted) this.ended = true;
    else signal.addEventListener('abort', this.stopOnAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<KvEntry>> {
    for (;;) {
      if (this.head < this.queue.length) return { value: this.take(), done: false };
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        throw failure;
      }
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<KvEntry>> {
    this.stop();
    this.queue = [];
    this.head = 0;
    this.failure = undefined;
    return { value: undefined, done: true };
  }

  /** Queues the entries under this watch's prefix. */
  offer(entries: readonly KvEntry[]): void {
    if (this.ended) return;
    let added = false;
    for (const entry of entries) {
      if (!entry.key.startsWith(this.prefix)) continue;
      if (this.queue.length - this.head >= this.bufferLimit) {
        this.failure = new StoreUnavailableError(
          `watch on "${this.prefix}" fell more than ${this.bufferLimit} records behind; read what it missed and watch again`,
        );
        this.stop();
        return;
      }
      this.queue.push({ key: entry.key, value: entry.value });
      added = true;
    }
    if (added) this.signalReader();
  }

  /** Stops receiving; entries already held are still handed out, then the iterator ends. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.signal.removeEventListener('abort', this.stopOnAbort);
    this.onEnd(this);
    this.signalReader();
  }

  private take(): KvEntry {
    const entry = this.queue[this.head] as KvEntry;
    this.head += 1;
    // Drop the consumed front now and then, so the queue does not grow with the total.
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  private signalReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

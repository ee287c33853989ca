import { StoreUnavailableError } from '@message-bus/repository';
import type { KvBackend, KvEntry, KvRange, KvRecord, KvWatchEntry } from '../kv-backend';
import type { Keyspace } from '../keys/keyspace';
import { MalformedRecords, type MalformedRecordHandler } from './malformed-records';

/**
 * What the repository's parts share: the backend, the keyspace, the malformed-record
 * counter, and the bookkeeping that lets `close` wait for writes in flight.
 */
export class KvStore {
  readonly malformed: MalformedRecords;
  private readonly pendingWrites = new Set<Promise<void>>();
  private closed: Promise<void> | undefined;

  constructor(
    readonly backend: KvBackend,
    readonly keyspace: Keyspace,
    onMalformedRecord: MalformedRecordHandler | undefined,
  ) {
    this.malformed = new MalformedRecords(keyspace.detectorsRoot, onMalformedRecord);
  }

  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  async write(records: readonly KvRecord[]): Promise<void> {
    this.assertOpen();
    if (records.length === 0) return;
    const write = this.backend.put(records);
    this.pendingWrites.add(write);
    try {
      await write;
    } finally {
      this.pendingWrites.delete(write);
    }
  }

  /** The backend's `compareAndSet`, waited for by `close` like a write. */
  async compareAndSet(key: string, expected: Uint8Array, next: Uint8Array | undefined): Promise<boolean> {
    this.assertOpen();
    const swap = this.backend.compareAndSet(key, expected, next);
    const settled = swap.then(
      () => undefined,
      () => undefined,
    );
    this.pendingWrites.add(settled);
    try {
      return await swap;
    } finally {
      this.pendingWrites.delete(settled);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.backend.get(key);
  }

  async deleteRange(start: string, end: string): Promise<number> {
    this.assertOpen();
    return this.backend.deleteRange(start, end);
  }

  /** The entries of `scanPages`, one at a time. */
  async *scan(range: Omit<KvRange, 'limit'>, pageSize?: number): AsyncGenerator<KvEntry> {
    for await (const page of this.scanPages(range, pageSize)) yield* page;
  }

  /**
   * Entries of `range`, read from the backend `pageSize` at a time (all at once when
   * undefined), so a reader that needs only a few entries asks the backend for only a
   * few; the next read happens when the reader gets that far, and asks for
   * `laterPageSize` (a reader that knows it needs only a few more says so). Handed out
   * as the backend's pages, so a reader awaits once per page, not once per entry.
   */
  async *scanPages(
    range: Omit<KvRange, 'limit'>,
    pageSize?: number,
    laterPageSize = pageSize,
  ): AsyncGenerator<readonly KvEntry[]> {
    this.assertOpen();
    if (pageSize === undefined) {
      yield* this.backend.scanPages(range);
      return;
    }
    let { start, end } = range;
    for (let limit = pageSize; ; limit = laterPageSize ?? pageSize) {
      let count = 0;
      let lastKey: string | undefined;
      for await (const page of this.backend.scanPages({ start, end, limit, reverse: range.reverse })) {
        count += page.length;
        lastKey = page[page.length - 1]?.key ?? lastKey;
        yield page;
      }
      if (count < limit || lastKey === undefined) return;
      if (range.reverse) end = lastKey;
      else start = `${lastKey}\u0000`; // the smallest key after lastKey
    }
  }

  /**
   * The backend's watch, started now rather than on first iteration, so that records
   * put after this call are seen even when the caller starts reading later.
   */
  watch(prefix: string, signal: AbortSignal): AsyncIterable<KvWatchEntry> {
    this.assertOpen();
    const iterator = this.backend.watch(prefix, signal)[Symbol.asyncIterator]();
    const first = iterator.next();
    // Observed when read; this keeps a failure nobody reads yet from being "unhandled".
    first.catch(() => undefined);
    return drain(iterator, first);
  }

  /** Waits for writes in flight, then closes the backend. Later calls resolve with the first. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.pendingWrites]);
      await this.backend.close();
    })();
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed !== undefined) throw new StoreUnavailableError('the repository is closed');
  }
}

async function* drain(
  iterator: AsyncIterator<KvWatchEntry>,
  first: Promise<IteratorResult<KvWatchEntry>>,
): AsyncGenerator<KvWatchEntry> {
  let finished = false;
  try {
    for (let result = await first; !result.done; result = await iterator.next()) yield result.value;
    finished = true;
  } finally {
    if (!finished) await iterator.return?.();
  }
}

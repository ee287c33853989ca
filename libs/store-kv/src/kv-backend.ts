/**
 * The small ordered key-value interface the keyspace is built on. etcd and lmdb each
 * implement it once; everything that knows the key layout lives above it, in this lib.
 *
 * Keys are strings compared as their UTF-8 bytes (the order etcd and lmdb both use).
 * Values are opaque bytes. Failures are thrown as the repository port's typed errors
 * (`StoreUnavailableError`, `StoreQuotaExhaustedError`, ...), never as a client's own.
 */
export interface KvBackend {
  /**
   * A reverse scan costs the store every key of its range, however small its limit: etcd
   * 3.4 sorts a descending range whole before cutting it. Readers of the newest few
   * entries of a long range then read it in short spans back from its end instead.
   * Unset: a reverse scan costs what it returns (lmdb walks a cursor backwards).
   */
  readonly reverseScanReadsWholeRange?: boolean;

  /**
   * Writes every record and resolves once they are durable. Writing the same key with
   * the same value again is harmless, which is what makes retried appends idempotent.
   * A large batch may be committed in several transactions; on failure, some of it may
   * have been written, and the caller retries the whole batch.
   */
  put(records: readonly KvRecord[]): Promise<void>;

  /**
   * Whether `put(records)` would commit them all in one transaction, so no reader ever
   * sees some without the others. Unset: a writer never counts on it.
   */
  putIsAtomic?(records: readonly KvRecord[]): boolean;

  /** The value at `key`, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;

  /**
   * Entries with `start <= key < end` in byte order (descending when `reverse`), at
   * most `limit` of them when set. Backends read in bounded pages, so no single
   * response from the store is unbounded; the iterator fetches the next page on demand.
   */
  scan(range: KvRange): AsyncIterable<KvEntry>;

  /**
   * The entries `scan` yields, in the same order, handed out a page at a time (never an
   * empty page): one await per page instead of per entry, for readers that go through
   * many entries.
   */
  scanPages(range: KvRange): AsyncIterable<readonly KvEntry[]>;

  /**
   * Atomically replaces the value at `key` with `next`, or deletes the key when `next` is
   * undefined, only if its value is exactly `expected` now; resolves to whether it did.
   * What lets a worker finish a piece of work without erasing a newer request for it.
   */
  compareAndSet(key: string, expected: Uint8Array, next: Uint8Array | undefined): Promise<boolean>;

  /** Deletes every key with `start <= key < end`; resolves to how many were deleted. */
  deleteRange(start: string, end: string): Promise<number>;

  /**
   * Records put under `prefix` after the watch started, in commit order, until
   * `signal` aborts (the iterator then ends without error). A backend that loses its
   * connection resumes where it stopped: no change is skipped or delivered twice.
   */
  watch(prefix: string, signal: AbortSignal): AsyncIterable<KvWatchEntry>;

  /** Whether the store answers now; `reason` says why not (e.g. "etcd: connection refused"). */
  health(): Promise<KvHealth>;

  /** Flushes pending work and releases connections, timers and file handles. */
  close(): Promise<void>;
}

export interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

/** A put seen by a watch. */
export interface KvWatchEntry extends KvEntry {
  /**
   * The put replaced a value already stored under its key (etcd: the key's version is
   * above 1), e.g. a write sent again after a failure; undefined when the backend cannot
   * tell (the embedded store).
   */
  readonly replaced?: boolean;
}

export interface KvRecord extends KvEntry {
  /** When set, the record may be removed once this time has passed. */
  readonly expiry?: KvExpiry;
}

/**
 * Records that share an expiry share a key prefix too (one detector's time bucket), so a
 * backend can expire them as a group: etcd attaches one lease per expiry time, the
 * embedded store deletes the whole prefix range in a periodic sweep.
 *
 * A record kept a while after its last put (a typical profile, an alert) is a group of
 * its own: `prefix` is its whole key, and only that record expires with it (not keys
 * that merely start with it). Its latest put decides its expiry, as on etcd, where the
 * put attaches it to the later lease.
 */
export interface KvExpiry {
  /** Unix seconds after which the records may be dropped. */
  readonly atUnixSeconds: number;
  /** A key prefix holding only records with this same expiry; or the record's own key. */
  readonly prefix: string;
}

export interface KvRange {
  /** Inclusive lower bound. */
  readonly start: string;
  /** Exclusive upper bound. */
  readonly end: string;
  /** Most entries to return; undefined or 0 means all. */
  readonly limit?: number;
  /** Highest key first. */
  readonly reverse?: boolean;
}

/** As the port's `StoreHealth`: reachable or not and why, and why writes are refused while they are. */
export type KvHealth =
  | { readonly reachable: true; readonly writesRefused?: string }
  | { readonly reachable: false; readonly reason: string };

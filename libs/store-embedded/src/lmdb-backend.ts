import {
  StoreError,
  StoreInvalidArgumentError,
  StoreQuotaExhaustedError,
  StoreUnavailableError,
} from '@message-bus/repository';
import type { KvBackend, KvEntry, KvExpiry, KvHealth, KvRange, KvRecord } from '@message-bus/store-kv';
import { open, type Database, type RootDatabase } from 'lmdb';
import { setImmediate } from 'node:timers/promises';
import {
  ExpiryGroupCache,
  decodeExpiryGroupKey,
  encodeExpiryGroupKey,
  expiryGroupKeyOverhead,
} from './expiry-groups';
import {
  resolveLmdbBackendOptions,
  type LmdbBackendOptions,
  type ResolvedLmdbBackendOptions,
} from './lmdb-backend-options';
import { toStoreError, toWriteError } from './lmdb-errors';
import { PrefixWatches } from './prefix-watches';
import { assertKeyFits, assertStorableKey, maxKeyBytes, utf8KeyEncoder } from './utf8-keys';

/** Entries read per lmdb read transaction while scanning, so no read holds a snapshot for long. */
const scanPageSize = 1024;

/** Expired groups deleted per write transaction by the sweep, so one sweep never holds the writer for long. */
const sweepGroupsPerTransaction = 256;

/**
 * The records database. lmdb-js honours `keyEncoder` on any database, though its types
 * declare it on the root options only; a named object passes the type check.
 */
const recordsDatabase = { name: 'records', encoding: 'binary' as const, keyEncoder: utf8KeyEncoder };

/** A group's value: `[1]` marks a single-record group, empty a prefix group (fresh each time: no shared buffer). */
function expiryGroupMarker(singleRecord: boolean): Buffer {
  return singleRecord ? Buffer.from([1]) : Buffer.alloc(0);
}

/** Record key → the expiry (unix seconds) of its latest put, for single-record expiry groups. */
const recordExpiriesDatabase = { name: 'record-expiries', keyEncoder: utf8KeyEncoder };

/** One put's records, waiting to be published to watches once every earlier put is settled. */
interface Publication {
  readonly records: readonly KvRecord[];
  state: 'pending' | 'committed' | 'failed';
}

/**
 * The ordered-KV backend on lmdb, for single-node sites: data in one local directory,
 * keys ordered by their UTF-8 bytes, values stored as given.
 *
 * - `put` is one lmdb write transaction per call and resolves once the commit is on
 *   disk. Transactions queued together commit together; a commit that fails (a full
 *   disk) rejects each of its puts with the typed error, and later puts go on.
 * - Records with an expiry are deleted by a periodic sweep: each distinct
 *   (expiry time, prefix) group is recorded once in a small second database, and the
 *   sweep deletes the whole prefix range of every group whose time has passed. A group
 *   whose prefix is its record's whole key (a record kept a while after its last put)
 *   holds that record only, and the record's latest put decides: a put that moves its
 *   expiry later makes the earlier group a no-op.
 * - Watches are in-process notifications of committed puts, in commit order; with a
 *   `commitRelay`, also of the puts of other processes sharing the directory.
 * - Several processes may open one directory (lmdb locks it for them): their writes
 *   queue for lmdb's one writer, each commit is durable before it resolves, and keys
 *   derived from the data (event ULIDs) make the same record the same key in any process.
 */
export class LmdbBackend implements KvBackend {
  private readonly options: ResolvedLmdbBackendOptions;
  private readonly env: RootDatabase;
  private readonly records: Database<Uint8Array, string>;
  private readonly expiryGroups: Database<Buffer, Buffer>;
  private readonly recordExpiries: Database<number, string>;
  private readonly knownExpiryGroups = new ExpiryGroupCache();
  private readonly watches: PrefixWatches;
  /** Puts in commit order, published to watches from the front as they settle. */
  private readonly unpublished: Publication[] = [];
  /** Writes and sweeps in flight; `close` waits for them. */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly sweepTimer: NodeJS.Timeout | undefined;
  private scheduledSweepRunning = false;
  /** Why the last write failed, when the store itself failed; cleared by the next good write. */
  private writeFailure: string | undefined;
  /** Why writes are refused while the disk is full; cleared by the next put that commits. */
  private writesRefused: string | undefined;
  private closing: Promise<void> | undefined;

  /**
   * Opens (creating when missing) the store in `options.path` and starts the expiry sweep.
   *
   * @throws StoreInvalidArgumentError for an option that cannot work, naming it
   * @throws StoreUnavailableError when lmdb cannot open the directory
   */
  constructor(options: LmdbBackendOptions) {
    this.options = resolveLmdbBackendOptions(options);
    const path = this.options.path;
    let env: RootDatabase | undefined;
    try {
      env = open({
        path,
        // Or lmdb-js would take a directory name with a dot for a file name.
        noSubdir: false,
        // lmdb-js's defaults leave promises nobody can observe, which reject unhandled
        // (ending the process) when a commit fails: each event-turn batch's commit
        // promise, and `flushed` of a failed commit, which never settles and hangs close.
        // Without them a commit resolves once durable and a failed one rejects its callers.
        eventTurnBatching: false,
        overlappingSync: false,
      });
      this.records = env.openDB<Uint8Array, string>(recordsDatabase);
      this.expiryGroups = env.openDB<Buffer, Buffer>({
        name: 'expiry-groups',
        encoding: 'binary',
        keyEncoding: 'binary',
      });
      this.recordExpiries = env.openDB<number, string>(recordExpiriesDatabase);
      this.env = env;
    } catch (error) {
      env?.close().catch(() => undefined); // the open failure is the one to report
      throw new StoreUnavailableError(`cannot open lmdb store at ${path}: ${describe(error)}`, {
        cause: error,
      });
    }
    this.watches = new PrefixWatches(this.options.watchBufferLimit);
    this.options.commitRelay?.deliverTo((records) => {
      if (!this.closing) this.watches.publish(records);
    });
    if (this.options.sweeps) {
      this.sweepTimer = setInterval(() => this.sweepOnSchedule(), this.options.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  put(records: readonly KvRecord[]): Promise<void> {
    return this.track(this.putRecords(records));
  }

  /** Every put is one lmdb write transaction, whatever its size. */
  putIsAtomic(): boolean {
    return true;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    assertStorableKey(key, 'key');
    try {
      return this.records.get(key);
    } catch (error) {
      throw this.toStoreError(error);
    }
  }

  async *scan(range: KvRange): AsyncGenerator<KvEntry> {
    for await (const page of this.scanPages(range)) yield* page;
  }

  async *scanPages(range: KvRange): AsyncGenerator<readonly KvEntry[]> {
    this.assertOpen();
    assertRange(range.start, range.end);
    const limit = range.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new StoreInvalidArgumentError(`range.limit must be a non-negative integer, got ${limit}`);
    }
    let remaining = limit === 0 ? Infinity : limit;
    if (range.end === '') return; // nothing is below the empty key
    let after: string | undefined;
    while (remaining > 0) {
      this.assertOpen();
      const pageSize = Math.min(scanPageSize, remaining);
      // Read the page at once and yield after: a consumer that pauses must not hold lmdb's read snapshot.
      const page: KvEntry[] = [];
      try {
        for (const { key, value } of this.records.getRange(pageOf(range, after, pageSize)))
          page.push({ key, value });
      } catch (error) {
        throw this.toStoreError(error);
      }
      if (page.length > 0) yield page;
      const last = page.at(-1);
      if (page.length < pageSize || last === undefined) return;
      after = last.key;
      remaining -= page.length;
      // lmdb reads synchronously: let the event loop run (health, ingest, a client's cancel)
      // before the next page, so a long scan is many short slices rather than one long one.
      await setImmediate();
    }
  }

  compareAndSet(key: string, expected: Uint8Array, next: Uint8Array | undefined): Promise<boolean> {
    return this.track(this.swap(key, expected, next));
  }

  deleteRange(start: string, end: string): Promise<number> {
    return this.track(this.deleteKeys(start, end));
  }

  watch(prefix: string, signal: AbortSignal): AsyncIterable<KvEntry> {
    this.assertOpen();
    if (typeof prefix !== 'string') throw new StoreInvalidArgumentError('watch prefix must be a string');
    const watch = this.watches.watch(prefix, signal);
    if (!signal.aborted) this.options.commitRelay?.watching(prefix, signal);
    return watch;
  }

  async health(): Promise<KvHealth> {
    if (this.closing) return { reachable: false, reason: 'closed' };
    if (this.writeFailure !== undefined) return { reachable: false, reason: this.writeFailure };
    try {
      this.env.getStats();
    } catch (error) {
      return { reachable: false, reason: this.toStoreError(error).message };
    }
    return this.writesRefused === undefined
      ? { reachable: true }
      : { reachable: true, writesRefused: this.writesRefused };
  }

  /**
   * Deletes every record of every expiry group whose time has passed (by the `now`
   * option), and the groups; resolves to how many records were deleted. The timer calls
   * this every `sweepIntervalMs`; operators and tests may call it any time.
   */
  sweepExpired(): Promise<number> {
    return this.track(this.sweep());
  }

  /** Waits for writes and sweeps in flight, stops the sweep timer, ends watches, closes the files. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async putRecords(records: readonly KvRecord[]): Promise<void> {
    this.assertOpen();
    records.forEach(assertStorableRecord);
    if (records.length === 0) return;
    const publication: Publication = { records, state: 'pending' };
    const newGroups: KvExpiry[] = [];
    try {
      await this.records.transaction(() => {
        this.unpublished.push(publication);
        // A group whose time has come may have been swept, by this process or another
        // one sharing the directory that this cache knows nothing of: record it again.
        const dueBefore = Math.floor(this.options.now() / 1000) + 1;
        // Records of one bucket usually share one expiry object: look each one up once.
        let previousExpiry: KvExpiry | undefined;
        for (const record of records) {
          this.records.put(record.key, record.value);
          const expiry = record.expiry;
          if (expiry === undefined) continue;
          if (expiry.prefix === record.key) this.recordExpiries.put(record.key, expiry.atUnixSeconds);
          if (expiry === previousExpiry) continue;
          previousExpiry = expiry;
          const due = expiry.atUnixSeconds < dueBefore;
          if (!due && this.knownExpiryGroups.has(expiry.atUnixSeconds, expiry.prefix)) continue;
          const marker = expiryGroupMarker(expiry.prefix === record.key);
          this.expiryGroups.put(encodeExpiryGroupKey(expiry.atUnixSeconds, expiry.prefix), marker);
          // Known from here on: transaction callbacks run in commit order, so a sweep
          // after this one sees the group in the store and forgets it here too.
          this.knownExpiryGroups.add(expiry.atUnixSeconds, expiry.prefix);
          newGroups.push(expiry);
        }
      });
      publication.state = 'committed';
    } catch (error) {
      publication.state = 'failed';
      for (const group of newGroups) this.knownExpiryGroups.forget(group.atUnixSeconds, group.prefix);
      throw await this.writeFailed(error);
    } finally {
      this.publishSettled();
    }
    await this.flushed();
    this.writesRefused = undefined;
  }

  private async swap(key: string, expected: Uint8Array, next: Uint8Array | undefined): Promise<boolean> {
    this.assertOpen();
    assertStorableKey(key, 'key');
    // Published like a put when it replaces the value, so watchers see it in commit order.
    const publication: Publication = {
      records: next === undefined ? [] : [{ key, value: next }],
      state: 'pending',
    };
    let swapped: boolean;
    try {
      swapped = await this.records.transaction(() => {
        this.unpublished.push(publication);
        const current = this.records.get(key);
        if (current === undefined || !Buffer.from(current).equals(Buffer.from(expected))) return false;
        if (next === undefined) this.records.remove(key);
        else this.records.put(key, next);
        return true;
      });
      publication.state = swapped ? 'committed' : 'failed';
    } catch (error) {
      publication.state = 'failed';
      throw await this.writeFailed(error);
    } finally {
      this.publishSettled();
    }
    await this.flushed();
    if (swapped) this.writesRefused = undefined;
    return swapped;
  }

  private async deleteKeys(start: string, end: string): Promise<number> {
    this.assertOpen();
    assertRange(start, end);
    if (end === '') return 0;
    let deleted: number;
    try {
      deleted = await this.records.transaction(() => {
        const keys = [...this.records.getKeys({ start, end })];
        for (const key of keys) this.records.remove(key);
        return keys.length;
      });
    } catch (error) {
      throw await this.writeFailed(error);
    }
    await this.flushed();
    return deleted;
  }

  private async sweep(): Promise<number> {
    this.assertOpen();
    let deleted = 0;
    for (;;) {
      const nowMs = this.options.now();
      let chunk: { groups: number; records: number };
      try {
        chunk = await this.records.transaction(() => this.sweepChunk(nowMs));
      } catch (error) {
        throw await this.writeFailed(error);
      }
      deleted += chunk.records;
      if (chunk.groups < sweepGroupsPerTransaction) break;
    }
    await this.flushed();
    return deleted;
  }

  /** Runs inside a write transaction: deletes up to one chunk of expired groups. */
  private sweepChunk(nowMs: number): { groups: number; records: number } {
    const expired: { key: Buffer; singleRecord: boolean }[] = [];
    for (const { key, value } of this.expiryGroups.getRange({ limit: sweepGroupsPerTransaction })) {
      // Keys sort by expiry time, so the first one still in the future ends the sweep.
      if (decodeExpiryGroupKey(key).atUnixSeconds * 1000 >= nowMs) break;
      expired.push({ key, singleRecord: value.length > 0 });
    }
    let records = 0;
    for (const { key, singleRecord } of expired) {
      const group = decodeExpiryGroupKey(key);
      if (singleRecord) {
        // Only the record whose key this is (not others starting with it), and only if
        // its latest put gave it this expiry.
        if (this.recordExpiries.get(group.prefix) === group.atUnixSeconds) {
          if (this.records.doesExist(group.prefix)) {
            this.records.remove(group.prefix);
            records += 1;
          }
          this.recordExpiries.remove(group.prefix);
        }
      } else {
        const keys: string[] = [];
        for (const recordKey of this.records.getKeys({ start: group.prefix })) {
          if (!recordKey.startsWith(group.prefix)) break;
          keys.push(recordKey);
        }
        for (const recordKey of keys) this.records.remove(recordKey);
        records += keys.length;
      }
      this.expiryGroups.remove(key);
      this.knownExpiryGroups.forget(group.atUnixSeconds, group.prefix);
    }
    return { groups: expired.length, records };
  }

  private sweepOnSchedule(): void {
    if (this.scheduledSweepRunning || this.closing) return;
    this.scheduledSweepRunning = true;
    // A failed sweep is already recorded for health (writeFailed); the next tick retries.
    this.track(this.sweep())
      .catch(() => undefined)
      .finally(() => (this.scheduledSweepRunning = false));
  }

  /** Publishes settled puts from the front of the commit order, so watches see commit order. */
  private publishSettled(): void {
    for (
      let next = this.unpublished[0];
      next !== undefined && next.state !== 'pending';
      next = this.unpublished[0]
    ) {
      this.unpublished.shift();
      if (next.state === 'committed' && next.records.length > 0) {
        this.watches.publish(next.records);
        this.options.commitRelay?.committed(next.records);
      }
    }
  }

  /** Resolves once everything committed so far is on disk. */
  private async flushed(): Promise<void> {
    try {
      await this.records.flushed;
    } catch (error) {
      throw await this.writeFailed(error);
    }
    this.writeFailure = undefined;
  }

  /** The typed error of a failed write, noted for health unless the store is closing. */
  private async writeFailed(error: unknown): Promise<StoreError> {
    const failure = await toWriteError(error, this.options.path);
    if (this.closing) return failure;
    if (failure instanceof StoreUnavailableError) this.writeFailure = failure.message;
    if (failure instanceof StoreQuotaExhaustedError) {
      this.writesRefused = `lmdb store at ${this.options.path} is out of space (free space on its filesystem; the next write that fits goes through)`;
    }
    return failure;
  }

  private toStoreError(error: unknown): StoreError {
    return toStoreError(error, this.options.path);
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.pending.add(operation);
    const forget = () => this.pending.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  private async shutDown(): Promise<void> {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.pending]);
    this.watches.endAll();
    await this.env.close();
  }

  private assertOpen(): void {
    if (this.closing) throw new StoreUnavailableError(`lmdb store at ${this.options.path} is closed`);
  }
}

/** lmdb range options for one page of `range`, continuing after key `after` when set. */
function pageOf(range: KvRange, after: string | undefined, limit: number) {
  // lmdb walks from `start` towards `end`; reversed, `start` is the upper bound. The
  // port's end is exclusive in both directions, so reversed it is an exclusive start.
  if (range.reverse) {
    return {
      start: after ?? range.end,
      end: range.start,
      reverse: true,
      exclusiveStart: true,
      inclusiveEnd: true,
      limit,
    };
  }
  return { start: after ?? range.start, end: range.end, exclusiveStart: after !== undefined, limit };
}

function assertRange(start: string, end: string): void {
  if (typeof start !== 'string') throw new StoreInvalidArgumentError('range start must be a string');
  if (typeof end !== 'string') throw new StoreInvalidArgumentError('range end must be a string');
  assertKeyFits(start, 'range start');
  assertKeyFits(end, 'range end');
}

function assertStorableRecord(record: KvRecord, index: number): void {
  if (isPlainlyStorable(record)) return;
  // Field names are built only here, for a record the quick check did not pass: the
  // full checks then throw the precise error (or pass a long key that still fits).
  assertStorableKey(record.key, `records[${index}].key`);
  if (!(record.value instanceof Uint8Array)) {
    throw new StoreInvalidArgumentError(`records[${index}].value must be a Uint8Array`);
  }
  const expiry = record.expiry;
  if (expiry === undefined) return;
  if (!Number.isSafeInteger(expiry.atUnixSeconds) || expiry.atUnixSeconds < 0) {
    throw new StoreInvalidArgumentError(
      `records[${index}].expiry.atUnixSeconds must be a non-negative integer, got ${expiry.atUnixSeconds}`,
    );
  }
  // An empty prefix would make the sweep delete everything.
  if (typeof expiry.prefix !== 'string' || expiry.prefix.length === 0) {
    throw new StoreInvalidArgumentError(`records[${index}].expiry.prefix must be a non-empty string`);
  }
  if (!record.key.startsWith(expiry.prefix)) {
    throw new StoreInvalidArgumentError(
      `records[${index}].expiry.prefix "${expiry.prefix}" must be a prefix of the record's key "${record.key}"`,
    );
  }
  assertKeyFits(expiry.prefix, `records[${index}].expiry.prefix`, maxKeyBytes - expiryGroupKeyOverhead);
}

/**
 * The common record, checked without building a string: a non-empty key short enough
 * to fit whatever its characters, bytes for a value, and an expiry (if any) whose prefix
 * starts the key and fits the expiry-groups database.
 */
function isPlainlyStorable({ key, value, expiry }: KvRecord): boolean {
  if (typeof key !== 'string' || key.length === 0 || key.length * 3 > maxKeyBytes) return false;
  if (!(value instanceof Uint8Array)) return false;
  if (expiry === undefined) return true;
  const { atUnixSeconds, prefix } = expiry;
  return (
    Number.isSafeInteger(atUnixSeconds) &&
    atUnixSeconds >= 0 &&
    typeof prefix === 'string' &&
    prefix.length > 0 &&
    prefix.length * 3 <= maxKeyBytes - expiryGroupKeyOverhead &&
    key.startsWith(prefix)
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { NANOS_PER_SECOND, type DetectorId, type Sighting, type UnixNanos } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  type EventQuery,
  type EventRepository,
  type Order,
} from '@message-bus/repository';
import { EventValueCodec } from '../values/event-value';
import { checkDeviceSegment } from '../keys/key-segment';
import { inKeyTimeRange, toKeyTimeRange, type KeyTimeRange } from '../keys/key-time';
import { bucketOfMillisecond, EVENT_BUCKET_SECONDS, eventBucket, type Keyspace } from '../keys/keyspace';
import type { KvEntry, KvExpiry, KvRecord, KvWatchEntry } from '../kv-backend';
import type { KvStore } from './kv-store';
import { utf8Bytes } from '../values/json-object';
import { newVersion } from './kv-recompute-queue';
import { newestFirstSpans, SpanDensities } from './newest-first-spans';
import { checkDetectorIds, checkLimit, checkOrder } from './query-checks';

const NANOS_PER_MILLISECOND = 1_000_000n;
const BUCKET_NANOS = BigInt(EVENT_BUCKET_SECONDS) * NANOS_PER_SECOND;
/**
 * Entries asked for after a read of the limit and one more fell short: the entry after
 * the limit's last says whether its millisecond goes on, and the range's edge
 * milliseconds may hold events outside it, so a few more are sometimes needed.
 */
const FURTHER_READ_ENTRIES = 16;

/** A sighting read back, with what orders it among those of its millisecond. */
interface StoredSighting {
  readonly sighting: Sighting;
  readonly key: string;
  readonly ulidTimeMs: number;
}

/** When an appended sighting counts as late, so that the estimates it feeds are due again. */
export interface LateSightingRule {
  /** Sightings older than this, by `clock`, when appended are late. */
  readonly lateAfterSeconds: number;
  readonly clock: () => UnixNanos;
}

export class KvEventRepository implements EventRepository {
  private readonly lateAfterNanos: bigint;
  private readonly values = new EventValueCodec();
  /** How densely each detector's last newest-first read found its sightings (on stores read in spans). */
  private readonly spanDensities = new SpanDensities();

  constructor(
    private readonly store: KvStore,
    /** Raw events are kept this long after the end of their 100-second bucket. */
    private readonly retentionSeconds: number,
    private readonly late: LateSightingRule,
  ) {
    this.lateAfterNanos = BigInt(Math.round(late.lateAfterSeconds * 1e9));
  }

  /**
   * One record per distinct sighting, all in one backend write. Every sighting is
   * checked before anything is written, so a bad one leaves the store untouched.
   * Records of one detector's bucket share one expiry object, built once.
   *
   * Late sightings (older than `lateAfterSeconds` now) also mark their detector's
   * bucket under `late/`, written once the sightings are, before the append resolves,
   * so a travel-time worker computes the estimates they feed again: acknowledged late
   * data never misses its estimate.
   */
  async append(sightings: readonly Sighting[]): Promise<void> {
    if (!Array.isArray(sightings)) throw new StoreInvalidArgumentError('sightings: must be an array');
    const { keyspace } = this.store;
    const records: KvRecord[] = [];
    const expiries = new BucketExpiries(keyspace, this.retentionSeconds);
    const lateBefore = this.late.clock() - this.lateAfterNanos;
    let lateBuckets: Map<string, KvExpiry> | undefined;
    // Only sightings of equal time can repeat; a batch in strictly increasing time order
    // (a detector's log) has none, and skips the costly search for them.
    let latest = -1n;
    let mayRepeat = false;
    for (let index = 0; index < sightings.length; index += 1) {
      const sighting: unknown = sightings[index];
      if (typeof sighting !== 'object' || sighting === null) {
        throw new StoreInvalidArgumentError(`sightings[${index}]: must be a sighting object`);
      }
      const { detectorId, time, previousDeviceId } = sighting as Sighting;
      let key: string;
      try {
        key = keyspace.eventKey(sighting as Sighting, 'sighting');
        if (previousDeviceId !== undefined) checkDeviceSegment(previousDeviceId, 'sighting.previousDeviceId');
      } catch (error) {
        throw namingIndex(error, index);
      }
      if (time > latest) latest = time;
      else mayRepeat = true;
      const expiry = expiries.of(detectorId, time);
      records.push({ key, value: this.values.encode(time, previousDeviceId), expiry });
      if (time < lateBefore) {
        lateBuckets ??= new Map();
        lateBuckets.set(keyspace.lateSightingsKey(detectorId, eventBucket(time)), expiry);
      }
    }
    // The same sighting twice in one batch is one record (etcd refuses a key twice in a txn).
    const distinct = mayRepeat ? withoutRepeatedKeys(records) : records;
    if (lateBuckets === undefined) return this.store.write(distinct);
    // A worker that reads a mark must find every sighting it stands for: the marks go in
    // the sightings' own transaction where the store commits them in one, else after them.
    const withMarks = [...distinct, ...lateMarks(lateBuckets)];
    if (this.store.backend.putIsAtomic?.(withMarks) === true) return this.store.write(withMarks);
    await this.store.write(distinct);
    await this.store.write(lateMarks(lateBuckets));
  }

  list(query: EventQuery): AsyncIterable<Sighting> {
    return eachOf(this.listPages(query));
  }

  listPages(query: EventQuery): AsyncIterable<readonly Sighting[]> {
    const detectorIds = checkDetectorIds(query.detectorIds, 'detectorIds');
    const limit = checkLimit(query.limitPerDetector, 'limitPerDetector');
    const order = checkOrder(query.order, 'newest_first');
    const range = toKeyTimeRange(query.range);
    return this.listDetectors(detectorIds, range, limit, order);
  }

  follow(detectorIds: readonly DetectorId[], signal: AbortSignal): AsyncIterable<Sighting> {
    const wanted = new Set(checkDetectorIds(detectorIds, 'detectorIds'));
    const [only] = wanted;
    if (only === undefined) return emptyIterable();
    // One watch in commit order across all wanted detectors; a single one needs only its prefix.
    const { keyspace } = this.store;
    const prefix = wanted.size === 1 ? keyspace.detectorPrefix(only) : keyspace.detectorsRoot;
    return this.followEntries(this.store.watch(prefix, signal), wanted);
  }

  private async *listDetectors(
    detectorIds: readonly DetectorId[],
    range: KeyTimeRange | undefined,
    limit: number | undefined,
    order: Order,
  ): AsyncGenerator<Sighting[]> {
    if (range === undefined || limit === 0) return;
    for (const detectorId of detectorIds) yield* this.listDetector(detectorId, range, limit, order);
  }

  /**
   * One detector's sightings in `range`, at most `limit`, handed on a batch per page read
   * (one await per page, the entries of a page decoded in one go).
   *
   * Keys order a bucket by ULID millisecond only; within one millisecond the ULID's
   * random part decides. So sightings are gathered per millisecond and sorted by their
   * exact time before they are handed on: the order is exact to the nanosecond.
   */
  private async *listDetector(
    detectorId: DetectorId,
    range: KeyTimeRange,
    limit: number | undefined,
    order: Order,
  ): AsyncGenerator<Sighting[]> {
    const newestFirst = order === 'newest_first';
    // The limit and one more: the entry after the limit's last closes its millisecond.
    const firstRead = limit === undefined ? undefined : limit + 1;
    // Where a reverse read costs the store its whole range, the newest few of a long
    // history are read in spans back from its end, not in one reverse scan.
    const pages =
      newestFirst && firstRead !== undefined && this.store.backend.reverseScanReadsWholeRange === true
        ? this.newestFirstSpans(detectorId, range, firstRead)
        : this.store.scanPages(
            { ...this.store.keyspace.eventRange(detectorId, range), reverse: newestFirst },
            firstRead,
            firstRead === undefined ? undefined : FURTHER_READ_ENTRIES,
          );
    let remaining = limit ?? Infinity;
    let millisecond: StoredSighting[] = [];
    for await (const page of pages) {
      const ready: Sighting[] = [];
      for (const entry of page) {
        const stored = this.decode(entry, detectorId);
        if (stored === undefined || !inKeyTimeRange(stored.sighting.time, range)) continue;
        const previous = millisecond[0];
        if (previous !== undefined && previous.ulidTimeMs !== stored.ulidTimeMs) {
          appendInTimeOrder(millisecond, newestFirst, ready);
          millisecond = [];
        }
        millisecond.push(stored);
      }
      if (ready.length >= remaining) {
        yield ready.slice(0, remaining);
        return;
      }
      remaining -= ready.length;
      if (ready.length > 0) yield ready;
    }
    const last: Sighting[] = [];
    appendInTimeOrder(millisecond, newestFirst, last);
    if (last.length > 0) yield last.slice(0, remaining);
  }

  private newestFirstSpans(
    detectorId: DetectorId,
    range: KeyTimeRange,
    entriesWanted: number,
  ): AsyncGenerator<readonly KvEntry[]> {
    const now = this.late.clock();
    // Every record is kept its retention after the end of its bucket.
    const oldestKept = now - BigInt(this.retentionSeconds + EVENT_BUCKET_SECONDS) * NANOS_PER_SECOND;
    return newestFirstSpans(this.store, detectorId, range, entriesWanted, now, oldestKept, this.spanDensities);
  }

  private async *followEntries(
    entries: AsyncIterable<KvWatchEntry>,
    wanted: ReadonlySet<string>,
  ): AsyncGenerator<Sighting> {
    for await (const entry of entries) {
      // A sighting written again (a detector resending what was not acknowledged, a
      // store retry of a batch that had committed) was followed when first written.
      if (entry.replaced === true) continue;
      const stored = this.decode(entry);
      if (stored !== undefined && wanted.has(stored.sighting.detectorId)) yield stored.sighting;
    }
  }

  /**
   * The sighting an entry holds, or undefined (counted as malformed) when its key or
   * value cannot be read or the two disagree on the time.
   */
  private decode(entry: KvEntry, detectorId?: DetectorId): StoredSighting | undefined {
    const key = this.store.keyspace.parseEventKey(entry.key);
    if (!key.ok) return this.skip(entry, `event key ${key.reason}`);
    const value = this.values.decode(entry.value);
    if (!value.ok) return this.skip(entry, `event ${value.reason}`);
    const { time, previousDeviceId } = value.value;
    const { bucket, ulidTimeMs, deviceId } = key.value;
    const ms = Number(time / NANOS_PER_MILLISECOND);
    if (bucketOfMillisecond(ms) !== bucket) {
      return this.skip(entry, `event time ${time} lies outside the key's bucket ${bucket}`);
    }
    if (ms !== ulidTimeMs) {
      return this.skip(entry, `event time ${time} is not in the key's ULID millisecond ${ulidTimeMs}`);
    }
    // A listed key lies under the queried detector's prefix; a followed one is kept only if its id is wanted.
    const sightingDetector = detectorId ?? (key.value.detectorId as DetectorId);
    const sighting: Sighting =
      previousDeviceId === undefined
        ? { detectorId: sightingDetector, deviceId, time }
        : { detectorId: sightingDetector, deviceId, time, previousDeviceId };
    return { sighting, key: entry.key, ulidTimeMs };
  }

  private skip(entry: KvEntry, reason: string): undefined {
    this.store.malformed.skip(entry.key, reason);
    return undefined;
  }
}

/**
 * The expiry of each detector's bucket, built once per batch and shared by its records,
 * so a backend can expire the bucket as one group. Looked up by detector id (whose hash
 * a string caches) and bucket number, never by building the prefix string per record.
 */
class BucketExpiries {
  private readonly byDetector = new Map<string, Map<number, KvExpiry>>();
  /** The bucket found last, as nanosecond bounds: sightings come in runs of one bucket, matched by comparison alone. */
  private last: { detectorId: string; from: UnixNanos; to: UnixNanos; expiry: KvExpiry } | undefined;

  constructor(
    private readonly keyspace: Keyspace,
    private readonly retentionSeconds: number,
  ) {}

  of(detectorId: string, time: UnixNanos): KvExpiry {
    const last = this.last;
    if (last !== undefined && last.detectorId === detectorId && time >= last.from && time < last.to) {
      return last.expiry;
    }
    const bucket = eventBucket(time);
    const expiry = this.lookUp(detectorId, bucket);
    const from = BigInt(bucket) * NANOS_PER_SECOND;
    this.last = { detectorId, from, to: from + BUCKET_NANOS, expiry };
    return expiry;
  }

  private lookUp(detectorId: string, bucket: number): KvExpiry {
    let byBucket = this.byDetector.get(detectorId);
    if (byBucket === undefined) {
      byBucket = new Map();
      this.byDetector.set(detectorId, byBucket);
    }
    let expiry = byBucket.get(bucket);
    if (expiry === undefined) {
      // Kept for the retention after the bucket's last second, so every event at least that long.
      const atUnixSeconds = bucket + EVENT_BUCKET_SECONDS + this.retentionSeconds;
      expiry = { atUnixSeconds, prefix: this.keyspace.bucketPrefix(detectorId, bucket) };
      byBucket.set(bucket, expiry);
    }
    return expiry;
  }
}

/**
 * One mark per late bucket, all with this append's version, each kept as long as its
 * bucket's sightings (alone in its expiry group: the bucket's prefix lies elsewhere).
 */
function lateMarks(lateBuckets: ReadonlyMap<string, KvExpiry>): KvRecord[] {
  const version = utf8Bytes(newVersion());
  return [...lateBuckets].map(([key, { atUnixSeconds }]) => ({
    key,
    value: version,
    expiry: { atUnixSeconds, prefix: key },
  }));
}

/**
 * The error with its field named by the sighting's index, e.g. `sightings[3].deviceId`;
 * built only when refusing, so the hot path makes no field-name strings.
 */
function namingIndex(error: unknown, index: number): unknown {
  const generic = 'sighting.';
  if (!(error instanceof StoreInvalidArgumentError) || !error.message.startsWith(generic)) return error;
  return new StoreInvalidArgumentError(`sightings[${index}].${error.message.slice(generic.length)}`);
}

function withoutRepeatedKeys(records: readonly KvRecord[]): KvRecord[] {
  const seen = new Set<string>();
  return records.filter((record) => !seen.has(record.key) && seen.add(record.key));
}

/** Appends one millisecond's sightings to `out` by exact time (then key, so equal times keep a stable order). */
function appendInTimeOrder(sightings: StoredSighting[], newestFirst: boolean, out: Sighting[]): void {
  if (sightings.length > 1) {
    sightings.sort((a, b) => {
      const byTime = a.sighting.time < b.sighting.time ? -1 : a.sighting.time > b.sighting.time ? 1 : 0;
      const ascending = byTime !== 0 ? byTime : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return newestFirst ? -ascending : ascending;
    });
  }
  for (const stored of sightings) out.push(stored.sighting);
}

/** The items of `pages`, one at a time. */
async function* eachOf<T>(pages: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const page of pages) yield* page;
}

/** Following no detector: an iteration that ends at once. */
function emptyIterable<T>(): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };
}

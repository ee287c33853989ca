import { NANOS_PER_SECOND, type UnixNanos } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  type LateSightings,
  type NewRecomputeRange,
  type RecomputeQueue,
  type RecomputeRange,
} from '@message-bus/repository';
import { randomBytes } from 'node:crypto';
import { checkIdSegment, prefixEnd } from '../keys/key-segment';
import { EVENT_BUCKET_SECONDS } from '../keys/keyspace';
import { decodeUtf8, utf8Bytes } from '../values/json-object';
import type { KvEntry, KvRecord } from '../kv-backend';
import type { KvStore } from './kv-store';
import { decodeRecomputeValue, encodeRecomputeValue } from '../values/recompute-value';

const BUCKET_NANOS = BigInt(EVENT_BUCKET_SECONDS) * NANOS_PER_SECOND;

/**
 * The recompute queue in the keyspace: late-sightings marks under `late/` (written by
 * `KvEventRepository.append`, with the sightings) and ranges under `recompute/`. Every
 * write carries a fresh random version, so a conditional change (`compareAndSet` on the
 * exact value read) fails once anybody wrote the record again.
 */
export class KvRecomputeQueue implements RecomputeQueue {
  constructor(private readonly store: KvStore) {}

  async add(ranges: readonly NewRecomputeRange[]): Promise<void> {
    if (!Array.isArray(ranges)) throw new StoreInvalidArgumentError('ranges: must be an array');
    await this.store.write(ranges.map((range, index) => this.recordOf(range, `ranges[${index}]`)));
  }

  async pending(destination?: string): Promise<RecomputeRange[]> {
    const { keyspace } = this.store;
    const prefix =
      destination === undefined
        ? keyspace.recomputeRoot
        : keyspace.recomputePrefix(checkIdSegment(destination, 'destination'));
    const ranges: RecomputeRange[] = [];
    for await (const page of this.store.scanPages({ start: prefix, end: prefixEnd(prefix) })) {
      for (const entry of page) {
        const range = this.decodeRange(entry);
        if (range !== undefined) ranges.push(range);
      }
    }
    return ranges;
  }

  async advance(range: RecomputeRange, doneBefore: UnixNanos): Promise<RecomputeRange | undefined> {
    const advanced: RecomputeRange = { ...range, doneBefore, version: newVersion() };
    const { value } = this.recordOf(advanced, 'range');
    return (await this.swapIfUnchanged(range, value)) ? advanced : undefined;
  }

  complete(range: RecomputeRange): Promise<boolean> {
    return this.swapIfUnchanged(range, undefined);
  }

  async lateSightings(limit: number): Promise<LateSightings[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new StoreInvalidArgumentError(`limit: ${limit} is not a whole number ≥ 1`);
    }
    const root = this.store.keyspace.lateRoot;
    const marks: LateSightings[] = [];
    for await (const page of this.store.scanPages({ start: root, end: prefixEnd(root) }, limit)) {
      for (const entry of page) {
        const mark = this.decodeLate(entry);
        if (mark !== undefined) marks.push(mark);
        if (marks.length === limit) return marks;
      }
    }
    return marks;
  }

  async resolveLateSightings(mark: LateSightings, ranges: readonly NewRecomputeRange[]): Promise<boolean> {
    await this.add(ranges);
    const key = this.store.keyspace.lateSightingsKey(mark.detectorId, bucketOf(mark.from));
    return this.store.compareAndSet(key, utf8Bytes(mark.version), undefined);
  }

  private recordOf(range: NewRecomputeRange | RecomputeRange, field: string): KvRecord {
    const key = this.store.keyspace.recomputeKey(range, field);
    const version = 'version' in range ? range.version : newVersion();
    const doneBefore = 'doneBefore' in range ? range.doneBefore : range.from;
    if (range.to <= range.from) {
      throw new StoreInvalidArgumentError(`${field}.to: ${range.to} is not after from (${range.from})`);
    }
    const value = encodeRecomputeValue(
      {
        to: range.to,
        doneBefore,
        version,
        ...(range.sources === undefined ? {} : { sources: range.sources }),
      },
      field,
    );
    return { key, value };
  }

  /**
   * Replaces (or with undefined removes) the range's record if it still holds the version
   * read. The swap compares the stored bytes as read now, not a re-encoding of `range`,
   * so a record written by another encoder (member order, spacing) is still matched.
   */
  private async swapIfUnchanged(range: RecomputeRange, next: Uint8Array | undefined): Promise<boolean> {
    const key = this.store.keyspace.recomputeKey(range);
    const stored = await this.store.get(key);
    if (stored === undefined) return false;
    const current = decodeRecomputeValue(stored);
    if (!current.ok || current.value.version !== range.version) return false;
    return this.store.compareAndSet(key, stored, next);
  }

  private decodeRange(entry: KvEntry): RecomputeRange | undefined {
    const key = this.store.keyspace.parseRecomputeKey(entry.key);
    if (!key.ok) return this.skip(entry, `recompute key ${key.reason}`);
    const value = decodeRecomputeValue(entry.value);
    if (!value.ok) return this.skip(entry, `recompute ${value.reason}`);
    const { to, doneBefore, sources, version } = value.value;
    return {
      ...key.value,
      to,
      doneBefore,
      version,
      ...(sources === undefined ? {} : { sources }),
    };
  }

  private decodeLate(entry: KvEntry): LateSightings | undefined {
    const key = this.store.keyspace.parseLateSightingsKey(entry.key);
    if (!key.ok) return this.skip(entry, `late-sightings key ${key.reason}`);
    const version = decodeUtf8(entry.value);
    if (!version.ok) return this.skip(entry, `late-sightings value ${version.reason}`);
    const from = BigInt(key.value.bucket) * NANOS_PER_SECOND;
    return { detectorId: key.value.detectorId, from, to: from + BUCKET_NANOS, version: version.value };
  }

  private skip(entry: KvEntry, reason: string): undefined {
    this.store.malformed.skip(entry.key, reason);
    return undefined;
  }
}

/** A fresh version for a written mark: 64 random bits, so no two writes share one. */
export function newVersion(): string {
  return randomBytes(8).toString('hex');
}

function bucketOf(time: UnixNanos): number {
  return Number(time / NANOS_PER_SECOND);
}

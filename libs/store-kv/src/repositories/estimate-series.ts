import type { TravelTimeEstimate } from '@message-bus/domain';
import { StoreInvalidArgumentError, type Order, type TimeRange } from '@message-bus/repository';
import { encodeEstimateValue } from '../values/estimate-value';
import { prefixEnd } from '../keys/key-segment';
import { toKeyTimeRange, type KeyTimeRange } from '../keys/key-time';
import type { KeyRange } from '../keys/keyspace';
import type { KvEntry, KvRecord } from '../kv-backend';
import { decodeEntries, type RecordDecoder } from './decoded-records';
import type { KvStore } from './kv-store';
import { checkOrder } from './query-checks';
import { TimeWindowExpiries } from './time-window-expiries';

/**
 * Where one kind of estimate series lives and how its keys read: one series per
 * `Subject` (a link, a route), each estimate keyed by its `intervalEnd`.
 */
export interface EstimateSeriesLayout<Subject, KeyParts> extends RecordDecoder<KeyParts, TravelTimeEstimate> {
  /** The subtree holding every series of this kind. */
  readonly root: string;
  /** An estimate's key; throws `StoreInvalidArgumentError` naming `field` when it does not belong here. */
  keyOf(estimate: TravelTimeEstimate, field: string): string;
  /** The keys of one subject's estimates within `range`. */
  rangeOf(subject: Subject, range: KeyTimeRange): KeyRange;
  /** The prefix shared by every estimate of the estimate's subject. */
  seriesPrefixOf(estimate: TravelTimeEstimate): string;
}

/**
 * Stores and reads time-keyed estimate series over a `KvStore`: the logic shared by
 * link and route travel times. Callers check their subjects and limit, naming their
 * own fields, before they come here.
 */
export class EstimateSeries<Subject, KeyParts> {
  constructor(
    private readonly store: KvStore,
    private readonly retentionSeconds: number,
    private readonly layout: EstimateSeriesLayout<Subject, KeyParts>,
  ) {}

  /** All estimates in one backend write; the same key twice in a batch keeps the last. */
  async put(estimates: readonly TravelTimeEstimate[]): Promise<void> {
    if (!Array.isArray(estimates)) throw new StoreInvalidArgumentError('estimates: must be an array');
    const expiries = new TimeWindowExpiries(this.retentionSeconds);
    const records = new Map<string, KvRecord>();
    estimates.forEach((estimate: TravelTimeEstimate, index) => {
      const field = `estimates[${index}]`;
      const key = this.layout.keyOf(estimate, field);
      const value = encodeEstimateValue(estimate, field);
      records.delete(key); // re-inserted last, as the batch ordered it
      records.set(key, { key, value, expiry: expiries.of(key, estimate.intervalEnd) });
    });
    await this.store.write([...records.values()]);
  }

  /** Up to `limit` estimates of each subject in turn, oldest first unless `order` says otherwise. */
  async list(
    subjects: readonly Subject[],
    limit: number | undefined,
    query: { readonly order?: Order; readonly range?: TimeRange },
  ): Promise<TravelTimeEstimate[]> {
    const newestFirst = checkOrder(query.order, 'oldest_first') === 'newest_first';
    const range = toKeyTimeRange(query.range);
    const estimates: TravelTimeEstimate[] = [];
    if (range === undefined || limit === 0) return estimates;
    for (const subject of subjects) {
      estimates.push(...(await this.read(this.layout.rangeOf(subject, range), newestFirst, limit)));
    }
    return estimates;
  }

  /** The newest estimate of each subject that has one; of every subject when `subjects` is undefined. */
  async latest(subjects: readonly Subject[] | undefined): Promise<TravelTimeEstimate[]> {
    if (subjects === undefined) return this.latestOfEverySubject();
    const latest: TravelTimeEstimate[] = [];
    for (const subject of subjects) {
      const [estimate] = await this.read(this.layout.rangeOf(subject, EVERY_TIME), true, 1);
      if (estimate !== undefined) latest.push(estimate);
    }
    return latest;
  }

  follow(signal: AbortSignal): AsyncIterable<TravelTimeEstimate> {
    return this.decodeAll(this.store.watch(this.layout.root, signal));
  }

  /**
   * A skip scan: the highest key under the root belongs to some subject and is its
   * newest estimate; the next search ends below that subject's prefix, and so on. One
   * short read per subject, however many estimates each holds. Ordered by subject.
   */
  private async latestOfEverySubject(): Promise<TravelTimeEstimate[]> {
    const { root } = this.layout;
    const latest: TravelTimeEstimate[] = [];
    let end = prefixEnd(root);
    for (;;) {
      const [estimate] = await this.read({ start: root, end }, true, 1);
      if (estimate === undefined) return latest.reverse();
      latest.push(estimate);
      end = this.layout.seriesPrefixOf(estimate);
    }
  }

  private async read(range: KeyRange, newestFirst: boolean, limit?: number): Promise<TravelTimeEstimate[]> {
    const estimates: TravelTimeEstimate[] = [];
    for await (const estimate of this.decodeAll(this.store.scan({ ...range, reverse: newestFirst }, limit))) {
      estimates.push(estimate);
      if (estimates.length === limit) break;
    }
    return estimates;
  }

  private decodeAll(entries: AsyncIterable<KvEntry>): AsyncIterable<TravelTimeEstimate> {
    return decodeEntries(entries, this.store.malformed, this.layout);
  }
}

const EVERY_TIME: KeyTimeRange = { after: 0n, before: undefined };

import type { TravelTimeEstimate } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  type EstimateQuery,
  type LinkRef,
  type TravelTimeRepository,
} from '@message-bus/repository';
import { decodeEstimateValue, encodeEstimateValue } from '../values/estimate-value';
import { prefixEnd } from '../keys/key-segment';
import { toKeyTimeRange, type KeyTimeRange } from '../keys/key-time';
import { checkLink, type KeyRange } from '../keys/keyspace';
import type { KvEntry, KvRecord } from '../kv-backend';
import type { KvStore } from './kv-store';
import { checkLimit, checkOrder } from './query-checks';
import { TimeWindowExpiries } from './time-window-expiries';

export class KvTravelTimeRepository implements TravelTimeRepository {
  constructor(
    private readonly store: KvStore,
    private readonly retentionSeconds: number,
  ) {}

  /** All estimates in one backend write; the same (link, intervalEnd) twice in a batch keeps the last. */
  async put(estimates: readonly TravelTimeEstimate[]): Promise<void> {
    if (!Array.isArray(estimates)) throw new StoreInvalidArgumentError('estimates: must be an array');
    const expiries = new TimeWindowExpiries(this.retentionSeconds);
    const records = new Map<string, KvRecord>();
    estimates.forEach((estimate: TravelTimeEstimate, index) => {
      const field = `estimates[${index}]`;
      if (estimate.route !== undefined) {
        throw new StoreInvalidArgumentError(
          `${field}.route: is set; a route's estimate belongs in routeTravelTimes`,
        );
      }
      const key = this.store.keyspace.estimateKey(estimate, field);
      const value = encodeEstimateValue(estimate, field);
      records.delete(key); // re-inserted last, as the batch ordered it
      records.set(key, { key, value, expiry: expiries.of(key, estimate.intervalEnd) });
    });
    await this.store.write([...records.values()]);
  }

  async list(query: EstimateQuery): Promise<TravelTimeEstimate[]> {
    const links = checkLinks(query.links, 'links');
    const limit = checkLimit(query.limitPerLink, 'limitPerLink');
    const newestFirst = checkOrder(query.order, 'oldest_first') === 'newest_first';
    const range = toKeyTimeRange(query.range);
    const estimates: TravelTimeEstimate[] = [];
    if (range === undefined || limit === 0) return estimates;
    for (const link of links) {
      const keyRange = this.store.keyspace.estimateRange(link, range);
      estimates.push(...(await this.readLink(keyRange, newestFirst, limit)));
    }
    return estimates;
  }

  async latest(links?: readonly LinkRef[]): Promise<TravelTimeEstimate[]> {
    if (links === undefined) return this.latestOfEveryLink();
    const latest: TravelTimeEstimate[] = [];
    for (const link of checkLinks(links, 'links')) {
      const keyRange = this.store.keyspace.estimateRange(link, EVERY_TIME);
      const [estimate] = await this.readLink(keyRange, true, 1);
      if (estimate !== undefined) latest.push(estimate);
    }
    return latest;
  }

  follow(signal: AbortSignal): AsyncIterable<TravelTimeEstimate> {
    return this.decodeAll(this.store.watch(this.store.keyspace.travelTimesRoot, signal));
  }

  /**
   * A skip scan: the highest key under the root belongs to some link and is its
   * newest estimate; the next search ends below that link's prefix, and so on. One
   * short read per link, however many estimates each holds. Ordered by link.
   */
  private async latestOfEveryLink(): Promise<TravelTimeEstimate[]> {
    const { keyspace } = this.store;
    const root = keyspace.travelTimesRoot;
    const latest: TravelTimeEstimate[] = [];
    let end = prefixEnd(root);
    for (;;) {
      const [estimate] = await this.readLink({ start: root, end }, true, 1);
      if (estimate === undefined) return latest.reverse();
      latest.push(estimate);
      end = keyspace.estimateLinkPrefix(estimate);
    }
  }

  private async readLink(
    range: KeyRange,
    newestFirst: boolean,
    limit?: number,
  ): Promise<TravelTimeEstimate[]> {
    const estimates: TravelTimeEstimate[] = [];
    for await (const estimate of this.decodeAll(this.store.scan({ ...range, reverse: newestFirst }, limit))) {
      estimates.push(estimate);
      if (estimates.length === limit) break;
    }
    return estimates;
  }

  private async *decodeAll(entries: AsyncIterable<KvEntry>): AsyncGenerator<TravelTimeEstimate> {
    const { keyspace, malformed } = this.store;
    for await (const entry of entries) {
      const key = keyspace.parseEstimateKey(entry.key);
      if (!key.ok) {
        malformed.skip(entry.key, `travel-time key ${key.reason}`);
        continue;
      }
      const estimate = decodeEstimateValue(entry.value, key.value);
      if (!estimate.ok) {
        malformed.skip(entry.key, `travel-time estimate ${estimate.reason}`);
        continue;
      }
      yield estimate.value;
    }
  }
}

const EVERY_TIME: KeyTimeRange = { after: 0n, before: undefined };

function checkLinks(links: unknown, field: string): readonly LinkRef[] {
  if (!Array.isArray(links)) throw new StoreInvalidArgumentError(`${field}: must be an array of links`);
  return (links as readonly LinkRef[]).map((link, index) => checkLink(link, `${field}[${index}]`));
}

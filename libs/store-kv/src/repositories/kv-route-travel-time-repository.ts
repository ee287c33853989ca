import type { RouteName, TravelTimeEstimate } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  type RouteEstimateQuery,
  type RouteTravelTimeRepository,
} from '@message-bus/repository';
import { decodeRouteEstimateValue, encodeEstimateValue } from '../values/estimate-value';
import { checkIdSegment, prefixEnd } from '../keys/key-segment';
import { toKeyTimeRange, type KeyTimeRange } from '../keys/key-time';
import type { KeyRange } from '../keys/keyspace';
import type { KvEntry, KvRecord } from '../kv-backend';
import type { KvStore } from './kv-store';
import { checkLimit, checkOrder } from './query-checks';
import { TimeWindowExpiries } from './time-window-expiries';

/** Route estimates, stored and read like link estimates (`KvTravelTimeRepository`), keyed by route. */
export class KvRouteTravelTimeRepository implements RouteTravelTimeRepository {
  constructor(
    private readonly store: KvStore,
    private readonly retentionSeconds: number,
  ) {}

  /** All estimates in one backend write; the same (route, intervalEnd) twice in a batch keeps the last. */
  async put(estimates: readonly TravelTimeEstimate[]): Promise<void> {
    if (!Array.isArray(estimates)) throw new StoreInvalidArgumentError('estimates: must be an array');
    const expiries = new TimeWindowExpiries(this.retentionSeconds);
    const records = new Map<string, KvRecord>();
    estimates.forEach((estimate: TravelTimeEstimate, index) => {
      const field = `estimates[${index}]`;
      if (estimate.route === undefined) {
        throw new StoreInvalidArgumentError(
          `${field}.route: is missing; a link's estimate belongs in travelTimes`,
        );
      }
      const key = this.store.keyspace.routeEstimateKey(
        { route: estimate.route, intervalEnd: estimate.intervalEnd },
        field,
      );
      const value = encodeEstimateValue(estimate, field);
      records.delete(key); // re-inserted last, as the batch ordered it
      records.set(key, { key, value, expiry: expiries.of(key, estimate.intervalEnd) });
    });
    await this.store.write([...records.values()]);
  }

  async list(query: RouteEstimateQuery): Promise<TravelTimeEstimate[]> {
    const routes = checkRoutes(query.routes, 'routes');
    const limit = checkLimit(query.limitPerRoute, 'limitPerRoute');
    const newestFirst = checkOrder(query.order, 'oldest_first') === 'newest_first';
    const range = toKeyTimeRange(query.range);
    const estimates: TravelTimeEstimate[] = [];
    if (range === undefined || limit === 0) return estimates;
    for (const route of routes) {
      const keyRange = this.store.keyspace.routeEstimateRange(route, range);
      estimates.push(...(await this.readRoute(keyRange, newestFirst, limit)));
    }
    return estimates;
  }

  async latest(routes?: readonly RouteName[]): Promise<TravelTimeEstimate[]> {
    if (routes === undefined) return this.latestOfEveryRoute();
    const latest: TravelTimeEstimate[] = [];
    for (const route of checkRoutes(routes, 'routes')) {
      const keyRange = this.store.keyspace.routeEstimateRange(route, EVERY_TIME);
      const [estimate] = await this.readRoute(keyRange, true, 1);
      if (estimate !== undefined) latest.push(estimate);
    }
    return latest;
  }

  follow(signal: AbortSignal): AsyncIterable<TravelTimeEstimate> {
    return this.decodeAll(this.store.watch(this.store.keyspace.routeTimesRoot, signal));
  }

  /** A skip scan, as `KvTravelTimeRepository` reads the latest of every link: one short read per route. */
  private async latestOfEveryRoute(): Promise<TravelTimeEstimate[]> {
    const { keyspace } = this.store;
    const root = keyspace.routeTimesRoot;
    const latest: TravelTimeEstimate[] = [];
    let end = prefixEnd(root);
    for (;;) {
      const [estimate] = await this.readRoute({ start: root, end }, true, 1);
      if (estimate === undefined) return latest.reverse();
      latest.push(estimate);
      end = keyspace.routeEstimatePrefix(estimate.route!);
    }
  }

  private async readRoute(
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
      const key = keyspace.parseRouteEstimateKey(entry.key);
      if (!key.ok) {
        malformed.skip(entry.key, `route travel-time key ${key.reason}`);
        continue;
      }
      const estimate = decodeRouteEstimateValue(entry.value, key.value);
      if (!estimate.ok) {
        malformed.skip(entry.key, `route travel-time estimate ${estimate.reason}`);
        continue;
      }
      yield estimate.value;
    }
  }
}

const EVERY_TIME: KeyTimeRange = { after: 0n, before: undefined };

function checkRoutes(routes: unknown, field: string): readonly RouteName[] {
  if (!Array.isArray(routes))
    throw new StoreInvalidArgumentError(`${field}: must be an array of route names`);
  return routes.map((route, index) => checkIdSegment(route, `${field}[${index}]`) as RouteName);
}

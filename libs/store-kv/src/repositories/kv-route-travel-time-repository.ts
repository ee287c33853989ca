import type { RouteName, TravelTimeEstimate } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  type RouteEstimateQuery,
  type RouteTravelTimeRepository,
} from '@message-bus/repository';
import { decodeRouteEstimateValue } from '../values/estimate-value';
import { checkIdSegment } from '../keys/key-segment';
import type { RouteEstimateKeyParts } from '../keys/keyspace';
import type { KvStore } from './kv-store';
import { EstimateSeries } from './estimate-series';
import { checkLimit } from './query-checks';

/** Route estimates, stored and read like link estimates (`KvTravelTimeRepository`), keyed by route. */
export class KvRouteTravelTimeRepository implements RouteTravelTimeRepository {
  private readonly series: EstimateSeries<RouteName, RouteEstimateKeyParts>;

  constructor(store: KvStore, retentionSeconds: number) {
    const { keyspace } = store;
    this.series = new EstimateSeries(store, retentionSeconds, {
      root: keyspace.routeTimesRoot,
      keyName: 'route travel-time key',
      valueName: 'route travel-time estimate',
      keyOf(estimate, field) {
        if (estimate.route === undefined) {
          throw new StoreInvalidArgumentError(
            `${field}.route: is missing; a link's estimate belongs in travelTimes`,
          );
        }
        return keyspace.routeEstimateKey({ route: estimate.route, intervalEnd: estimate.intervalEnd }, field);
      },
      rangeOf: (route, range) => keyspace.routeEstimateRange(route, range),
      // Only route estimates decode under this root, so the route is set.
      seriesPrefixOf: (estimate) => keyspace.routeEstimatePrefix(estimate.route!),
      parseKey: (key) => keyspace.parseRouteEstimateKey(key),
      decodeValue: decodeRouteEstimateValue,
    });
  }

  /** All estimates in one backend write; the same (route, intervalEnd) twice in a batch keeps the last. */
  put(estimates: readonly TravelTimeEstimate[]): Promise<void> {
    return this.series.put(estimates);
  }

  async list(query: RouteEstimateQuery): Promise<TravelTimeEstimate[]> {
    const routes = checkRoutes(query.routes, 'routes');
    return this.series.list(routes, checkLimit(query.limitPerRoute, 'limitPerRoute'), query);
  }

  /** Ordered by route when `routes` is undefined. */
  async latest(routes?: readonly RouteName[]): Promise<TravelTimeEstimate[]> {
    return this.series.latest(routes === undefined ? undefined : checkRoutes(routes, 'routes'));
  }

  follow(signal: AbortSignal): AsyncIterable<TravelTimeEstimate> {
    return this.series.follow(signal);
  }
}

function checkRoutes(routes: unknown, field: string): readonly RouteName[] {
  if (!Array.isArray(routes))
    throw new StoreInvalidArgumentError(`${field}: must be an array of route names`);
  return routes.map((route, index) => checkIdSegment(route, `${field}[${index}]`) as RouteName);
}

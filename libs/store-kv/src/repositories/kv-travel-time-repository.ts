import type { TravelTimeEstimate } from '@message-bus/domain';
import {
  StoreInvalidArgumentError,
  type EstimateQuery,
  type LinkRef,
  type TravelTimeRepository,
} from '@message-bus/repository';
import { decodeEstimateValue } from '../values/estimate-value';
import { checkLink, type EstimateKeyParts } from '../keys/keyspace';
import type { KvStore } from './kv-store';
import { EstimateSeries } from './estimate-series';
import { checkLimit } from './query-checks';

/** Link estimates: one series per link, under `/{prefix}/traveltimes/{destination}/{source}/`. */
export class KvTravelTimeRepository implements TravelTimeRepository {
  private readonly series: EstimateSeries<LinkRef, EstimateKeyParts>;

  constructor(store: KvStore, retentionSeconds: number) {
    const { keyspace } = store;
    this.series = new EstimateSeries(store, retentionSeconds, {
      root: keyspace.travelTimesRoot,
      keyName: 'travel-time key',
      valueName: 'travel-time estimate',
      keyOf(estimate, field) {
        if (estimate.route !== undefined) {
          throw new StoreInvalidArgumentError(
            `${field}.route: is set; a route's estimate belongs in routeTravelTimes`,
          );
        }
        return keyspace.estimateKey(estimate, field);
      },
      rangeOf: (link, range) => keyspace.estimateRange(link, range),
      seriesPrefixOf: (estimate) => keyspace.estimateLinkPrefix(estimate),
      parseKey: (key) => keyspace.parseEstimateKey(key),
      decodeValue: decodeEstimateValue,
    });
  }

  /** All estimates in one backend write; the same (link, intervalEnd) twice in a batch keeps the last. */
  put(estimates: readonly TravelTimeEstimate[]): Promise<void> {
    return this.series.put(estimates);
  }

  async list(query: EstimateQuery): Promise<TravelTimeEstimate[]> {
    const links = checkLinks(query.links, 'links');
    return this.series.list(links, checkLimit(query.limitPerLink, 'limitPerLink'), query);
  }

  /** Ordered by link when `links` is undefined. */
  async latest(links?: readonly LinkRef[]): Promise<TravelTimeEstimate[]> {
    return this.series.latest(links === undefined ? undefined : checkLinks(links, 'links'));
  }

  follow(signal: AbortSignal): AsyncIterable<TravelTimeEstimate> {
    return this.series.follow(signal);
  }
}

function checkLinks(links: unknown, field: string): readonly LinkRef[] {
  if (!Array.isArray(links)) throw new StoreInvalidArgumentError(`${field}: must be an array of links`);
  return (links as readonly LinkRef[]).map((link, index) => checkLink(link, `${field}[${index}]`));
}

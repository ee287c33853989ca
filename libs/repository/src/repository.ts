import type {
  Coordinates,
  DetectorId,
  DetectorLink,
  DetectorStatus,
  Sighting,
  TravelTimeEstimate,
  UnixNanos,
} from '@message-bus/domain';
import type { RecomputeQueue } from './recompute-queue';
import type {
  AlertRepository,
  DetectorHealthRepository,
  RouteRepository,
  RouteTravelTimeRepository,
  TypicalProfileRepository,
} from './traffic-products';

/**
 * The port: everything the services need from a store, in domain terms. Adapters
 * (store-kv over etcd or lmdb) implement it; services never see a concrete store.
 *
 * Every method throws only the typed errors of `./errors`: `StoreInvalidArgumentError`,
 * `StoreUnavailableError` (retryable), `StoreQuotaExhaustedError`.
 */
export interface Repository {
  readonly events: EventRepository;
  readonly links: LinkRepository;
  readonly detectors: DetectorRepository;
  readonly travelTimes: TravelTimeRepository;
  /** Estimates to compute again: late sightings, a worker's backlog, operators' requests. */
  readonly recompute: RecomputeQueue;
  /** Named routes (corridors) and their travel-time estimates. */
  readonly routes: RouteRepository;
  readonly routeTravelTimes: RouteTravelTimeRepository;
  /** Typical travel times by time of week, per link and route. */
  readonly profiles: TypicalProfileRepository;
  /** Congestion and detector alerts. */
  readonly alerts: AlertRepository;
  /** Each detector's health as the workers last judged it. */
  readonly detectorHealth: DetectorHealthRepository;
  /**
   * Whether the store answers now, and why not when it does not; and, when it answers
   * reads but refuses writes (etcd out of space), why. Never throws.
   */
  health(): Promise<StoreHealth>;
  /** Waits for pending writes, then releases the store. The repository is unusable afterwards. */
  close(): Promise<void>;
}

export type StoreHealth =
  | {
      readonly reachable: true;
      /**
       * Set while the store answers reads but refuses every write, with why and what
       * frees it; e.g. etcd's NOSPACE alarm. Absent while writes are accepted.
       */
      readonly writesRefused?: string;
    }
  | { readonly reachable: false; readonly reason: string };

/**
 * A time window. `after` is inclusive and `before` exclusive, so consecutive windows
 * never share an instant; either side may be left open. `after` equal to `before` is an
 * empty window; `after` later than `before` is refused with `StoreInvalidArgumentError`.
 */
export interface TimeRange {
  readonly after?: UnixNanos;
  readonly before?: UnixNanos;
}

export type Order = 'newest_first' | 'oldest_first';

export interface EventRepository {
  /**
   * Stores every sighting and resolves once they are durable. Idempotent: a sighting's
   * key derives from (detector, device, time), so appending the same batch again
   * stores nothing new.
   */
  append(sightings: readonly Sighting[]): Promise<void>;
  /**
   * Sightings of each detector in `range`, detector by detector in the order given,
   * each detector's in `order` (default newest first) by exact nanosecond time, at most
   * `limitPerDetector` each (undefined: all; 0: none).
   */
  list(query: EventQuery): AsyncIterable<Sighting>;
  /**
   * The sightings `list` yields, in the same order, handed out a page at a time (never
   * an empty page): one await per page instead of per sighting, for readers that go
   * through many (a detector-hour is thousands).
   */
  listPages(query: EventQuery): AsyncIterable<readonly Sighting[]>;
  /**
   * Sightings of the given detectors appended after the call, in commit order, until
   * `signal` aborts; the iterator then ends without error. Following no detector ends at
   * once. A retried append may deliver its sightings a second time.
   */
  follow(detectorIds: readonly DetectorId[], signal: AbortSignal): AsyncIterable<Sighting>;
}

export interface EventQuery {
  readonly detectorIds: readonly DetectorId[];
  readonly range?: TimeRange;
  readonly limitPerDetector?: number;
  readonly order?: Order;
}

export interface LinkRepository {
  /** Creates the link or replaces its `maxSeconds`. */
  put(link: DetectorLink): Promise<void>;
  /** Resolves to whether the link existed. */
  delete(destination: DetectorId, source: DetectorId): Promise<boolean>;
  /** Every link, or only those into `destination`; ordered by destination, then source. */
  list(destination?: DetectorId): Promise<DetectorLink[]>;
}

export interface DetectorCoordinates {
  readonly detectorId: DetectorId;
  readonly coordinates: Coordinates;
}

export interface DetectorRepository {
  /** Creates or replaces the detector's position. */
  putCoordinates(entry: DetectorCoordinates): Promise<void>;
  getCoordinates(detectorId: DetectorId): Promise<Coordinates | undefined>;
  /** Every detector with a position, ordered by detector id. */
  listCoordinates(): Promise<DetectorCoordinates[]>;
  /** Stores a status report; the same (detector, time) again replaces it. */
  appendStatus(status: DetectorStatus): Promise<void>;
  listStatus(query: StatusQuery): Promise<DetectorStatus[]>;
}

export interface StatusQuery {
  readonly detectorId: DetectorId;
  readonly range?: TimeRange;
  /** Most reports to return; undefined: all, 0: none. */
  readonly limit?: number;
  /** Default newest first. */
  readonly order?: Order;
}

export interface LinkRef {
  readonly source: DetectorId;
  readonly destination: DetectorId;
}

export interface TravelTimeRepository {
  /** Stores estimates; one per (link, intervalEnd), so writing one again replaces it. */
  put(estimates: readonly TravelTimeEstimate[]): Promise<void>;
  /** Estimates of the given links in `range` (by `intervalEnd`), link by link in the order given. */
  list(query: EstimateQuery): Promise<TravelTimeEstimate[]>;
  /** The newest estimate of each given link, or of every link that has one; links without estimates are absent. */
  latest(links?: readonly LinkRef[]): Promise<TravelTimeEstimate[]>;
  /** Estimates put after the call, in commit order, until `signal` aborts. */
  follow(signal: AbortSignal): AsyncIterable<TravelTimeEstimate>;
}

export interface EstimateQuery {
  readonly links: readonly LinkRef[];
  readonly range?: TimeRange;
  /** Most estimates per link; undefined: all, 0: none. */
  readonly limitPerLink?: number;
  /** Default oldest first, the order a chart draws them. */
  readonly order?: Order;
}

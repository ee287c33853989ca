import type {
  Alert,
  AlertKind,
  AlertSeverity,
  DetectorHealth,
  Route,
  RouteName,
  TrafficTarget,
  TravelTimeEstimate,
  TypicalProfile,
} from '@message-bus/domain';
import type { Order, TimeRange } from './repository';

export interface RouteRepository {
  /** Creates the route or replaces its detectors. Whether its pairs are links is the caller's check. */
  put(route: Route): Promise<void>;
  /** Resolves to whether the route existed. */
  delete(name: RouteName): Promise<boolean>;
  get(name: RouteName): Promise<Route | undefined>;
  /** Every route, ordered by name. */
  list(): Promise<Route[]>;
}

/** Route estimates: `TravelTimeEstimate`s with `route` set, kept like link estimates and for as long. */
export interface RouteTravelTimeRepository {
  /** One per (route, intervalEnd): writing one again replaces it. Refuses an estimate without `route`. */
  put(estimates: readonly TravelTimeEstimate[]): Promise<void>;
  /** Estimates of the given routes in `range` (by `intervalEnd`), route by route in the order given. */
  list(query: RouteEstimateQuery): Promise<TravelTimeEstimate[]>;
  /** The newest estimate of each given route, or of every route that has one. */
  latest(routes?: readonly RouteName[]): Promise<TravelTimeEstimate[]>;
  /** Route estimates put after the call, in commit order, until `signal` aborts. */
  follow(signal: AbortSignal): AsyncIterable<TravelTimeEstimate>;
}

export interface RouteEstimateQuery {
  readonly routes: readonly RouteName[];
  readonly range?: TimeRange;
  /** Most estimates per route; undefined: all, 0: none. */
  readonly limitPerRoute?: number;
  /** Default oldest first. */
  readonly order?: Order;
}

export interface TypicalProfileRepository {
  /** Stores the target's profile, replacing the previous one; it expires after the store's profile retention. */
  put(profile: TypicalProfile): Promise<void>;
  get(target: TrafficTarget): Promise<TypicalProfile | undefined>;
}

export interface AlertRepository {
  /** Creates or replaces each alert by `id` (an update of an open alert, or its clearing). */
  put(alerts: readonly Alert[]): Promise<void>;
  get(id: string): Promise<Alert | undefined>;
  /** Alerts matching the query, newest `start` first. */
  list(query?: AlertQuery): Promise<Alert[]>;
  /** Alerts put after the call (raised, updated or cleared), in commit order, until `signal` aborts. */
  follow(signal: AbortSignal): AsyncIterable<Alert>;
}

export interface AlertQuery {
  /** Alerts open at some time in the range. */
  readonly range?: TimeRange;
  /** Only these kinds; undefined or empty: every kind. */
  readonly kinds?: readonly AlertKind[];
  readonly minSeverity?: AlertSeverity;
  readonly openOnly?: boolean;
  /** Most alerts; undefined: all. */
  readonly limit?: number;
}

export interface DetectorHealthRepository {
  /** Replaces each detector's health record. */
  put(health: readonly DetectorHealth[]): Promise<void>;
  /** Every detector's health record, ordered by detector id. */
  list(): Promise<DetectorHealth[]>;
}

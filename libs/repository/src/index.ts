export {
  StoreError,
  StoreInvalidArgumentError,
  StoreUnavailableError,
  StoreQuotaExhaustedError,
  isRetryable,
  type StoreErrorCode,
} from './errors';
export type {
  Repository,
  StoreHealth,
  TimeRange,
  Order,
  EventRepository,
  EventQuery,
  LinkRepository,
  DetectorRepository,
  DetectorCoordinates,
  StatusQuery,
  LinkRef,
  TravelTimeRepository,
  EstimateQuery,
} from './repository';
export type {
  AlertQuery,
  AlertRepository,
  DetectorHealthRepository,
  RouteEstimateQuery,
  RouteRepository,
  RouteTravelTimeRepository,
  TypicalProfileRepository,
} from './traffic-products';
export type { WorkLeases, WorkLease } from './work-leases';
export {
  RECOMPUTE_ORIGINS,
  type RecomputeQueue,
  type RecomputeOrigin,
  type NewRecomputeRange,
  type RecomputeRange,
  type LateSightings,
} from './recompute-queue';

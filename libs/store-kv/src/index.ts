export type { KvBackend, KvEntry, KvWatchEntry, KvRecord, KvExpiry, KvRange, KvHealth } from './kv-backend';
export {
  KvRepository,
  DEFAULT_EVENT_RETENTION_SECONDS,
  DEFAULT_STATUS_RETENTION_SECONDS,
  DEFAULT_TRAVEL_TIME_RETENTION_SECONDS,
  DEFAULT_LATE_AFTER_SECONDS,
  DEFAULT_PROFILE_RETENTION_SECONDS,
  DEFAULT_ALERT_RETENTION_SECONDS,
  type KvRepositoryOptions,
} from './repositories/kv-repository';
export type { MalformedRecordHandler } from './repositories/malformed-records';
export {
  Keyspace,
  EVENT_BUCKET_SECONDS,
  eventBucket,
  eventUlid,
  type EventKeyInput,
  type EventKeyParts,
  type LinkKeyParts,
  type StatusKeyParts,
  type EstimateKeyParts,
  type RouteEstimateKeyParts,
  type LateSightingsKeyParts,
  type RecomputeKeyParts,
  type KeyRange,
} from './keys/keyspace';
export { KEY_TIME_LIMIT, formatKeyTime, type KeyTimeRange } from './keys/key-time';
export {
  idSegmentProblem,
  deviceSegmentProblem,
  prefixEnd,
  MAX_ID_SEGMENT_LENGTH,
  MAX_DEVICE_SEGMENT_LENGTH,
} from './keys/key-segment';
export { EventValueCodec, type EventValue } from './values/event-value';
export { encodeLinkValue, decodeLinkValue, type LinkLimits } from './values/link-value';
export { encodeCoordinatesValue, decodeCoordinatesValue } from './values/coordinates-value';
export { encodeStatusValue, decodeStatusValue } from './values/status-value';
export { encodeEstimateValue, decodeEstimateValue, decodeRouteEstimateValue } from './values/estimate-value';
export { encodeRouteValue, decodeRouteValue } from './values/route-value';
export { encodeProfileValue, decodeProfileValue } from './values/profile-value';
export { encodeAlertValue, decodeAlertValue } from './values/alert-value';
export { encodeDetectorHealthValue, decodeDetectorHealthValue } from './values/detector-health-value';
export {
  encodeUlid,
  encodeUlidTime,
  decodeUlidTime,
  ulidProblem,
  ULID_LENGTH,
  UlidWriter,
} from './keys/ulid';
export type { Parsed } from './parsed';

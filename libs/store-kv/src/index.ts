export type { KvBackend, KvEntry, KvWatchEntry, KvRecord, KvExpiry, KvRange, KvHealth } from './kv-backend';
export {
  KvRepository,
  DEFAULT_EVENT_RETENTION_SECONDS,
  DEFAULT_STATUS_RETENTION_SECONDS,
  DEFAULT_TRAVEL_TIME_RETENTION_SECONDS,
  DEFAULT_LATE_AFTER_SECONDS,
  type KvRepositoryOptions,
} from './kv-repository';
export type { MalformedRecordHandler } from './malformed-records';
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
  type LateSightingsKeyParts,
  type RecomputeKeyParts,
  type KeyRange,
} from './keyspace';
export { KEY_TIME_LIMIT, formatKeyTime, type KeyTimeRange } from './key-time';
export {
  idSegmentProblem,
  deviceSegmentProblem,
  prefixEnd,
  MAX_ID_SEGMENT_LENGTH,
  MAX_DEVICE_SEGMENT_LENGTH,
} from './key-segment';
export { EventValueCodec, type EventValue } from './event-value';
export { encodeLinkValue, decodeLinkValue, type LinkLimits } from './link-value';
export { encodeCoordinatesValue, decodeCoordinatesValue } from './coordinates-value';
export { encodeStatusValue, decodeStatusValue } from './status-value';
export { encodeEstimateValue, decodeEstimateValue } from './estimate-value';
export { encodeUlid, encodeUlidTime, decodeUlidTime, ulidProblem, ULID_LENGTH, UlidWriter } from './ulid';
export type { Parsed } from './parsed';

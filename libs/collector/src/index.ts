/**
 * @message-bus/collector: the CollectorService. `CollectorUseCases` validates,
 * pseudonymises and stores what detectors send (independent of gRPC);
 * `collectorGrpcHandlers` serves it as `collector.CollectorService`; `collectorPart`
 * is that service as a part of a server process (apps/collector, apps/cqserver).
 */
export {
  CollectorUseCases,
  DEFAULT_COLLECTOR_LIMITS,
  type CollectorLimits,
  type CollectorUseCasesOptions,
  type MissingRouteLink,
} from './collector-use-cases';
export { collectorGrpcHandlers } from './collector-grpc-handlers';
export {
  acceptEventLog,
  EventLogRejection,
  REJECTION_REASONS,
  type AcceptedEventLog,
  type EventLogRules,
  type RejectionReason,
  type SightingCounts,
} from './event-log';
export {
  acceptCoordinates,
  acceptDetectorLinkDeletion,
  acceptDetectorLinks,
  acceptDetectorStatus,
} from './detector-requests';
export { GroupCommitWriter, type GroupCommitWriterOptions, type PendingWrites } from './group-commit-writer';
export {
  collectorPart,
  collectorServerOptions,
  privacyOptions,
  type CollectorPartConfig,
} from './collector-part';
export { GENERATED_KEY_FILE, loadPseudonymiser, type KeyFiles, type PrivacySettings } from './privacy-key';
export { nodeKeyFiles } from './node-key-files';

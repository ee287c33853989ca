/**
 * @message-bus/query: the QueryService, what clients read back.
 *
 * QueryService        the use cases over the repository port: getEvents, streamEvents,
 *                     getBatteryVoltage, listDetectors, listLinks.
 * queryGrpcHandlers   the `query.QueryService` gRPC handlers over them.
 * QueryLimits         how much one request may ask for (DEFAULT_QUERY_LIMITS).
 */
export {
  QueryService,
  type DetectorOverview,
  type QueryServiceOptions,
  type VoltageReport,
} from './query-service';
export { queryGrpcHandlers } from './query-grpc-handlers';
export { DEFAULT_QUERY_LIMITS, resolveQueryLimits, type QueryLimits } from './query-limits';
export { parseDetectorQuery, type DetectorQuery, type DetectorQueryInput } from './query-arguments';
export { groupSightings, type SightingGroup } from './sighting-groups';
export { replayThenFollow } from './event-stream';

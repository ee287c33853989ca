/**
 * @message-bus/query: the QueryService, what clients read back.
 *
 * QueryService        the use cases over the repository port: getEvents, streamEvents,
 *                     getBatteryVoltage, listDetectors, listLinks, getTravelTimes,
 *                     getLatestTravelTimes, streamTravelTimes, recomputeTravelTimes, and the
 *                     traffic products: listRoutes, getOriginDestination, getTypicalProfile,
 *                     getReliability, listAlerts, streamAlerts.
 * LinkSelection       which links or routes a travel-time request covers (all, one, into a
 *                     destination; one route, every route).
 * NoTypicalProfileError  a link or route without a typical profile yet.
 * queryGrpcService    the `query.QueryService` gRPC definition and handlers over them;
 *                     QueryAccess decides per call whether device pseudonyms are shown.
 * AnswerLocalDeviceIds device ids that hold within one answer, for callers not shown pseudonyms.
 * QueryLimits         how much one request may ask for (DEFAULT_QUERY_LIMITS), page sizes too.
 * Page                one page of a list RPC and the token of the next.
 * queryPart           the query service as a part of a server process (its options,
 *                     its port); apps/query and apps/cqserver run it.
 */
export {
  QueryService,
  type AlertListInput,
  type DetectorOverview,
  type OriginDestinationAnswer,
  type QueryServiceOptions,
  type ReliabilityAnswer,
  type VoltageReport,
} from './query-service';
export { NoTypicalProfileError } from './traffic/no-typical-profile-error';
export {
  parseOriginDestinationQuery,
  parseTrafficTarget,
  type AlertFilter,
  type OriginDestinationInput,
  type OriginDestinationQuery,
  type TrafficTargetInput,
} from './traffic/traffic-arguments';
export { queryGrpcService, type QueryAccess, type QueryGrpcHandlers } from './query-grpc-handlers';
export { AnswerLocalDeviceIds, type DeviceIdDisclosure } from './answer-local-device-ids';
export {
  RecomputeRefusedError,
  type RecomputeProgress,
  type RecomputeRequestInput,
} from './recompute-travel-times';
export { type Page, type PageRequestInput } from './list-paging';
export { DEFAULT_QUERY_LIMITS, resolveQueryLimits, type QueryLimits } from './query-limits';
export {
  parseDetectorQuery,
  parseTravelTimeQuery,
  type DetectorQuery,
  type DetectorQueryInput,
  type TravelTimeQuery,
  type TravelTimeQueryInput,
} from './query-arguments';
export {
  isRouteSelection,
  isSelected,
  parseLinkSelection,
  selectedLinks,
  selectedRoutes,
  type LinkSelection,
  type LinkSelectorInput,
  type LinksOnlySelection,
  type RouteSelection,
} from './link-selection';
export { groupSightings, type GroupedSightings } from './sighting-groups';
export { replayThenFollow } from './event-stream';
export { queryPart, queryServerOptions } from './query-part';
export { checkQueryTokens, queryAccessFor, queryPortTokens, type QueryTokens } from './query-access';

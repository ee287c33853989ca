/**
 * The message-bus wire contract (proto/collector.proto, proto/query.proto) as ts-proto
 * stubs for grpc-js. Each proto package is a namespace, because both define a
 * `DetectionEvent`: `collector.EventLog`, `collector.CollectorServiceClient`,
 * `query.QueryServiceService`, ...
 */
export * as collector from './generated/collector';
export * as query from './generated/query';
export { Empty } from './generated/google/protobuf/empty';
export { Timestamp } from './generated/google/protobuf/timestamp';
export { FILE_DESCRIPTOR_SET_BASE64 } from './generated/descriptor-set';

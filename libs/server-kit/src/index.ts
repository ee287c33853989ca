/**
 * @message-bus/server-kit: what every message-bus server process shares. Nothing here
 * reads process state: apps pass argv, env, a file reader and `process` in.
 *
 * Config     loadConfig(declarations, { argv, env, readFile }) layers defaults < YAML
 *            (--config_file) < environment < flags into values typed by the declarations;
 *            formatHelp / formatOptionsMarkdown print the same declarations; every
 *            server's own options come in groups (runtimeOptions, tlsOptions, ...).
 * Parts      ServerPart: what a service lib contributes to a server (its options, its
 *            gRPC service, its start and stop); @message-bus/runtime runs them.
 * Logging    createLogger({ name, level }): pino JSON lines on stdout, device-id fields redacted;
 *            routeGrpcLogging(logger) sends grpc-js's own log there, credentials cut out.
 * Metrics    ServerMetrics (own registry; message_bus_* and the grpc_server_* convention) and
 *            startMetricsServer (/metrics, /healthz; HTTPS with tls).
 * gRPC       startGrpcServer({ name, address, services, metrics, interceptors, tls }) with
 *            bearerTokenInterceptor, addReflection; toGrpcError is the
 *            one error → status mapping; GrpcStatusError for a handler's own rejections.
 * Shutdown   ShutdownCoordinator: ordered steps with timeouts, run once, on SIGTERM/SIGINT.
 */
export { ALL_INTERFACES, formatAddress, parseAddress, type Address } from './address';
export { listening } from './listening';
export { parseDuration } from './duration';
export {
  ConfigError,
  configFileOption,
  defineOptions,
  envName,
  loadConfig,
  loggableConfig,
  pickConfig,
  type ConfigInput,
  type ConfigSource,
  type ConfigValues,
  type EnumOption,
  type IntegerOption,
  type LoadedConfig,
  type OptionDeclaration,
  type OptionKind,
  type OptionKindValues,
} from './config';
export { formatHelp, formatOptionsMarkdown } from './config-help';
export { closestName } from './closest-name';
export { healthcheckServerOptions, runtimeOptions, tlsOptions } from './server-options';
export {
  ReportedExit,
  runProgram,
  type ProgramProcess,
  type ProgramSpec,
  type RunProgramOptions,
} from './process-life';
export {
  defineServerPart,
  type LocalService,
  type PartGrpcService,
  type PartHost,
  type PartService,
  type PreparedPart,
  type RunningPart,
  type ServerPart,
  type StoreFacts,
} from './server-part';
export { createLogger, REDACTED_LOG_PATHS, type Logger, type LoggerOptions, type LogLevel } from './logger';
export { grpcJsLogger, redactCredentials, routeGrpcLogging } from './grpc-logging';
export {
  aggregateMetrics,
  ServerMetrics,
  splitMethodPath,
  type MetricsSnapshot,
  type ServerMetricsOptions,
  type StoreOutcome,
} from './metrics';
export { startMetricsServer, type MetricsServer, type MetricsSource } from './metrics-server';
export { GrpcStatusError, toGrpcError } from './status';
export {
  bearerTokenInterceptor,
  presentsBearerToken,
  OPEN_SERVICES,
  type BearerTokenOptions,
} from './interceptors';
export { checkTlsPortChoice, readTlsFiles, type TlsFiles, type TlsPaths, type TlsPortChoice } from './tls';
export {
  startGrpcServer,
  type GrpcServerOptions,
  type RunningGrpcServer,
  type ServiceRegistration,
} from './grpc-server';
export { addReflection, type ProtoDescriptors, type ReflectionOptions } from './reflection';
export {
  ShutdownCoordinator,
  type ShutdownCoordinatorOptions,
  type ShutdownReport,
  type ShutdownStepOptions,
  type SignalTarget,
} from './shutdown';

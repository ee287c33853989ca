import { CollectorUseCases, collectorGrpcHandlers } from '@message-bus/collector';
import { HealthService, StoreHealthMonitor } from '@message-bus/healthcheck';
import { collector, FILE_DESCRIPTOR_SET_BASE64 } from '@message-bus/proto';
import { QueryService, queryGrpcService } from '@message-bus/query';
import type { Repository, WorkLeases } from '@message-bus/repository';
import {
  addReflection,
  bearerTokenInterceptor,
  checkTlsPortChoice,
  ConfigError,
  createLogger,
  formatAddress,
  formatHelp,
  loadConfig,
  loggableConfig,
  metricsInterceptor,
  readTlsFiles,
  routeGrpcLogging,
  ServerMetrics,
  ShutdownCoordinator,
  startGrpcServer,
  startMetricsServer,
  type Address,
  type Logger,
  type RunningGrpcServer,
  type ServiceRegistration,
  type SignalTarget,
  type TlsFiles,
} from '@message-bus/server-kit';
import { DEFAULT_LATE_AFTER_SECONDS } from '@message-bus/store-kv';
import { TravelTimeWorker } from '@message-bus/traveltime';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { nodeKeyFiles } from './node-key-files';
import { openRepository } from './open-repository';
import { openWorkLeases } from './open-work-leases';
import { portSecurityLine } from './port-security';
import { checkServerTokens, queryAccessFor, queryPortTokens } from './query-access';
import { loadPseudonymiser } from './privacy-key';
import { serverOptionsFor, type ServedRole, type ServerConfig } from './server-options';

export interface ServerAppSpec {
  /** Program name, e.g. `cqserver`; also the `app` label of its metrics. */
  readonly name: string;
  readonly description: string;
  /** The services it serves besides health (always served, on healthcheck_port). */
  readonly roles: readonly ServedRole[];
  readonly version: string;
  readonly commit: string;
}

/** What of the process a server app uses; `process` itself in production. */
export interface ServerProcess extends SignalTarget {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Names this process as a travel-time worker, with the host name; `process.pid`. */
  readonly pid?: number;
}

/** Ports the process listens on, as bound (port 0 asks the system for a free one). */
export interface BoundPorts {
  collector?: number;
  query?: number;
  healthcheck: number;
  metrics?: number;
}

/** The gRPC service of each role that serves one; the travel-time worker serves none. */
const SERVICE_NAMES = {
  collector: 'collector.CollectorService',
  query: 'query.QueryService',
} as const satisfies Partial<Record<ServedRole, string>>;

const MS_PER_SECOND = 1000;

/** In-flight calls get this long to finish on SIGTERM before they are cancelled. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The whole life of a server process: config (defaults < YAML < env < flags), `--help`
 * and `--version`, the store, the services of `spec.roles` on their ports, health,
 * metrics, and a graceful shutdown on SIGTERM/SIGINT. Invalid config, and a port
 * already in use at start, print one line and exit 2; any other failure to start prints
 * one line and exits 1.
 */
export async function runServerApp(spec: ServerAppSpec, proc: ServerProcess): Promise<void> {
  const args = proc.argv.slice(2);
  if (args.includes('--version')) {
    proc.stdout.write(`${spec.name} ${spec.version} (${spec.commit})\n`);
    return;
  }
  const declarations = serverOptionsFor(spec.roles);
  try {
    const loaded = loadConfig(declarations, {
      argv: args,
      env: proc.env,
      readFile: (path) => readFileSync(path, 'utf8'),
    });
    if (loaded.help) {
      proc.stdout.write(formatHelp(spec.name, spec.description, declarations));
      return;
    }
    const config = loaded.values as ServerConfig;
    const logger = createLogger({ name: spec.name, level: config.log_level });
    // grpc-js's logger is process-global: set once here, where the process's logger is made.
    routeGrpcLogging(logger);
    logger.info(
      { version: spec.version, commit: spec.commit, config: loggableConfig(declarations, config) },
      'starting',
    );
    await startServers(spec, config, logger, proc);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // One line, whatever a library put in its message: operators and tests read the first.
    const line = message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    proc.stderr.write(`${spec.name}: ${line}\n`);
    proc.exit(error instanceof ConfigError ? 2 : 1);
  }
}

async function startServers(
  spec: ServerAppSpec,
  config: ServerConfig,
  logger: Logger,
  proc: ServerProcess,
): Promise<void> {
  const serves = (role: ServedRole) => spec.roles.includes(role);
  checkServerTokens(config);
  // Fail on a bad key before anything is opened or bound.
  const pseudonymiser = serves('collector') ? loadPseudonymiser(config, nodeKeyFiles) : undefined;
  const tls = readTlsFiles({ certFile: config['tls.cert_file'], keyFile: config['tls.key_file'] }, (path) =>
    readFileSync(path),
  );
  // Health and metrics stay plaintext unless asked (kubelet's gRPC probe cannot speak TLS);
  // apps without a service port declare no TLS options, so theirs are undefined: plaintext.
  const tlsPorts = {
    healthcheck: config['tls.healthcheck'] === true,
    metrics: config['tls.metrics'] === true,
  };
  checkTlsPortChoice(tls, tlsPorts);
  const metrics = new ServerMetrics({ defaultLabels: { app: spec.name } });
  // With a worker in this process, sightings count as late from a third of its lag on, so
  // the rest of the lag covers the write; a collector alone keeps the store's default.
  const repository = openRepository(
    config,
    logger,
    serves('traveltime')
      ? Math.min(DEFAULT_LATE_AFTER_SECONDS, config['traveltime.lag'] / MS_PER_SECOND / 3)
      : undefined,
    metrics,
  );
  const shutdown = new ShutdownCoordinator({ logger });
  const monitor = new StoreHealthMonitor(repository, { logger });
  const health = new HealthService({
    services: spec.roles.flatMap((role) => (role === 'traveltime' ? [] : [SERVICE_NAMES[role]])),
    writingServices: spec.roles.includes('collector') ? [SERVICE_NAMES.collector] : [],
    monitor,
    logger,
  });
  monitor.start();
  shutdown.add('health NOT_SERVING', () => health.beginShutdown());

  const servers: RunningGrpcServer[] = [];
  const ports: BoundPorts = { healthcheck: 0 };
  let workLeases: WorkLeases | undefined;
  let travelTimeWorker: TravelTimeWorker | undefined;
  try {
    let collectorUseCases: CollectorUseCases | undefined;
    if (pseudonymiser !== undefined) {
      collectorUseCases = new CollectorUseCases({
        repository,
        pseudonymiser,
        metrics,
        logger,
        eventRetentionSeconds: config.retention / MS_PER_SECOND,
      });
      const server = await startServiceServer({
        option: 'collector_port',
        address: requireAddress(config.collector_port, 'collector_port'),
        service: {
          definition: collector.CollectorServiceService,
          implementation: collectorGrpcHandlers(collectorUseCases, logger),
        },
        serviceName: SERVICE_NAMES.collector,
        tokens: config.collector_token === undefined ? [] : [config.collector_token],
        health,
        metrics,
        tls,
        logger,
      });
      servers.push(server);
      ports.collector = server.port;
    }
    if (serves('query')) {
      const queryService = new QueryService({
        repository,
        logger,
        eventRetentionSeconds: config.retention / MS_PER_SECOND,
      });
      const server = await startServiceServer({
        option: 'query_port',
        address: requireAddress(config.query_port, 'query_port'),
        service: queryGrpcService(queryService, logger, queryAccessFor(config)),
        serviceName: SERVICE_NAMES.query,
        tokens: queryPortTokens(config),
        health,
        metrics,
        tls,
        logger,
      });
      servers.push(server);
      ports.query = server.port;
    }
    const healthServer = await listening('healthcheck_port', config.healthcheck_port, (address) =>
      startGrpcServer({
        address,
        services: [health],
        interceptors: [metricsInterceptor(metrics)],
        tls: tlsPorts.healthcheck ? tls : undefined,
        logger,
      }),
    );
    servers.push(healthServer);
    ports.healthcheck = healthServer.port;

    if (serves('traveltime')) {
      // Started last, once nothing else can fail; stopped first, so another worker can
      // take its destinations over at once instead of after the lease TTL.
      const workerId = `${spec.name}@${hostname()}:${proc.pid ?? 0}`;
      const leases = openWorkLeases(config, workerId);
      workLeases = leases;
      const worker = new TravelTimeWorker({
        repository,
        leases,
        logger,
        metrics,
        workerId,
        intervalSeconds: config['traveltime.interval'] / MS_PER_SECOND,
        lagSeconds: config['traveltime.lag'] / MS_PER_SECOND,
        leaseTtlSeconds: config['traveltime.lease_ttl'] / MS_PER_SECOND,
        estimatorConfig: {
          measure: config['traveltime.measure'],
          maxSpeedKmh: config['traveltime.max_speed_kmh'],
        },
        sightingRetentionSeconds: Math.max(1, Math.round(config.retention / MS_PER_SECOND)),
      });
      shutdown.add('stop the travel-time worker, release its destinations', async () => {
        await worker.stop();
        await leases.close();
      });
      travelTimeWorker = worker;
    }
    shutdown.add('stop gRPC servers, let in-flight calls finish', async () => {
      await Promise.all(servers.map((server) => server.shutdown(SHUTDOWN_GRACE_MS)));
    });
    if (collectorUseCases !== undefined) {
      const useCases = collectorUseCases;
      shutdown.add('commit acknowledged writes', () => useCases.close());
    }
    const metricsServer =
      config.metrics_port === undefined
        ? undefined
        : await listening('metrics_port', config.metrics_port, (address) =>
            startMetricsServer(metrics, address, logger, tlsPorts.metrics ? tls : undefined),
          );
    if (metricsServer !== undefined) ports.metrics = metricsServer.port;
    shutdown.add('stop store health probes', () => monitor.stop());
    shutdown.add('close the store', () => repository.close());
    if (metricsServer !== undefined) shutdown.add('stop metrics', () => metricsServer.close());
    travelTimeWorker?.start();
  } catch (error) {
    await workLeases?.close();
    await abandonStartup(servers, monitor, repository);
    throw error;
  }
  shutdown.onSignals(proc);
  const security = portSecurityLine({
    collector_port: ports.collector === undefined ? undefined : tls !== undefined,
    query_port: ports.query === undefined ? undefined : tls !== undefined,
    healthcheck_port: tlsPorts.healthcheck,
    metrics_port: ports.metrics === undefined ? undefined : tlsPorts.metrics,
  });
  logger.info(security.fields, security.message);
  logger.info({ ports }, 'ready');
}

interface ServiceServerOptions {
  /** The option that names the address, for errors. */
  readonly option: string;
  readonly address: Address;
  readonly service: ServiceRegistration;
  readonly serviceName: string;
  /** The bearer tokens the port admits; none: every client. */
  readonly tokens: readonly string[];
  readonly health: HealthService;
  readonly metrics: ServerMetrics;
  readonly tls: TlsFiles | undefined;
  readonly logger: Logger;
}

/**
 * One gRPC port: the service, health and reflection, metrics first, then the token check.
 * Without a token on an address other machines can reach, it warns once it listens.
 */
async function startServiceServer(options: ServiceServerOptions): Promise<RunningGrpcServer> {
  const { tokens, metrics } = options;
  const running = await listening(options.option, options.address, (address) =>
    startGrpcServer({
      address,
      services: [
        options.service,
        options.health,
        {
          addToServer: (server) =>
            addReflection(server, Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64'), {
              services: [options.serviceName],
            }),
        },
      ],
      interceptors: [
        metricsInterceptor(metrics),
        ...(tokens.length === 0 ? [] : [bearerTokenInterceptor(tokens)]),
      ],
      tls: options.tls,
      logger: options.logger,
    }),
  );
  if (tokens.length === 0 && !isLoopback(options.address.host)) {
    options.logger.warn(
      {
        service: options.serviceName,
        address: formatAddress({ host: options.address.host, port: running.port }),
      },
      'serving without a token on a non-loopback address: any client that can reach it can call it',
    );
  }
  return running;
}

/** `localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped): only this machine can connect. */
function isLoopback(host: string): boolean {
  const lower = host.toLowerCase();
  return (
    lower === 'localhost' ||
    lower === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(lower) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(lower)
  );
}

/**
 * Starts a listener on the option's address. An address already in use is a one-line
 * error naming the option, with exit code 2 like invalid config: another process holds
 * the port, and the fix is the configuration or that process, not a restart.
 */
async function listening<T>(
  option: string,
  address: Address,
  start: (address: Address) => Promise<T>,
): Promise<T> {
  try {
    return await start(address);
  } catch (error) {
    if (isAddressInUse(error)) {
      throw new ConfigError(`${option}: ${formatAddress(address)} is already in use`, { option });
    }
    throw error;
  }
}

/** grpc-js reports EADDRINUSE in its message only; node:net as the error's code. */
function isAddressInUse(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EADDRINUSE' || cause.message.includes('EADDRINUSE')) {
      return true;
    }
  }
  return false;
}

function requireAddress(address: Address | undefined, option: string): Address {
  if (address === undefined) throw new ConfigError(`${option}: is required`, { option });
  return address;
}

async function abandonStartup(
  servers: readonly RunningGrpcServer[],
  monitor: StoreHealthMonitor,
  repository: Repository,
): Promise<void> {
  await Promise.all(servers.map((server) => server.shutdown(0)));
  monitor.stop();
  await repository.close();
}

import { HealthService, StoreHealthMonitor } from '@message-bus/healthcheck';
import { FILE_DESCRIPTOR_SET_BASE64 } from '@message-bus/proto';
import type { Repository } from '@message-bus/repository';
import {
  addReflection,
  bearerTokenInterceptor,
  checkTlsPortChoice,
  formatAddress,
  healthcheckServerOptions,
  listening,
  pickConfig,
  readTlsFiles,
  runProgram,
  runtimeOptions,
  ServerMetrics,
  ShutdownCoordinator,
  startGrpcServer,
  startMetricsServer,
  tlsOptions,
  type Address,
  type LocalService,
  type Logger,
  type OptionDeclaration,
  type PreparedPart,
  type ProgramProcess,
  type RunningGrpcServer,
  type RunningPart,
  type ServerPart,
  type ServiceRegistration,
  type StoreFacts,
  type TlsFiles,
} from '@message-bus/server-kit';
import { DEFAULT_LATE_AFTER_SECONDS } from '@message-bus/store-kv';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { openRepository } from './open-repository';
import { openSharedWorkLeases } from './open-work-leases';
import { portSecurityLine } from './port-security';
import { checkDistinctTokens } from './server-tokens';
import { storeOptions } from './store-options';

export interface ServerAppSpec {
  /** Program name, e.g. `cqserver`; also the `app` label of its metrics. */
  readonly name: string;
  readonly description: string;
  /** What it does besides serving health (always served, on healthcheck_port). */
  readonly parts: readonly ServerPart[];
  readonly version: string;
  readonly commit: string;
}

/** What of the process a server app uses; `process` itself in production. */
export interface ServerProcess extends ProgramProcess {
  /** Names this process among the others sharing the store, with the host name; `process.pid`. */
  readonly pid?: number;
}

/** Ports the process listens on, as bound (port 0 asks the system for a free one), by part. */
export type BoundPorts = Record<string, number>;

const MS_PER_SECOND = 1000;

/** In-flight calls get this long to finish on SIGTERM before they are cancelled. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The options of a server running `parts`: theirs first, then what every server has
 * (health port, store, TLS when a part serves a port, logging and metrics).
 */
export function serverOptions(parts: readonly ServerPart[]): readonly OptionDeclaration[] {
  const servesPort = parts.some((part) => part.grpcService !== undefined);
  return [
    ...parts.flatMap((part) => part.options),
    ...healthcheckServerOptions,
    ...storeOptions,
    ...(servesPort ? tlsOptions : []),
    ...runtimeOptions,
  ];
}

/**
 * The whole life of a server process: config (defaults < YAML < env < flags), `--help`
 * and `--version`, the store, each part and its port, health, metrics, and a graceful
 * shutdown on SIGTERM/SIGINT. Invalid config, and a port already in use at start, print
 * one line and exit 2; any other failure to start prints one line and exits 1.
 */
export async function runServerApp(spec: ServerAppSpec, proc: ServerProcess): Promise<void> {
  const declarations = serverOptions(spec.parts);
  await runProgram(spec, declarations, proc, async (values, logger) => {
    checkDistinctTokens(declarations, values);
    await startServers(spec, values, logger, proc);
  });
}

async function startServers(
  spec: ServerAppSpec,
  values: Readonly<Record<string, unknown>>,
  logger: Logger,
  proc: ServerProcess,
): Promise<void> {
  const store = pickConfig(storeOptions, values);
  const storeFacts: StoreFacts = {
    kind: store.store,
    dataDir: store.data_dir,
    eventRetentionSeconds: store.retention / MS_PER_SECOND,
  };
  // Parts check their config and read their files (the privacy key) before anything is opened or bound.
  const prepared = spec.parts.map((part): [ServerPart, PreparedPart] => [
    part,
    part.prepare(pickConfig(part.options, values), storeFacts),
  ]);
  const { healthcheck_port: healthAddress } = pickConfig(healthcheckServerOptions, values);
  const { metrics_port: metricsAddress } = pickConfig(runtimeOptions, values);
  const tlsConfig = spec.parts.some((part) => part.grpcService !== undefined)
    ? pickConfig(tlsOptions, values)
    : undefined;
  const tls = readTlsFiles(
    { certFile: tlsConfig?.['tls.cert_file'], keyFile: tlsConfig?.['tls.key_file'] },
    (path) => readFileSync(path),
  );
  // Health and metrics stay plaintext unless asked (kubelet's gRPC probe cannot speak TLS).
  const tlsPorts = {
    healthcheck: tlsConfig?.['tls.healthcheck'] === true,
    metrics: tlsConfig?.['tls.metrics'] === true,
  };
  checkTlsPortChoice(tls, tlsPorts);
  const metrics = new ServerMetrics({
    defaultLabels: { app: spec.name },
    build: { version: spec.version, commit: spec.commit },
  });
  const lateAfter = prepared.flatMap(([, part]) =>
    part.lateAfterSeconds === undefined ? [] : [part.lateAfterSeconds],
  );
  const repository = openRepository(
    store,
    logger,
    lateAfter.length === 0 ? undefined : Math.min(DEFAULT_LATE_AFTER_SECONDS, ...lateAfter),
    metrics,
  );
  const grpcServices = spec.parts.flatMap((part) =>
    part.grpcService === undefined ? [] : [part.grpcService],
  );
  const shutdown = new ShutdownCoordinator({ logger });
  const monitor = new StoreHealthMonitor(repository, { logger });
  const health = new HealthService({
    services: grpcServices.map((service) => service.name),
    writingServices: grpcServices.filter((service) => service.writes).map((service) => service.name),
    monitor,
    logger,
  });
  monitor.start();
  shutdown.add('health NOT_SERVING', () => health.beginShutdown());

  const processName = `${spec.name}@${hostname()}:${proc.pid ?? 0}`;
  const servers: RunningGrpcServer[] = [];
  const ports: BoundPorts = {};
  const localServices = new Map<string, LocalService>();
  const running: Array<{ readonly name: string; readonly part: RunningPart }> = [];
  /** The option of each service port that listens: all of them serve TLS when files are given. */
  const servicePortOptions: string[] = [];
  try {
    for (const [part, preparedPart] of prepared) {
      const runningPart = await preparedPart.start({
        repository,
        logger,
        metrics,
        processName,
        sharedWorkLeases: () => openSharedWorkLeases(store, processName),
        localService: (partName) => localServices.get(partName),
        tls,
      });
      running.push({ name: part.name, part: runningPart });
      Object.assign(ports, runningPart.listening);
      const service = runningPart.service;
      if (part.grpcService === undefined || service === undefined) continue;
      const server = await startServiceServer({
        option: service.portOption,
        address: service.address,
        service: service.registration,
        serviceName: part.grpcService.name,
        tokens: service.tokens,
        health,
        metrics,
        tls,
        logger,
      });
      servers.push(server);
      ports[part.name] = server.port;
      localServices.set(part.name, { port: server.port, tokens: service.tokens });
      servicePortOptions.push(service.portOption);
    }
    const healthServer = await listening('healthcheck_port', healthAddress, (address) =>
      startGrpcServer({
        name: 'grpc.health.v1.Health',
        address,
        services: [health],
        metrics,
        tls: tlsPorts.healthcheck ? tls : undefined,
        logger,
      }),
    );
    servers.push(healthServer);
    ports['healthcheck'] = healthServer.port;

    for (const { name, part } of running) {
      const stop = part.stopBeforePorts?.bind(part);
      if (stop !== undefined) shutdown.add(`${name}: stop before the ports close`, stop);
    }
    shutdown.add('stop gRPC servers, let in-flight calls finish', async () => {
      await Promise.all(servers.map((server) => server.shutdown(SHUTDOWN_GRACE_MS)));
    });
    for (const { name, part } of running) {
      const stop = part.stopAfterPorts?.bind(part);
      if (stop !== undefined) shutdown.add(`${name}: stop once in-flight calls are done`, stop);
    }
    const metricsServer =
      metricsAddress === undefined
        ? undefined
        : await listening('metrics_port', metricsAddress, (address) =>
            startMetricsServer(metrics, address, logger, tlsPorts.metrics ? tls : undefined),
          );
    if (metricsServer !== undefined) ports['metrics'] = metricsServer.port;
    shutdown.add('stop store health probes', () => monitor.stop());
    shutdown.add('close the store', () => repository.close());
    if (metricsServer !== undefined) shutdown.add('stop metrics', () => metricsServer.close());
    // Last, once nothing else can fail: a worker started here is stopped first on shutdown.
    for (const { part } of running) part.begin?.();
  } catch (error) {
    await abandonStartup(servers, monitor, repository);
    throw error;
  }
  shutdown.onSignals(proc);
  const partPortOptions = running.flatMap(({ part }) =>
    Object.keys(part.listening ?? {}).map((name) => `${name}_port`),
  );
  const security = portSecurityLine({
    ...Object.fromEntries(
      [...servicePortOptions, ...partPortOptions].map((option) => [option, tls !== undefined]),
    ),
    healthcheck_port: tlsPorts.healthcheck,
    metrics_port: ports['metrics'] === undefined ? undefined : tlsPorts.metrics,
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
      name: options.serviceName,
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
      metrics,
      interceptors: tokens.length === 0 ? [] : [bearerTokenInterceptor(tokens, { logger: options.logger })],
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

async function abandonStartup(
  servers: readonly RunningGrpcServer[],
  monitor: StoreHealthMonitor,
  repository: Repository,
): Promise<void> {
  await Promise.all(servers.map((server) => server.shutdown(0)));
  monitor.stop();
  await repository.close();
}

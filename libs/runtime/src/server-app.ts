import { HealthService, StoreHealthMonitor } from '@message-bus/healthcheck';
import { FILE_DESCRIPTOR_SET_BASE64 } from '@message-bus/proto';
import type { Repository, StoreHealth } from '@message-bus/repository';
import {
  addReflection,
  aggregateMetrics,
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
  type PartHost,
  type MetricsServer,
  type MetricsSource,
  type OptionDeclaration,
  type PartGrpcService,
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
import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { WORKER_SLOT_ENV, type WorkerListening } from './cluster-messages';
import { CommitRelay, RelayHub } from './commit-relay';
import { openRepository, type StoreSettings } from './open-repository';
import { openSharedWorkLeases } from './open-work-leases';
import { portSecurityLine } from './port-security';
import { PrimaryLink } from './primary-link';
import { checkDistinctTokens } from './server-tokens';
import { storeOptions } from './store-options';
import { workerCount, workerOptions } from './worker-options';
import { WorkerSupervisor } from './worker-supervisor';

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
 * (health port, store, TLS and `--workers` when a part serves a port, logging and metrics).
 */
export function serverOptions(parts: readonly ServerPart[]): readonly OptionDeclaration[] {
  const servesPort = parts.some((part) => part.grpcService !== undefined);
  return [
    ...parts.flatMap((part) => part.options),
    ...healthcheckServerOptions,
    ...storeOptions,
    ...(servesPort ? tlsOptions : []),
    ...(servesPort ? workerOptions : []),
    ...runtimeOptions,
  ];
}

/**
 * The whole life of a server process: config (defaults < YAML < env < flags), `--help`
 * and `--version`, the store, each part and its port, health, metrics, and a graceful
 * shutdown on SIGTERM/SIGINT. Invalid config, and a port already in use at start, print
 * one line and exit 2; any other failure to start prints one line and exits 1.
 *
 * With `--workers N` above 1 this process is the primary of N worker processes (see
 * `WorkerSupervisor`). It checks the config and prepares every part before it forks, so a
 * config error still stops it with one line and nothing started; each worker checks the
 * same config again (node:cluster starts it as this same program, same argv and env).
 */
export async function runServerApp(spec: ServerAppSpec, proc: ServerProcess): Promise<void> {
  const declarations = serverOptions(spec.parts);
  // node:cluster starts a worker as this same program; it learns its role from the module.
  const channel = cluster.isWorker ? cluster.worker : undefined;
  const slot = Number(proc.env[WORKER_SLOT_ENV] ?? '0');
  await runProgram(
    spec,
    declarations,
    proc,
    async (values, logger) => {
      checkDistinctTokens(declarations, values);
      const setup = prepareServer(spec, values, logger);
      if (channel !== undefined) return startWorker(spec, setup, logger, proc, channel, slot);
      const workers = servesGrpc(spec.parts)
        ? workerCount(pickConfig(workerOptions, values).workers, availableParallelism())
        : 1;
      if (workers === 1) return startServers(spec, setup, logger, proc);
      return startPrimary(spec, setup, logger, proc, workers);
    },
    channel === undefined ? {} : { announce: false, logFields: { worker: slot } },
  );
}

function servesGrpc(parts: readonly ServerPart[]): boolean {
  return parts.some((part) => part.grpcService !== undefined);
}

/** What a server process knows from its config before it opens or binds anything. */
interface ServerSetup {
  readonly store: StoreSettings;
  /** Each part, prepared: its config checked and its files read. */
  readonly prepared: ReadonlyArray<readonly [ServerPart, PreparedPart]>;
  readonly healthAddress: Address;
  readonly metricsAddress: Address | undefined;
  readonly tls: TlsFiles | undefined;
  readonly tlsPorts: { readonly healthcheck: boolean; readonly metrics: boolean };
  /** What the parts ask of the store's late marks (`KvRepositoryOptions.lateAfterSeconds`). */
  readonly lateAfterSeconds: number | undefined;
  readonly grpcServices: readonly PartGrpcService[];
}

function prepareServer(
  spec: ServerAppSpec,
  values: Readonly<Record<string, unknown>>,
  logger: Logger,
): ServerSetup {
  const store = pickConfig(storeOptions, values);
  const storeFacts: StoreFacts = {
    kind: store.store,
    dataDir: store.data_dir,
    eventRetentionSeconds: store.retention / MS_PER_SECOND,
  };
  // Parts check their config and read their files (the privacy key) before anything is opened or bound.
  const prepared = spec.parts.map(
    (part) => [part, part.prepare(pickConfig(part.options, values), storeFacts, logger)] as const,
  );
  const { healthcheck_port: healthAddress } = pickConfig(healthcheckServerOptions, values);
  const { metrics_port: metricsAddress } = pickConfig(runtimeOptions, values);
  const tlsConfig = servesGrpc(spec.parts) ? pickConfig(tlsOptions, values) : undefined;
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
  const lateAfter = prepared.flatMap(([, part]) =>
    part.lateAfterSeconds === undefined ? [] : [part.lateAfterSeconds],
  );
  return {
    store,
    prepared,
    healthAddress,
    metricsAddress,
    tls,
    tlsPorts,
    lateAfterSeconds:
      lateAfter.length === 0 ? undefined : Math.min(DEFAULT_LATE_AFTER_SECONDS, ...lateAfter),
    grpcServices: spec.parts.flatMap((part) => (part.grpcService === undefined ? [] : [part.grpcService])),
  };
}

function serverMetrics(spec: ServerAppSpec): ServerMetrics {
  return new ServerMetrics({
    defaultLabels: { app: spec.name },
    build: { version: spec.version, commit: spec.commit },
  });
}

function healthService(setup: ServerSetup, monitor: StoreHealthMonitor, logger: Logger): HealthService {
  return new HealthService({
    services: setup.grpcServices.map((service) => service.name),
    writingServices: setup.grpcServices.filter((service) => service.writes).map((service) => service.name),
    monitor,
    logger,
  });
}

/** The server in this one process (`--workers 1`, or no gRPC port to share). */
async function startServers(
  spec: ServerAppSpec,
  setup: ServerSetup,
  logger: Logger,
  proc: ServerProcess,
): Promise<void> {
  const { store, prepared, tls } = setup;
  const metrics = serverMetrics(spec);
  const repository = openRepository(store, logger, setup.lateAfterSeconds, metrics);
  const shutdown = new ShutdownCoordinator({ logger });
  const monitor = new StoreHealthMonitor(repository, { logger });
  const health = healthService(setup, monitor, logger);
  monitor.start();
  shutdown.add('health NOT_SERVING', () => health.beginShutdown());

  const processName = `${spec.name}@${hostname()}:${proc.pid ?? 0}`;
  const started = partsStarted();
  const { servers, ports, running } = started;
  try {
    await startParts(
      prepared,
      { repository, logger, metrics, processName, sharedWorkLeases: () => openSharedWorkLeases(store, processName), tls },
      { health, metrics, tls, logger },
      started,
    );
    const healthServer = await startHealthServer(setup, health, metrics, logger);
    servers.push(healthServer);
    ports['healthcheck'] = healthServer.port;

    addPartSteps(shutdown, running, 'stopBeforePorts');
    shutdown.add('stop gRPC servers, let in-flight calls finish', async () => {
      await Promise.all(servers.map((server) => server.shutdown(SHUTDOWN_GRACE_MS)));
    });
    addPartSteps(shutdown, running, 'stopAfterPorts');
    const metricsServer = await startMetricsPort(setup, metrics, logger);
    if (metricsServer !== undefined) ports['metrics'] = metricsServer.port;
    shutdown.add('stop store health probes', () => monitor.stop());
    shutdown.add('close the store', () => repository.close());
    if (metricsServer !== undefined) shutdown.add('stop metrics', () => metricsServer.close());
    // Last, once nothing else can fail: a worker started here is stopped first on shutdown.
    for (const { part } of running) part.begin?.();
  } catch (error) {
    await abandonStartup(servers, [monitor], repository);
    throw error;
  }
  shutdown.onSignals(proc);
  announceReady(setup, running, started.portOptions, ports, logger);
}

/**
 * A worker process of a server with `--workers N`: the parts serving gRPC ports, on ports
 * it shares with the other workers (node:cluster hands each connection to one of them),
 * each with its own store client and group commit. It tells the primary once it listens,
 * prints no `ready` line, and drains when the primary asks (or is gone).
 */
async function startWorker(
  spec: ServerAppSpec,
  setup: ServerSetup,
  logger: Logger,
  proc: ServerProcess,
  channel: Worker,
  slot: number,
): Promise<void> {
  const { store, prepared, tls } = setup;
  const metrics = serverMetrics(spec);
  const shutdown = new ShutdownCoordinator({ logger });
  const link = new PrimaryLink({
    channel,
    metrics,
    logger,
    onShutdown: (reason) => {
      void shutdown.run(reason).then((report) => proc.exit(report.failedSteps.length === 0 ? 0 : 1));
    },
  });
  // The primary sweeps expired records; this process relays its commits to the watches of the others.
  const repository = openRepository(store, logger, setup.lateAfterSeconds, metrics, {
    sweeps: false,
    commitRelay: link.relay,
  });
  const ownMonitor = new StoreHealthMonitor(repository, { logger });
  ownMonitor.onChange((health) => link.storeHealth(health));
  const serverMonitor = serverHealthMonitor(
    () => worseHealth(ownMonitor.current, link.serverHealth),
    logger,
  );
  const health = healthService(setup, serverMonitor, logger);
  ownMonitor.start();
  serverMonitor.start();
  shutdown.add('health NOT_SERVING', () => health.beginShutdown());

  const processName = `${spec.name}@${hostname()}:${proc.pid ?? 0}`;
  const started = partsStarted();
  const { servers, ports, running } = started;
  try {
    await startParts(
      prepared.filter(([part]) => part.grpcService !== undefined),
      { repository, logger, metrics, processName, sharedWorkLeases: () => openSharedWorkLeases(store, processName), tls },
      { health, metrics, tls, logger, quiet: slot !== 1 },
      started,
    );
    addPartSteps(shutdown, running, 'stopBeforePorts');
    shutdown.add('stop gRPC servers, let in-flight calls finish', async () => {
      await Promise.all(servers.map((server) => server.shutdown(SHUTDOWN_GRACE_MS)));
    });
    addPartSteps(shutdown, running, 'stopAfterPorts');
    shutdown.add('stop store health probes', () => {
      serverMonitor.stop();
      ownMonitor.stop();
    });
    shutdown.add('close the store', () => repository.close());
    // How the primary spread the connections over the workers, for whoever tunes --workers.
    shutdown.add('count the calls served', async () => {
      const started = await metrics.grpcStarted.get();
      const callsServed = started.values.reduce((sum, { value }) => sum + value, 0);
      logger.info({ callsServed }, 'worker process drained');
    });
    for (const { part } of running) part.begin?.();
  } catch (error) {
    await abandonStartup(servers, [serverMonitor, ownMonitor], repository);
    throw error;
  }
  shutdown.onSignals(proc);
  logger.info({ ports }, 'worker process serving');
  link.listening({ ports, services: started.services, portOptions: started.portOptions });
}

/**
 * The primary process of a server with `--workers N`: it forks the workers, which serve
 * the gRPC ports, and runs what must run once per server: the parts without a gRPC port
 * (the travel-time worker, the dashboard), the embedded store's expiry sweep, the health
 * port (SERVING only while every worker serves and reaches the store), and the metrics
 * port (the sum of all processes). Its `ready` line comes once every worker listens.
 *
 * The travel-time worker keeps its claims in memory on the embedded store
 * (`sharedWorkLeases` is undefined there): right, because it runs in this process only.
 */
async function startPrimary(
  spec: ServerAppSpec,
  setup: ServerSetup,
  logger: Logger,
  proc: ServerProcess,
  workers: number,
): Promise<void> {
  const { store, prepared, tls } = setup;
  const metrics = serverMetrics(spec);
  const shutdown = new ShutdownCoordinator({ logger });
  const primary = 0;
  const relay = new CommitRelay({
    committed: (records) => hub.committed(primary, records),
    watch: (prefix, watching) => hub.watch(primary, prefix, watching),
  });
  const supervisor: WorkerSupervisor = new WorkerSupervisor({
    count: workers,
    logger,
    onCrashLoop: () => {
      void shutdown.run('worker processes keep exiting').then(() => proc.exit(1));
    },
    onCommitted: (from, records) => hub.committed(from, records),
    onWatch: (from, prefix, watching) => hub.watch(from, prefix, watching),
    onWorkerChange: (slot, running) => (running ? hub.tell(slot) : hub.forget(slot)),
  });
  const hub: RelayHub = new RelayHub(
    (to, records) => (to === primary ? relay.receive(records) : supervisor.deliver(to, records)),
    (to, prefixes) =>
      to === primary ? relay.watchedElsewhere(prefixes) : supervisor.tellWatchedElsewhere(to, prefixes),
    () => [primary, ...supervisor.runningSlots()],
  );
  const repository = openRepository(store, logger, setup.lateAfterSeconds, metrics, {
    sweeps: true,
    commitRelay: relay,
  });
  const ownMonitor = new StoreHealthMonitor(repository, { logger });
  const serverMonitor = serverHealthMonitor(
    () => worseHealth(ownMonitor.current, supervisor.workersHealth()),
    logger,
  );
  serverMonitor.onChange((health) => supervisor.tellServerHealth(health));
  const health = healthService(setup, serverMonitor, logger);
  ownMonitor.start();
  serverMonitor.start();
  shutdown.add('health NOT_SERVING', () => health.beginShutdown());

  const processName = `${spec.name}@${hostname()}:${proc.pid ?? 0}`;
  const started = partsStarted();
  const { servers, running } = started;
  const summed: MetricsSource = {
    contentType: metrics.contentType,
    scrape: async () => {
      const [own, others] = await Promise.all([metrics.snapshot(), supervisor.scrapeWorkers()]);
      return aggregateMetrics([own, ...others]);
    },
  };
  let listening: WorkerListening;
  let metricsServer: MetricsServer | undefined;
  // The primary's own ports first: one in use stops it before any fork.
  try {
    servers.push(await startHealthServer(setup, health, metrics, logger));
    metricsServer = await startMetricsPort(setup, summed, logger);
    listening = await supervisor.start();
  } catch (error) {
    supervisor.abandon();
    await metricsServer?.close();
    await abandonStartup(servers, [serverMonitor, ownMonitor], repository);
    throw error;
  }
  const ports: BoundPorts = { ...listening.ports, healthcheck: servers[0]!.port };
  if (metricsServer !== undefined) ports['metrics'] = metricsServer.port;
  try {
    // The parts that must run once (the travel-time worker, the dashboard), on the workers' ports.
    await startParts(
      prepared.filter(([part]) => part.grpcService === undefined),
      {
        repository,
        logger,
        metrics,
        processName,
        sharedWorkLeases: () => openSharedWorkLeases(store, processName),
        localService: (partName) => listening.services[partName],
        tls,
      },
      { health, metrics, tls, logger },
      started,
    );
    Object.assign(ports, started.ports);
    addPartSteps(shutdown, running, 'stopBeforePorts');
    shutdown.add('drain the worker processes', () => supervisor.drain(WORKER_DRAIN_MS), {
      timeoutMs: WORKER_DRAIN_MS + SHUTDOWN_GRACE_MS,
    });
    shutdown.add('stop gRPC servers, let in-flight calls finish', async () => {
      await Promise.all(servers.map((server) => server.shutdown(SHUTDOWN_GRACE_MS)));
    });
    addPartSteps(shutdown, running, 'stopAfterPorts');
    shutdown.add('stop store health probes', () => {
      serverMonitor.stop();
      ownMonitor.stop();
    });
    shutdown.add('close the store', () => repository.close());
    const openMetrics = metricsServer;
    if (openMetrics !== undefined) shutdown.add('stop metrics', () => openMetrics.close());
    for (const { part } of running) part.begin?.();
  } catch (error) {
    await supervisor.drain(WORKER_DRAIN_MS).catch(() => undefined);
    await metricsServer?.close();
    await abandonStartup(servers, [serverMonitor, ownMonitor], repository);
    throw error;
  }
  shutdown.onSignals(proc);
  logger.info({ workers, pids: supervisor.runningPids() }, 'worker processes serving');
  announceReady(setup, running, listening.portOptions, ports, logger);
}

type RunningParts = Array<{ readonly name: string; readonly part: RunningPart }>;

/** What starting parts built so far: the caller keeps it, so a failed start can close what opened. */
interface PartsStarted {
  readonly running: RunningParts;
  readonly servers: RunningGrpcServer[];
  readonly ports: BoundPorts;
  /** Each served part's port and tokens, by part name: what a later part's `localService` finds. */
  readonly services: Record<string, LocalService>;
  /** The option of each service port that listens: all of them serve TLS when files are given. */
  readonly portOptions: string[];
}

function partsStarted(): PartsStarted {
  return { running: [], servers: [], ports: {}, services: {}, portOptions: [] };
}

/**
 * Starts `parts` in order, serving each one's gRPC service on its port as it starts, so
 * a later part finds an earlier one's port (`localService`, unless `host` says otherwise).
 */
async function startParts(
  parts: ServerSetup['prepared'],
  host: Omit<PartHost, 'localService'> & { readonly localService?: PartHost['localService'] },
  serving: Pick<ServiceServerOptions, 'health' | 'metrics' | 'tls' | 'logger' | 'quiet'>,
  started: PartsStarted,
): Promise<void> {
  for (const [part, preparedPart] of parts) {
    const runningPart = await preparedPart.start({
      ...host,
      localService: host.localService ?? ((partName) => started.services[partName]),
    });
    started.running.push({ name: part.name, part: runningPart });
    Object.assign(started.ports, runningPart.listening);
    const service = runningPart.service;
    if (part.grpcService === undefined || service === undefined) continue;
    const server = await startServiceServer({
      ...serving,
      option: service.portOption,
      address: service.address,
      service: service.registration,
      serviceName: part.grpcService.name,
      tokens: service.tokens,
    });
    started.servers.push(server);
    started.ports[part.name] = server.port;
    started.services[part.name] = { port: server.port, tokens: service.tokens };
    started.portOptions.push(service.portOption);
  }
}

/** Workers get this long to drain on shutdown: their own steps, each with its own limit. */
const WORKER_DRAIN_MS = 60_000;

function addPartSteps(
  shutdown: ShutdownCoordinator,
  running: RunningParts,
  step: 'stopBeforePorts' | 'stopAfterPorts',
): void {
  const what = step === 'stopBeforePorts' ? 'stop before the ports close' : 'stop once in-flight calls are done';
  for (const { name, part } of running) {
    const stop = part[step]?.bind(part);
    if (stop !== undefined) shutdown.add(`${name}: ${what}`, stop);
  }
}

function startHealthServer(
  setup: ServerSetup,
  health: HealthService,
  metrics: ServerMetrics,
  logger: Logger,
): Promise<RunningGrpcServer> {
  return listening('healthcheck_port', setup.healthAddress, (address) =>
    startGrpcServer({
      name: 'grpc.health.v1.Health',
      address,
      services: [health],
      metrics,
      tls: setup.tlsPorts.healthcheck ? setup.tls : undefined,
      logger,
    }),
  );
}

async function startMetricsPort(
  setup: ServerSetup,
  metrics: MetricsSource,
  logger: Logger,
): Promise<MetricsServer | undefined> {
  const address = setup.metricsAddress;
  if (address === undefined) return undefined;
  return listening('metrics_port', address, (bound) =>
    startMetricsServer(metrics, bound, logger, setup.tlsPorts.metrics ? setup.tls : undefined),
  );
}

/** The port security line, then `ready` with every port: tests and the bench read the ports from it. */
function announceReady(
  setup: ServerSetup,
  running: RunningParts,
  servicePortOptions: readonly string[],
  ports: BoundPorts,
  logger: Logger,
): void {
  const partPortOptions = running.flatMap(({ part }) =>
    Object.keys(part.listening ?? {}).map((name) => `${name}_port`),
  );
  const security = portSecurityLine({
    ...Object.fromEntries(
      [...servicePortOptions, ...partPortOptions].map((option) => [option, setup.tls !== undefined]),
    ),
    healthcheck_port: setup.tlsPorts.healthcheck,
    metrics_port: ports['metrics'] === undefined ? undefined : setup.tlsPorts.metrics,
  });
  logger.info(security.fields, security.message);
  logger.info({ ports }, 'ready');
}

/**
 * Judges a server of several processes from what it already knows (no probe of its
 * own): it logs nothing, the monitors of the store and the supervisor log the causes.
 */
function serverHealthMonitor(current: () => StoreHealth, logger: Logger): StoreHealthMonitor {
  return new StoreHealthMonitor(
    { health: async () => current() },
    {
      logger: logger.child({}, { level: 'silent' }),
      intervalMs: SERVER_HEALTH_INTERVAL_MS,
      // Its sources tolerate one slow probe already; a worker's exit is no blip.
      failuresToUnreachable: 1,
    },
  );
}

/** How often a server of several processes re-judges its health: in memory, so often. */
const SERVER_HEALTH_INTERVAL_MS = 250;

/** The worse of two answers: unreachable over refusing writes over reachable; none yet is unreachable. */
function worseHealth(own: StoreHealth | undefined, other: StoreHealth | undefined): StoreHealth {
  if (own === undefined) return { reachable: false, reason: 'the store has not answered yet' };
  if (!own.reachable || other === undefined) return own;
  if (!other.reachable) return other;
  const writesRefused = own.writesRefused ?? other.writesRefused;
  return writesRefused === undefined ? { reachable: true } : { reachable: true, writesRefused };
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
  /** Another worker process than the first: the first one's log lines speak for the server. */
  readonly quiet?: boolean;
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
      announce: options.quiet !== true,
    }),
  );
  if (tokens.length === 0 && options.quiet !== true && !isLoopback(options.address.host)) {
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
  monitors: readonly StoreHealthMonitor[],
  repository: Repository,
): Promise<void> {
  await Promise.all(servers.map((server) => server.shutdown(0)));
  for (const monitor of monitors) monitor.stop();
  await repository.close();
}

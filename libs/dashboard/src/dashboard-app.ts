import {
  ConfigError,
  createLogger,
  formatAddress,
  formatHelp,
  loadConfig,
  loggableConfig,
  pickConfig,
  readTlsFiles,
  routeGrpcLogging,
  runtimeOptions,
  ServerMetrics,
  ShutdownCoordinator,
  startMetricsServer,
  tlsOptions,
  type Logger,
  type SignalTarget,
} from '@message-bus/server-kit';
import { readFileSync } from 'node:fs';
import { checkDashboardLogin, dashboardAppOptions, queryTlsFrom } from './dashboard-options';
import { addressInUse } from './dashboard-part';
import { startDashboardServer } from './dashboard-server';
import { createQueryClient } from './query-connection';

export interface DashboardAppSpec {
  readonly name: string;
  readonly description: string;
  /** The built pages (`dashboard-web` next to the bundled main.js). */
  readonly webRoot: string;
  readonly version: string;
  readonly commit: string;
}

/** What of the process the app uses; `process` itself in production. */
export interface DashboardProcess extends SignalTarget {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The dashboard app's options: its own, TLS for its port and metrics, logging and metrics. */
export const dashboardAppDeclarations = [
  ...dashboardAppOptions,
  ...tlsOptions.filter((option) => option.name !== 'tls.healthcheck'),
  ...runtimeOptions,
] as const;

/**
 * The standalone dashboard: no store of its own, only QueryService over gRPC. The same
 * life as a server app (@message-bus/runtime's runServerApp): `--version`, `--help`,
 * config defaults < YAML < env < flags, JSON logs, metrics, TLS, a graceful shutdown on
 * SIGTERM/SIGINT, one line and exit 2 for invalid config or a port in use, and a `ready`
 * log line with the bound `ports`.
 */
export async function runDashboardApp(spec: DashboardAppSpec, proc: DashboardProcess): Promise<void> {
  const args = proc.argv.slice(2);
  if (args.includes('--version')) {
    proc.stdout.write(`${spec.name} ${spec.version} (${spec.commit})\n`);
    return;
  }
  try {
    const loaded = loadConfig(dashboardAppDeclarations, {
      argv: args,
      env: proc.env,
      readFile: (path) => readFileSync(path, 'utf8'),
    });
    if (loaded.help) {
      proc.stdout.write(formatHelp(spec.name, spec.description, dashboardAppDeclarations));
      return;
    }
    const logger = createLogger({
      name: spec.name,
      level: pickConfig(runtimeOptions, loaded.values).log_level,
    });
    routeGrpcLogging(logger);
    logger.info(
      {
        version: spec.version,
        commit: spec.commit,
        config: loggableConfig(dashboardAppDeclarations, loaded.values),
      },
      'starting',
    );
    await startDashboardApp(spec, loaded.values, logger, proc);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    proc.stderr.write(`${spec.name}: ${message.replace(/\s*[\r\n]+\s*/g, ' ').trim()}\n`);
    proc.exit(error instanceof ConfigError ? 2 : 1);
  }
}

async function startDashboardApp(
  spec: DashboardAppSpec,
  values: Readonly<Record<string, unknown>>,
  logger: Logger,
  proc: DashboardProcess,
): Promise<void> {
  const config = pickConfig(dashboardAppOptions, values);
  const { metrics_port: metricsAddress } = pickConfig(runtimeOptions, values);
  // The app has no health port: tls.healthcheck is not one of its options.
  const tlsConfig = pickConfig(tlsOptions, { ...values, 'tls.healthcheck': false });
  checkDashboardLogin(config);
  const queryTls = queryTlsFrom(config, (path) => readFileSync(path));
  const tls = readTlsFiles(
    { certFile: tlsConfig['tls.cert_file'], keyFile: tlsConfig['tls.key_file'] },
    (path) => readFileSync(path),
  );
  if (tlsConfig['tls.metrics'] && tls === undefined) {
    throw new ConfigError('--tls.metrics: needs --tls.cert_file and --tls.key_file', {
      option: 'tls.metrics',
    });
  }
  const metrics = new ServerMetrics({ defaultLabels: { app: spec.name } });
  const client = createQueryClient({
    address: config.dashboard_query_address,
    token: config.dashboard_query_token,
    tls: queryTls,
  });
  const dashboard = await startDashboardServer({
    address: config.dashboard_port,
    tls,
    query: client,
    loginToken: config.dashboard_token,
    tileUrl: config.dashboard_tile_url,
    tileAttribution: config.dashboard_tile_attribution,
    webRoot: spec.webRoot,
    logger,
  }).catch((error: unknown) => {
    client.close();
    throw addressInUse(error, config.dashboard_port) ?? error;
  });
  const shutdown = new ShutdownCoordinator({ logger });
  shutdown.add('close the dashboard and its streams', () => dashboard.close());
  shutdown.add('close the query connection', () => client.close());
  const ports: Record<string, number> = { dashboard: dashboard.port };
  if (metricsAddress !== undefined) {
    const metricsServer = await startMetricsServer(
      metrics,
      metricsAddress,
      logger,
      tlsConfig['tls.metrics'] ? tls : undefined,
    ).catch(async (error: unknown) => {
      await shutdown.run('startup failed');
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new ConfigError(`metrics_port: ${formatAddress(metricsAddress)} is already in use`, {
          option: 'metrics_port',
        });
      }
      throw error;
    });
    ports['metrics'] = metricsServer.port;
    shutdown.add('stop metrics', () => metricsServer.close());
  }
  shutdown.onSignals(proc);
  logger.info({ ports }, 'ready');
}

import {
  ConfigError,
  listening,
  pickConfig,
  readTlsFiles,
  runProgram,
  runtimeOptions,
  ServerMetrics,
  ShutdownCoordinator,
  startMetricsServer,
  tlsOptions,
  type Logger,
  type ProgramProcess,
} from '@message-bus/server-kit';
import { readFileSync } from 'node:fs';
import { checkDashboardLogin, dashboardAppOptions, queryTlsFrom } from './dashboard-options';
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
export type DashboardProcess = ProgramProcess;

/** The dashboard app's options: its own, TLS for its port and metrics, logging and metrics. */
export const dashboardAppDeclarations = [
  ...dashboardAppOptions,
  ...tlsOptions.filter((option) => option.name !== 'tls.healthcheck'),
  ...runtimeOptions,
] as const;

/**
 * The standalone dashboard: no store of its own, only QueryService over gRPC. The life
 * every server program has (server-kit's runProgram: `--version`, `--help`, config
 * layering, JSON logs, one line and exit 2 for invalid config or a port in use), then
 * metrics, TLS, a graceful shutdown on SIGTERM/SIGINT and a `ready` line with the ports.
 */
export async function runDashboardApp(spec: DashboardAppSpec, proc: DashboardProcess): Promise<void> {
  await runProgram(spec, dashboardAppDeclarations, proc, (values, logger) =>
    startDashboardApp(spec, values, logger, proc),
  );
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
  const metrics = new ServerMetrics({
    defaultLabels: { app: spec.name },
    build: { version: spec.version, commit: spec.commit },
  });
  const client = createQueryClient({
    address: config.dashboard_query_address,
    token: config.dashboard_query_token,
    tls: queryTls,
  });
  const dashboard = await listening('dashboard_port', config.dashboard_port, (address) =>
    startDashboardServer({
      address,
      tls,
      query: client,
      loginToken: config.dashboard_token,
      tileUrl: config.dashboard_tile_url,
      tileAttribution: config.dashboard_tile_attribution,
      webRoot: spec.webRoot,
      logger,
    }),
  ).catch((error: unknown) => {
    client.close();
    throw error;
  });
  const shutdown = new ShutdownCoordinator({ logger });
  shutdown.add('close the dashboard and its streams', () => dashboard.close());
  shutdown.add('close the query connection', () => client.close());
  const ports: Record<string, number> = { dashboard: dashboard.port };
  if (metricsAddress !== undefined) {
    const metricsServer = await listening('metrics_port', metricsAddress, (address) =>
      startMetricsServer(metrics, address, logger, tlsConfig['tls.metrics'] ? tls : undefined),
    ).catch(async (error: unknown) => {
      await shutdown.run('startup failed');
      throw error;
    });
    ports['metrics'] = metricsServer.port;
    shutdown.add('stop metrics', () => metricsServer.close());
  }
  shutdown.onSignals(proc);
  logger.info({ ports }, 'ready');
}

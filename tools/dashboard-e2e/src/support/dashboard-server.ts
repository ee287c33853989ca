import { AppProcess } from '@message-bus/tools/app-process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcClients, type GrpcClients } from './grpc';

/** The key prefix of the test servers' embedded store (the fixture writes profiles under it first). */
export const STORE_PREFIX = 'dashboard-e2e';
/** A fixed privacy key (64 hex digits), so the fixture needs no generated key file. */
const TEST_PRIVACY_KEY = '6d6573736167652d6275732d64617368626f6172642d6532652d6b65792d3332';

/**
 * Workers estimate every 2 s by default, so a live test sees the traffic's travel times
 * within seconds; sightings are sent as their time comes, in before this lag.
 */
export const INTERVAL_SECONDS = 2;
const LAG_SECONDS = 2;

export interface DashboardServer {
  readonly process: AppProcess;
  readonly dataDir: string;
  /** `http://127.0.0.1:<port>` of the dashboard. */
  readonly url: string;
  readonly grpc: GrpcClients;
  stop(): Promise<void>;
}

export interface DashboardServerOptions {
  /** Written into the data dir before the server opens it; e.g. typical profiles. */
  readonly prepare?: (dataDir: string) => Promise<void>;
  /** Further cqserver flags, e.g. tokens. */
  readonly args?: readonly string[];
  /** The token the test's own gRPC clients send (the server's `--query_token`/collector token). */
  readonly grpcToken?: string;
  /**
   * The workers' interval; default INTERVAL_SECONDS. Longer for a network with history:
   * recomputing it costs one estimate per interval and link.
   */
  readonly intervalSeconds?: number;
}

/**
 * The built cqserver with its dashboard, every port on 127.0.0.1:0, the embedded store in
 * a temp dir, live estimates every 2 s (or `intervalSeconds`) with a 2 s lag, one
 * pseudonym per device for the whole test, and no map tiles (the default).
 */
export async function startDashboardServer(options: DashboardServerOptions = {}): Promise<DashboardServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
  try {
    await options.prepare?.(dataDir);
    const process = await AppProcess.start('cqserver', {
      args: [
        '--store=embedded',
        `--data_dir=${dataDir}`,
        `--etcd.prefix=${STORE_PREFIX}`,
        '--collector_port=127.0.0.1:0',
        '--query_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=127.0.0.1:0',
        '--dashboard_port=127.0.0.1:0',
        `--privacy.key=${TEST_PRIVACY_KEY}`,
        '--privacy.rotation=never',
        `--traveltime.interval=${options.intervalSeconds ?? INTERVAL_SECONDS}s`,
        `--traveltime.lag=${LAG_SECONDS}s`,
        ...(options.args ?? []),
      ],
      readyTimeoutMs: 60_000,
    });
    const grpc = grpcClients(process.address('collector'), process.address('query'), options.grpcToken);
    return {
      process,
      dataDir,
      url: `http://${process.address('dashboard')}`,
      grpc,
      stop: async () => {
        grpc.close();
        await process.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

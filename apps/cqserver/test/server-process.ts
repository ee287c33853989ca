import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { collector, query } from '@message-bus/proto';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { service as healthServiceDefinition } from 'grpc-health-check';

const mainScript = resolve(__dirname, '../dist/main.js');

export interface ReadyPorts {
  collector: number;
  query: number;
  healthcheck: number;
  metrics?: number;
  /** With --dashboard_port. */
  dashboard?: number;
}

/** The built cqserver as a child process, with its JSON log lines kept for inspection. */
export class ServerProcess {
  readonly logLines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(
    readonly child: ChildProcess,
    readonly ports: ReadyPorts,
  ) {
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  /** Starts `dist/main.js` with loopback ports chosen by the system and waits for its `ready` line. */
  static async start(args: readonly string[], env: Record<string, string> = {}): Promise<ServerProcess> {
    const child = spawn(
      process.execPath,
      [
        mainScript,
        '--collector_port=127.0.0.1:0',
        '--query_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=127.0.0.1:0',
        ...args,
      ],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    const errors: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => errors.push(line));
    const ports = await new Promise<ReadyPorts>((done, fail) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        const entry = JSON.parse(line) as { msg?: string; ports?: ReadyPorts };
        if (entry.msg === 'ready' && entry.ports) done(entry.ports);
      });
      child.once('exit', (code) =>
        fail(new Error(`cqserver exited with ${code} before ready: ${errors.join('\n')}`)),
      );
    });
    const server = new ServerProcess(child, ports);
    server.logLines.push(...lines.splice(0));
    createInterface({ input: child.stdout! }).on('line', (line) => server.logLines.push(line));
    return server;
  }

  collectorClient(): collector.CollectorServiceClient {
    return new collector.CollectorServiceClient(
      `127.0.0.1:${this.ports.collector}`,
      credentials.createInsecure(),
    );
  }

  queryClient(): query.QueryServiceClient {
    return new query.QueryServiceClient(`127.0.0.1:${this.ports.query}`, credentials.createInsecure());
  }

  healthClient(): HealthClient {
    return new HealthClient(`127.0.0.1:${this.ports.healthcheck}`, credentials.createInsecure());
  }

  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Runs the built cqserver to completion (for config errors, --help, --version). */
export function runToExit(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [mainScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const HEALTH_STATUSES: HealthStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

interface HealthClient extends Client {
  check(
    request: { service: string },
    callback: (error: ServiceError | null, response?: { status: number | HealthStatus }) => void,
  ): void;
}
const HealthClient = makeGenericClientConstructor(
  healthServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient;

/** grpc-health-check's definition decodes the enum as its name; accept the number too. */
function statusName(value: number | HealthStatus | undefined): HealthStatus {
  if (typeof value === 'string') return value;
  return HEALTH_STATUSES[value ?? 0] ?? 'UNKNOWN';
}

export function checkHealth(client: HealthClient, service = ''): Promise<HealthStatus> {
  return new Promise((done, fail) =>
    client.check({ service }, (error, response) =>
      error ? fail(error) : done(statusName(response?.status)),
    ),
  );
}

/** Polls until `check` yields `wanted`; resolves to the milliseconds it took. */
export async function waitForHealth(
  client: HealthClient,
  wanted: HealthStatus,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const current = await checkHealth(client).catch(() => 'UNKNOWN' as const);
    if (current === wanted) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`health stayed ${current}, wanted ${wanted}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

function promised<Res>(start: (callback: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((done, fail) => start((error, response) => (error ? fail(error) : done(response))));
}

export function createEventLog(
  client: collector.CollectorServiceClient,
  log: collector.EventLog,
): Promise<unknown> {
  return promised((callback) => client.createEventLog(log, callback));
}

export function getEvents(
  client: query.QueryServiceClient,
  request: Partial<query.GetEventsRequest>,
): Promise<query.GetEventsResponse> {
  return promised((callback) => client.getEvents(query.GetEventsRequest.fromPartial(request), callback));
}

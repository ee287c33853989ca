import { credentials } from '@grpc/grpc-js';
import { collector, query } from '@message-bus/proto';
import { startThrowawayEtcd, type ThrowawayEtcd } from '@message-bus/tools/etcd';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventLog, getEvents, runToExit, ServerProcess, waitForHealth } from './server-process';

const PRIVACY_KEY = 'ab'.repeat(32);
const nowSeconds = BigInt(Math.floor(Date.now() / 1000));
/** Clients, each on a connection of its own: the primary hands connections to the workers in turn. */
const CONNECTIONS = 8;

const workDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cqserver-workers-'));
  workDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** One sighting of device `index` at `detectorId`, 60 s ago. */
function sighting(detectorId: string, index: number): collector.EventLog {
  const kinds = ['wifi', 'bluetooth', 'mobile'] as const;
  return {
    loc: { detectorId, latitude: 5_220_000n, longitude: 2_100_000n },
    events: [
      {
        time: [{ seconds: nowSeconds - 60n, nanos: index }],
        deviceId: { $case: kinds[index % 3]!, value: `workers-raw-mac-${index}` },
      },
    ],
  };
}

/**
 * Collector clients that do not share a connection (grpc-js shares one per target otherwise),
 * connected one after the other: the primary hands each new connection to the worker that
 * has waited longest, so they alternate, whatever the load on the machine.
 */
async function collectorClients(server: ServerProcess): Promise<collector.CollectorServiceClient[]> {
  const clients: collector.CollectorServiceClient[] = [];
  for (let index = 0; index < CONNECTIONS; index++) {
    const client = new collector.CollectorServiceClient(
      `127.0.0.1:${server.ports.collector}`,
      credentials.createInsecure(),
      { 'grpc.use_local_subchannel_pool': 1 },
    );
    await new Promise<void>((done, fail) =>
      client.waitForReady(Date.now() + 30_000, (error) => (error ? fail(error) : done())),
    );
    clients.push(client);
  }
  return clients;
}

/** Sends sightings `first` to `first + count - 1`, one per call, spread over `clients`, all at once. */
async function sendSpread(
  clients: readonly collector.CollectorServiceClient[],
  detectorId: string,
  first: number,
  count: number,
): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, offset) =>
      createEventLog(clients[offset % clients.length]!, sighting(detectorId, first + offset)),
    ),
  );
}

async function storedNanos(server: ServerProcess, detectorId: string): Promise<number[]> {
  const client = server.queryClient();
  try {
    const response = await getEvents(client, { detectorIds: [detectorId], limit: 100_000n });
    return response.events.flatMap((event) => event.time.map((time) => time.nanos)).sort((a, b) => a - b);
  } finally {
    client.close();
  }
}

function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, offset) => first + offset);
}

function logEntries(server: ServerProcess, message: string): Array<Record<string, unknown>> {
  return server.logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry['msg'] === message);
}

/** The process ids whose parent is `parent`, from /proc. */
function childPids(parent: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // it exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) children.push(Number(name));
  }
  return children.sort((a, b) => a - b);
}

function workerPids(server: ServerProcess): number[] {
  const [serving] = logEntries(server, 'worker processes serving');
  return [...((serving?.['pids'] as number[] | undefined) ?? [])].sort((a, b) => a - b);
}

/** Resolves once a log line satisfies `matches`. */
async function logLine(
  server: ServerProcess,
  matches: (entry: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  for (;;) {
    const found = server.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find(matches);
    if (found !== undefined) return found;
    if (Date.now() - started > timeoutMs) throw new Error('the expected log line did not come');
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** The `worker process drained` lines of both workers, once the last of the output is read. */
async function drainedWorkers(server: ServerProcess): Promise<Array<Record<string, unknown>>> {
  const drained = (): Array<Record<string, unknown>> => logEntries(server, 'worker process drained');
  await logLine(server, () => drained().length === 2);
  return drained();
}

async function scrape(server: ServerProcess): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${server.ports.metrics}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The sum of a metric's samples whose line contains every one of `parts`. */
function sampleSum(text: string, name: string, ...parts: string[]): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => parts.every((part) => line.includes(part)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('cqserver --workers 2 on the embedded store', () => {
  let server: ServerProcess | undefined;
  afterEach(() => {
    server?.child.kill('SIGKILL');
    server = undefined;
  });

  it('serves from two worker processes, stores each sighting once, sums metrics, runs the travel-time worker once, and drains on SIGTERM', async () => {
    server = await ServerProcess.start(['--workers=2', `--data_dir=${tempDir()}`]);
    const primary = server.child.pid!;
    const pids = workerPids(server);
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(primary);
    expect(childPids(primary)).toEqual(pids);
    // Once per server, in the primary.
    const travelTime = logEntries(server, 'travel-time worker started');
    expect(travelTime.map((entry) => entry['pid'])).toEqual([primary]);
    expect(logEntries(server, 'ready').map((entry) => entry['pid'])).toEqual([primary]);
    // The primary's health port, then each shared port once, by the first worker.
    expect(logEntries(server, 'gRPC server listening').map((entry) => entry['service'])).toEqual([
      'grpc.health.v1.Health',
      'collector.CollectorService',
      'query.QueryService',
    ]);
    await waitForHealth(server.healthClient(), 'SERVING', 30_000);

    const clients = await collectorClients(server);
    await sendSpread(clients, 'det-w', 0, 200);
    // The same sightings again, through other connections: the keys derive from the data.
    await sendSpread(clients.slice(1), 'det-w', 0, 200);
    expect(await storedNanos(server, 'det-w')).toEqual(range(0, 200));

    const metrics = await scrape(server);
    const createEventLog = 'grpc_method="CreateEventLog"';
    expect(sampleSum(metrics, 'grpc_server_handled_total', createEventLog, 'grpc_code="OK"')).toBe(400);
    expect(sampleSum(metrics, 'message_bus_sightings_ingested_total')).toBe(400);
    expect(sampleSum(metrics, 'message_bus_build_info')).toBe(1);

    for (const client of clients) client.close();
    expect(await server.terminate()).toEqual({ code: 0, signal: null });
    const drained = await drainedWorkers(server);
    expect(drained.map((entry) => entry['pid']).sort((a, b) => Number(a) - Number(b))).toEqual(pids);
    // Both took calls: the primary handed the connections to them in turn.
    for (const entry of drained) expect(entry['callsServed']).toBeGreaterThan(0);
    expect(logEntries(server, 'travel-time worker started')).toHaveLength(1);
  });

  it('follows sightings stored by every worker on one stream', async () => {
    server = await ServerProcess.start(['--workers=2', `--data_dir=${tempDir()}`]);
    const clients = await collectorClients(server);
    await sendSpread(clients, 'det-s', 0, 10);
    const queryClient = server.queryClient();
    const stream = queryClient.streamEvents(
      query.GetEventsRequest.fromPartial({
        detectorIds: ['det-s'],
        range: { after: { seconds: nowSeconds - 120n, nanos: 0 } },
      }),
    );
    const received: number[] = [];
    const all = new Promise<void>((done, fail) => {
      stream.on('data', (event: query.DetectionEvent) => {
        received.push(...event.time.map((time) => time.nanos));
        if (received.length === 110) done();
      });
      stream.on('error', fail);
    });
    // The replay came: the stream's watch is known to every worker by now.
    await new Promise<void>((done) => {
      const check = (): void => (received.length >= 10 ? done() : void setTimeout(check, 20));
      check();
    });
    await sendSpread(clients, 'det-s', 10, 100);
    await all;
    expect(received.sort((a, b) => a - b)).toEqual(range(0, 110));
    stream.cancel();
    queryClient.close();
    for (const client of clients) client.close();
  });

  it('is NOT_SERVING while a worker is gone, restarts it, and serves again', async () => {
    server = await ServerProcess.start(['--workers=2', `--data_dir=${tempDir()}`]);
    const health = server.healthClient();
    await waitForHealth(health, 'SERVING', 30_000);
    const [victim] = workerPids(server);
    process.kill(victim!, 'SIGKILL');
    await waitForHealth(health, 'NOT_SERVING', 30_000);
    await logLine(server, (entry) => entry['msg'] === 'worker process serving again');
    await waitForHealth(health, 'SERVING', 30_000);
    const primary = server.child.pid!;
    const now = childPids(primary);
    expect(now).toHaveLength(2);
    expect(now).not.toContain(victim);
    const clients = await collectorClients(server);
    await sendSpread(clients, 'det-h', 0, 20);
    expect(await storedNanos(server, 'det-h')).toEqual(range(0, 20));
    for (const client of clients) client.close();
  });

  it('keeps every acknowledged sighting through a SIGTERM in the middle of ingest', async () => {
    const dataDir = tempDir();
    server = await ServerProcess.start(['--workers=2', `--data_dir=${dataDir}`]);
    const clients = await collectorClients(server);
    const acknowledged: number[] = [];
    let firstAck: () => void = () => undefined;
    const someAcknowledged = new Promise<void>((done) => (firstAck = done));
    const calls = range(0, 400).map((index) =>
      createEventLog(clients[index % clients.length]!, sighting('det-t', index)).then(
        () => {
          acknowledged.push(index);
          if (acknowledged.length === 20) firstAck();
        },
        () => undefined, // refused while shutting down: not acknowledged, so not promised
      ),
    );
    await someAcknowledged;
    const exit = await server.terminate();
    await Promise.all(calls);
    expect(exit).toEqual({ code: 0, signal: null });
    for (const client of clients) client.close();

    server = await ServerProcess.start(['--workers=1', `--data_dir=${dataDir}`]);
    const stored = new Set(await storedNanos(server, 'det-t'));
    expect(acknowledged.filter((index) => !stored.has(index))).toEqual([]);
  });
});

describe('cqserver --workers 1', () => {
  it('runs in one process', async () => {
    const server = await ServerProcess.start(['--workers=1', `--data_dir=${tempDir()}`]);
    try {
      expect(childPids(server.child.pid!)).toEqual([]);
      expect(logEntries(server, 'worker processes serving')).toEqual([]);
      const clients = await collectorClients(server);
      await sendSpread(clients, 'det-1', 0, 10);
      expect(await storedNanos(server, 'det-1')).toEqual(range(0, 10));
      for (const client of clients) client.close();
      expect(await server.terminate()).toEqual({ code: 0, signal: null });
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it.each([
    ['--workers=0', 'cqserver: --workers: 0 is out of range (1-256)\n'],
    ['--workers=abc', 'cqserver: --workers: "abc" is not an integer\n'],
  ])('refuses %s in one line, with exit code 2, before forking', async (flag, line) => {
    const result = await runToExit([flag, `--data_dir=${tempDir()}`]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: line });
  });
});

describe('cqserver --workers 2 on etcd', () => {
  let etcd: ThrowawayEtcd;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    etcd = await startThrowawayEtcd();
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await etcd.remove();
  });

  it('stores each sighting sent through many connections once, and drains on SIGTERM', async () => {
    server = await ServerProcess.start(
      [
        '--workers=2',
        '--store=etcd',
        `--etcd.endpoints=${etcd.endpoint}`,
        '--etcd.prefix=workers',
        `--data_dir=${tempDir()}`,
      ],
      { PRIVACY_KEY },
    );
    expect(childPids(server.child.pid!)).toEqual(workerPids(server));
    const clients = await collectorClients(server);
    await sendSpread(clients, 'det-e', 0, 200);
    await sendSpread(clients.slice(1), 'det-e', 0, 200);
    expect(await storedNanos(server, 'det-e')).toEqual(range(0, 200));
    const metrics = await scrape(server);
    expect(sampleSum(metrics, 'message_bus_sightings_ingested_total')).toBe(400);
    for (const client of clients) client.close();
    expect(await server.terminate()).toEqual({ code: 0, signal: null });
    const drained = await drainedWorkers(server);
    for (const entry of drained) expect(entry['callsServed']).toBeGreaterThan(0);
  });
});

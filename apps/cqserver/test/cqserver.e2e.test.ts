import { status, type ServiceError } from '@grpc/grpc-js';
import { collector, query } from '@message-bus/proto';
import { LmdbBackend } from '@message-bus/store-embedded';
import { startThrowawayEtcd, type ThrowawayEtcd } from '@message-bus/tools/etcd';
import { Etcd3 } from 'etcd3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEventLog, getEvents, runToExit, ServerProcess, waitForHealth } from './server-process';

const PRIVACY_KEY = 'e2'.repeat(32);
const nowSeconds = BigInt(Math.floor(Date.now() / 1000));

/** A raw identifier that must never reach the store or the logs. */
function rawDevice(index: number): string {
  return `e2e-raw-mac-${index.toString(16).padStart(6, '0')}`;
}

function eventLog(detectorId: string, first: number, count: number, secondsAgo = 60n): collector.EventLog {
  return {
    loc: { detectorId, latitude: 5_220_000n, longitude: 2_100_000n },
    events: Array.from({ length: count }, (_, offset) => {
      const index = first + offset;
      const kinds = ['wifi', 'bluetooth', 'mobile'] as const;
      return {
        time: [{ seconds: nowSeconds - secondsAgo, nanos: index }],
        deviceId: { $case: kinds[index % 3]!, value: rawDevice(index) },
      };
    }),
  };
}

function sendStream(client: collector.CollectorServiceClient, logs: collector.EventLog[]) {
  return new Promise<collector.SendStreamResponse>((done, fail) => {
    const stream = client.streamEventLog((error, response) => (error ? fail(error) : done(response)));
    for (const log of logs) stream.write(log);
    stream.end();
  });
}

async function storedEventCount(client: query.QueryServiceClient, detectorId: string): Promise<number> {
  const response = await getEvents(client, {
    detectorIds: [detectorId],
    limit: 100_000n,
  });
  return response.events.reduce((sum, event) => sum + event.time.length, 0);
}

function expectNoRawIds(texts: readonly string[], sent: number): void {
  const all = texts.join('\n');
  for (let index = 0; index < sent; index++) expect(all).not.toContain(rawDevice(index));
}

const workDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cqserver-e2e-'));
  workDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

describe('cqserver on the embedded store', () => {
  let dataDir: string;
  let server: ServerProcess;

  beforeEach(async () => {
    dataDir = tempDir();
    server = await ServerProcess.start([`--data_dir=${dataDir}`]);
  });
  afterEach(() => {
    server.child.kill('SIGKILL');
  });

  it('stores sightings, serves them back pseudonymised, and exits cleanly on SIGTERM with all of it kept', async () => {
    const collectorClient = server.collectorClient();
    const queryClient = server.queryClient();
    await waitForHealth(server.healthClient(), 'SERVING', 5_000);

    await createEventLog(collectorClient, eventLog('det-a', 0, 3));
    const read = await getEvents(queryClient, { detectorIds: ['det-a'], limit: 0n });
    expect(read.events).toHaveLength(3);
    for (const event of read.events) {
      expect(event.detectorId).toBe('det-a');
      expect(event.deviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(event.time).toHaveLength(1);
      expect(event.time[0]!.seconds).toBe(nowSeconds - 60n);
    }
    expect(read.events.map((event) => event.time[0]!.nanos).sort()).toEqual([0, 1, 2]);

    const logs = Array.from({ length: 40 }, (_, log) => eventLog('det-b', 1_000 + log * 100, 100));
    const counts = await sendStream(collectorClient, logs);
    expect(counts.wifi + counts.bluetooth + counts.mobile).toBe(4_000n);
    expect(await storedEventCount(queryClient, 'det-b')).toBe(4_000);
    collectorClient.close();
    queryClient.close();

    expect(await server.terminate()).toEqual({ code: 0, signal: null });

    // Everything acknowledged is in the store, and no raw identifier is anywhere in it.
    const backend = new LmdbBackend({ path: join(dataDir, 'store') });
    const texts: string[] = [];
    let eventKeys = 0;
    for await (const entry of backend.scan({ start: '/', end: '0' })) {
      texts.push(entry.key, Buffer.from(entry.value).toString('utf8'));
      if (entry.key.includes('/detectors/')) eventKeys++;
    }
    await backend.close();
    expect(eventKeys).toBe(4_003);
    expectNoRawIds([...texts, ...server.logLines], 5_000);
  });

  it('rejects a malformed log with INVALID_ARGUMENT naming the event, and stores nothing of it', async () => {
    const collectorClient = server.collectorClient();
    const log = eventLog('det-c', 0, 3);
    log.events[1]!.time[0]!.nanos = 1_000_000_000;
    const failure = (await createEventLog(collectorClient, log).catch(
      (error: unknown) => error,
    )) as ServiceError;
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toContain('events[1].time[0]');
    expect(await storedEventCount(server.queryClient(), 'det-c')).toBe(0);
  });
});

describe('cqserver on etcd', () => {
  let etcd: ThrowawayEtcd;
  let server: ServerProcess;

  beforeAll(async () => {
    etcd = await startThrowawayEtcd();
  });
  afterAll(async () => {
    await etcd.remove();
  });
  beforeEach(async () => {
    server = await ServerProcess.start(
      ['--store=etcd', `--etcd.endpoints=${etcd.endpoint}`, '--etcd.prefix=e2e', `--data_dir=${tempDir()}`],
      { PRIVACY_KEY },
    );
  });
  afterEach(() => {
    server.child.kill('SIGKILL');
  });

  it('stores and serves sightings, follows etcd going down and up, and exits cleanly', async () => {
    const collectorClient = server.collectorClient();
    const queryClient = server.queryClient();
    const health = server.healthClient();
    await waitForHealth(health, 'SERVING', 5_000);

    await createEventLog(collectorClient, eventLog('det-e', 0, 10));
    expect(await storedEventCount(queryClient, 'det-e')).toBe(10);

    await etcd.stop();
    // Three failed probes (libs/healthcheck: 9 s by default); the rest is room for a loaded machine.
    await waitForHealth(health, 'NOT_SERVING', 20_000);
    const failure = (await createEventLog(collectorClient, eventLog('det-e', 10, 1)).catch(
      (error: unknown) => error,
    )) as ServiceError;
    expect(failure.code).toBe(status.UNAVAILABLE);

    await etcd.start();
    await waitForHealth(health, 'SERVING', 10_000);
    await createEventLog(collectorClient, eventLog('det-e', 10, 5));
    expect(await storedEventCount(queryClient, 'det-e')).toBe(15);
    collectorClient.close();
    queryClient.close();

    expect(await server.terminate()).toEqual({ code: 0, signal: null });

    const raw = new Etcd3({ hosts: etcd.endpoint });
    const all = await raw.getAll().prefix('/e2e/').strings();
    raw.close();
    expect(Object.keys(all).filter((key) => key.startsWith('/e2e/detectors/det-e/'))).toHaveLength(15);
    expectNoRawIds([...Object.keys(all), ...Object.values(all), ...server.logLines], 16);
  });
});

describe('cqserver configuration', () => {
  it('refuses etcd without a shared privacy key, in one line, with exit code 2', async () => {
    const result = await runToExit(['--store=etcd', '--etcd.endpoints=http://127.0.0.1:1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'cqserver: privacy.key or privacy.key_file is required with --store etcd: every collector of a deployment must share one key\n',
    );
  });

  it('prints every option with its environment name in --help, and its version', async () => {
    const help = await runToExit(['--help']);
    expect(help.code).toBe(0);
    for (const env of [
      'COLLECTOR_PORT',
      'QUERY_PORT',
      'HEALTHCHECK_PORT',
      'ETCD_ENDPOINTS',
      'DATA_DIR',
      'METRICS_PORT',
    ]) {
      expect(help.stdout).toContain(env);
    }
    const version = await runToExit(['--version']);
    expect(version.stdout).toMatch(/^cqserver 0\.1\.0 \(\w+\)\n$/);
  });
});

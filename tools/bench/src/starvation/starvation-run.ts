import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { percentile, type DetectorId, type Sighting } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import type { AppProcess } from '@message-bus/tools/app-process';
import { Cleanup } from '@message-bus/tools/cleanup';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { metricSum, ProcessStats, scrapeMetrics, startCqserver } from '../e2e/cqserver-under-test';
import { ProbeThread, type ProbeResults } from './probes';

export interface StarvationSizes {
  readonly detectors: number;
  readonly sightingsPerDetector: number;
  /** StreamEvents opened, and each cancelled, within `burstMs`. */
  readonly streams: number;
  readonly streamConnections: number;
  readonly burstMs: number;
  /** GetEvents of `limit` 100,000 started together with the burst, each on its own connection. */
  readonly bigGetEvents: number;
  /** How long to wait for the server to go idle after the burst before giving up. */
  readonly idleWaitCapMs: number;
}

export const FULL_SIZES: StarvationSizes = {
  detectors: 3,
  sightingsPerDetector: 120_000,
  streams: 5_000,
  streamConnections: 50,
  burstMs: 5_000,
  bigGetEvents: 10,
  idleWaitCapMs: 300_000,
};

export const SMOKE_SIZES: StarvationSizes = {
  detectors: 2,
  sightingsPerDetector: 3_000,
  streams: 50,
  streamConnections: 5,
  burstMs: 1_000,
  bigGetEvents: 2,
  idleWaitCapMs: 20_000,
};

/** The targets of issue 16, item 2. */
export const TARGETS = {
  healthP99Ms: 500,
  ingestP99Ms: 1_000,
  idleWithinSeconds: 10,
  /** The server's grace for in-flight calls (10 s) plus 5 s for its other shutdown steps. */
  exitWithinSeconds: 15,
} as const;

const PREFIX = 'bench-starvation';
const PROBE_INTERVAL_MS = 50;
const PROBE_DEADLINE_MS = 120_000;
/** The server counts as idle once it used less than this share of one core over `IDLE_WINDOW_MS`. */
const IDLE_CPU_SHARE = 0.1;
const IDLE_WINDOW_MS = 1_000;
const CPU_SAMPLE_MS = 100;
const EXIT_WAIT_CAP_MS = 60_000;
const GET_EVENTS_DEADLINE_MS = 600_000;

export interface StarvationResult {
  readonly sizes: StarvationSizes;
  readonly preloadSeconds: number;
  readonly probes: ProbeResults;
  readonly healthP50Ms: number;
  readonly healthP99Ms: number;
  readonly healthMaxMs: number;
  readonly ingestP50Ms: number;
  readonly ingestP99Ms: number;
  readonly ingestMaxMs: number;
  /** How each StreamEvents ended, by status name, as the client saw it. */
  readonly streamOutcomes: Readonly<Record<string, number>>;
  /** How each big GetEvents ended, by status name (`OK` when answered). */
  readonly getEventsOutcomes: Readonly<Record<string, number>>;
  /** Seconds after the burst's end until the server was idle; undefined when not within the cap. */
  readonly idleAfterSeconds: number | undefined;
  /** Seconds from SIGTERM to exit; undefined when it had not exited within the cap (then SIGKILLed). */
  readonly exitSeconds: number | undefined;
  readonly exitCode: number | null;
  /**
   * The server's own event-loop delay over the burst (prom-client's monitorEventLoopDelay,
   * reset at the burst's start), in ms: how long the loop was held, whatever the client's
   * or the machine's delays; undefined when the metrics could not be read.
   */
  readonly serverLoopDelay: { readonly p99Ms: number; readonly maxMs: number } | undefined;
  /** The machine's 1-minute load average before and after the burst: other work skews the latencies. */
  readonly loadAverage: { readonly before: number; readonly after: number };
}

/**
 * Loads the embedded store, starts cqserver on it, and while probes measure health and
 * ingest every 50 ms: opens `streams` StreamEvents of limit 100,000 spread over the burst,
 * each cancelled before the burst ends, plus `bigGetEvents` GetEvents of limit 100,000.
 * Then finds when the server's CPU falls back to idle and how long SIGTERM takes.
 */
export async function runStarvation(
  sizes: StarvationSizes,
  bundle: string,
  log: (line: string) => void,
): Promise<StarvationResult> {
  const cleanup = new Cleanup();
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'bench-starvation-'));
    cleanup.defer('remove the data directory', () => rm(dataDir, { recursive: true, force: true }));
    const detectorIds = Array.from({ length: sizes.detectors }, (_, d) => `starved-${d}` as DetectorId);
    const preloadStarted = performance.now();
    await preload(dataDir, detectorIds, sizes.sightingsPerDetector);
    const preloadSeconds = (performance.now() - preloadStarted) / 1000;
    log(
      `stored ${sizes.detectors} × ${sizes.sightingsPerDetector} sightings in ${preloadSeconds.toFixed(1)} s`,
    );

    const server = cleanup.add(
      'kill cqserver',
      await startCqserver({ store: { store: 'embedded', dataDir }, prefix: PREFIX }),
      (running) => running.kill(),
    );
    const stats = new ProcessStats(server.pid!);
    const probes = new ProbeThread(bundle, {
      healthAddress: server.address('healthcheck'),
      collectorAddress: server.address('collector'),
      intervalMs: PROBE_INTERVAL_MS,
      deadlineMs: PROBE_DEADLINE_MS,
    });
    await sleep(1_000); // a second of probes at rest first
    const loadBefore = loadavg()[0]!;
    await scrapeMetrics(server); // resets the server's event-loop delay histogram

    log(
      `burst: ${sizes.streams} cancelled StreamEvents in ${sizes.burstMs} ms, ${sizes.bigGetEvents} GetEvents`,
    );
    const getEvents = bigGetEvents(server, detectorIds, sizes.bigGetEvents, cleanup);
    const streams = await cancelledStreams(server, detectorIds, sizes, cleanup);
    const burstEnded = performance.now();
    const getEventsOutcomes = await getEvents;
    log(`GetEvents: ${JSON.stringify(getEventsOutcomes)}; streams: ${JSON.stringify(streams)}`);
    const probeResults = await probes.stop();
    const loadAfter = loadavg()[0]!;
    const serverLoopDelay = await loopDelaySinceLastScrape(server);

    const idleAt = await whenIdle(stats, sizes.idleWaitCapMs);
    const idleAfterSeconds = idleAt === undefined ? undefined : Math.max(0, (idleAt - burstEnded) / 1000);
    log(
      `idle ${idleAfterSeconds === undefined ? 'not reached' : `${idleAfterSeconds.toFixed(1)} s`} after the burst`,
    );

    const { exitSeconds, exitCode } = await timeSigterm(server);
    log(`SIGTERM: exit ${exitCode} after ${exitSeconds?.toFixed(1) ?? '> cap'} s`);
    const latencies = (values: readonly number[]) => ({
      p50: percentile(values, 0.5) ?? 0,
      p99: percentile(values, 0.99) ?? 0,
      max: Math.max(0, ...values),
    });
    const health = latencies(probeResults.healthMs);
    const ingest = latencies(probeResults.ingestMs);
    return {
      sizes,
      preloadSeconds,
      probes: probeResults,
      healthP50Ms: health.p50,
      healthP99Ms: health.p99,
      healthMaxMs: health.max,
      ingestP50Ms: ingest.p50,
      ingestP99Ms: ingest.p99,
      ingestMaxMs: ingest.max,
      streamOutcomes: streams,
      getEventsOutcomes,
      idleAfterSeconds,
      exitSeconds,
      exitCode,
      serverLoopDelay,
      loadAverage: { before: loadBefore, after: loadAfter },
    };
  } finally {
    await cleanup.run();
  }
}

/** Writes the sightings straight into the embedded store, before the server opens it. */
async function preload(
  dataDir: string,
  detectorIds: readonly DetectorId[],
  perDetector: number,
): Promise<void> {
  const repository = new KvRepository(new LmdbBackend({ path: join(dataDir, 'store') }), { prefix: PREFIX });
  try {
    // The last few minutes, 2 ms apart: inside the retention, not late.
    const firstNanos = BigInt(Date.now() - perDetector * 2 - 60_000) * 1_000_000n;
    for (const detectorId of detectorIds) {
      for (let first = 0; first < perDetector; first += 10_000) {
        const batch: Sighting[] = [];
        for (let index = first; index < Math.min(perDetector, first + 10_000); index += 1) {
          const time = firstNanos + BigInt(index) * 2_000_000n;
          batch.push({ detectorId, deviceId: `device-${index % 20_000}`, time });
        }
        await repository.events.append(batch);
      }
    }
  } finally {
    await repository.close();
  }
}

/** A query client on its own HTTP/2 connection, as a separate client would have. */
function ownConnection(server: AppProcess, cleanup: Cleanup): query.QueryServiceClient {
  const client = new query.QueryServiceClient(server.address('query'), credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
  });
  return cleanup.add('close a query client', client, (opened) => opened.close());
}

/** `count` GetEvents of limit 100,000 at once, each on its own connection; resolves to their outcomes. */
async function bigGetEvents(
  server: AppProcess,
  detectorIds: readonly DetectorId[],
  count: number,
  cleanup: Cleanup,
): Promise<Record<string, number>> {
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const client = ownConnection(server, cleanup);
      const request = query.GetEventsRequest.fromPartial({
        detectorIds: [detectorIds[index % detectorIds.length]!],
        limit: 100_000n,
      });
      return new Promise<string>((resolve) =>
        client.getEvents(
          request,
          new Metadata(),
          { deadline: Date.now() + GET_EVENTS_DEADLINE_MS },
          (error) => resolve(error === null ? 'OK' : statusName(error)),
        ),
      );
    }),
  );
  return tally(outcomes);
}

/**
 * Opens the streams spread evenly over the burst on `streamConnections` connections; each
 * is cancelled a pseudo-random 0 to 1 s after it opened, and all before the burst ends.
 * Resolves, once the burst is over, to how each ended as the client saw it.
 */
async function cancelledStreams(
  server: AppProcess,
  detectorIds: readonly DetectorId[],
  sizes: StarvationSizes,
  cleanup: Cleanup,
): Promise<Record<string, number>> {
  const clients = Array.from({ length: sizes.streamConnections }, () => ownConnection(server, cleanup));
  const ended: Promise<string>[] = [];
  const spacingMs = sizes.burstMs / sizes.streams;
  const started = performance.now();
  for (let index = 0; index < sizes.streams; index += 1) {
    const openAt = index * spacingMs;
    const wait = started + openAt - performance.now();
    if (wait >= 1) await sleep(wait);
    const call = clients[index % clients.length]!.streamEvents(
      query.GetEventsRequest.fromPartial({
        detectorIds: [detectorIds[index % detectorIds.length]!],
        limit: 100_000n,
      }),
    );
    ended.push(
      new Promise<string>((resolve) => {
        call.on('data', () => undefined);
        call.on('error', (error: ServiceError) => resolve(statusName(error)));
        call.on('end', () => resolve('OK'));
      }),
    );
    const cancelAfterMs = Math.min((index * 7_919) % 1_000, sizes.burstMs - openAt);
    setTimeout(() => call.cancel(), cancelAfterMs);
  }
  return tally(await Promise.all(ended));
}

/** The time (performance.now()) the server's CPU share over the last window first fell below the idle share. */
async function whenIdle(stats: ProcessStats, capMs: number): Promise<number | undefined> {
  const samples: { at: number; cpuSeconds: number }[] = [];
  const started = performance.now();
  while (performance.now() - started < capMs) {
    const at = performance.now();
    samples.push({ at, cpuSeconds: stats.cpuSeconds() });
    const windowStart = samples.find((sample) => sample.at >= at - IDLE_WINDOW_MS);
    if (windowStart !== undefined && at - windowStart.at >= IDLE_WINDOW_MS - CPU_SAMPLE_MS) {
      const share = (samples.at(-1)!.cpuSeconds - windowStart.cpuSeconds) / ((at - windowStart.at) / 1000);
      if (share < IDLE_CPU_SHARE) return windowStart.at;
    }
    await sleep(CPU_SAMPLE_MS);
  }
  return undefined;
}

async function timeSigterm(
  server: AppProcess,
): Promise<{ exitSeconds: number | undefined; exitCode: number | null }> {
  const started = performance.now();
  const stopped = server.stop().then(() => 'exited' as const);
  const capped = sleep(EXIT_WAIT_CAP_MS, 'still running' as const, { ref: false });
  const outcome = await Promise.race([stopped, capped]);
  if (outcome === 'still running') {
    await server.kill();
    return { exitSeconds: undefined, exitCode: null };
  }
  return { exitSeconds: (performance.now() - started) / 1000, exitCode: server.exitCode };
}

async function loopDelaySinceLastScrape(
  server: AppProcess,
): Promise<{ p99Ms: number; maxMs: number } | undefined> {
  const text = await scrapeMetrics(server).catch(() => undefined);
  if (text === undefined) return undefined;
  const p99 = metricSum(text, 'nodejs_eventloop_lag_p99_seconds');
  const max = metricSum(text, 'nodejs_eventloop_lag_max_seconds');
  return p99 === undefined || max === undefined ? undefined : { p99Ms: p99 * 1000, maxMs: max * 1000 };
}

function statusName(error: ServiceError): string {
  return status[error.code] ?? String(error.code);
}

function tally(outcomes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

import { credentials } from '@grpc/grpc-js';
import { percentile } from '@message-bus/domain';
import { collector } from '@message-bus/proto';
import { Keyspace } from '@message-bus/store-kv';
import { startThrowawayEtcd } from '@message-bus/tools/etcd/throwaway';
import { Etcd3 } from 'etcd3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedVersion, machineInfo, type MachineInfo } from '../machine';
import { Cleanup } from '@message-bus/tools/cleanup';
import {
  countEmbeddedKeys,
  metricSum,
  ProcessStats,
  scrapeMetrics,
  startCqserver,
  type StoreUnderTest,
} from '../e2e/cqserver-under-test';
import { LoadGeneratorProcess } from '../e2e/load-generator-process';
import type { LoadProgress, PacedJob } from '../e2e/load-jobs';
import { corridorLinks, type SoakTrafficSpec } from './soak-traffic';
import { floorsOf, trendOf, type Trend } from './trend';

export interface SoakOptions {
  readonly store: 'embedded' | 'etcd';
  readonly minutes: number;
  /** Sightings per second; when absent, half the rate measured by a probe of `probeSeconds`. */
  readonly rate?: number;
  readonly probeSeconds: number;
  /** How often the server's memory and event-loop lag are sampled. */
  readonly sampleSeconds: number;
  readonly log: (line: string) => void;
}

/** One look at the server during the soak. */
export interface SoakSample {
  /** Seconds since the soak (after the probe) started. */
  readonly seconds: number;
  readonly rssBytes: number;
  /** Of it: anonymous memory (heap, buffers) and file-backed pages (the embedded store's memory map, growing with the data). */
  readonly rssAnonBytes: number;
  readonly rssFileBytes: number;
  /** Event-loop delay since the previous sample (prom-client's histogram, reset at every scrape). */
  readonly lagMeanMs: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Sightings acknowledged to the load generator so far, and its calls' p99 latency since the previous report. */
  readonly sightingsAcknowledged: number;
  readonly callP99Ms: number;
  /** Travel-time estimates the server's worker has written so far. */
  readonly estimatesWritten: number;
}

export interface SoakReport {
  readonly suite: 'soak';
  readonly title: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, string | number>>;
  /** The unpaced probe's rate, when the soak's rate was derived from it. */
  readonly probe?: { readonly seconds: number; readonly sightingsPerSecond: number };
  /** The paced rate asked for, and what the load generator achieved. */
  readonly targetSightingsPerSecond: number;
  readonly achievedSightingsPerSecond: number;
  readonly callLatency: { readonly p50Ms: number; readonly p99Ms: number; readonly calls: number };
  readonly samples: readonly SoakSample[];
  readonly rss: Trend;
  /** The anonymous part of RSS: what a leak would grow. */
  readonly rssAnon: Trend;
  /** Its floor: the lowest value of each window, what garbage collection returns to. */
  readonly rssAnonFloor: Trend;
  readonly lagP99: Trend;
  readonly lagMax: Trend;
  readonly counts: {
    /** Sightings acknowledged over the probe and the soak. */
    readonly acknowledged: number;
    readonly failedCalls: number;
    readonly firstFailure?: string;
    /** Sightings the store holds at the end. */
    readonly stored: number;
  };
  readonly estimatesWritten: number;
  readonly verdicts: {
    readonly rssFlat: boolean;
    readonly lagFlat: boolean;
    readonly countsEqual: boolean;
    readonly workerWrote: boolean;
  };
  readonly notes: readonly string[];
}

const PREFIX = 'soak';
const SIGHTINGS_PER_LOG = 100;
const CONCURRENCY = 8;
const LINK_MAX_SECONDS = 600;
/** The worker's schedule in the soak: short, so it runs many times in a few minutes. */
const WORKER_INTERVAL_SECONDS = 10;
const WORKER_LAG_SECONDS = 5;
/** Memory counts as flat when the line fitted to the second half of the anonymous RSS floor adds at most this share of its median. */
const RSS_FLAT_GROWTH = 0.1;
/** Windows over which the anonymous RSS floor is taken: several collections long. */
const RSS_FLOOR_WINDOW_SECONDS = 30;
/** Lag counts as flat when the fitted line adds at most this share of the median, or this many ms. */
const LAG_FLAT_GROWTH = 0.5;
const LAG_FLAT_MS = 5;

const TRAFFIC: SoakTrafficSpec = {
  detectorPrefix: 'soak',
  corridorDetectors: 21,
  corridorSightingsPerDetectorPerSecond: 10_000 / 3600,
  secondsBetweenDetectors: 30,
  bulkDetectors: 100,
};

/**
 * The soak of issue 8: cqserver with its travel-time worker running (a corridor of 20
 * links with realistic traffic), fed by a separate load generator at half the measured
 * maximum ingest rate (or `rate`) for `minutes`. Samples the server's RSS and event-loop
 * lag, checks that the store ends up holding exactly what was acknowledged, and judges
 * whether memory and lag stayed flat.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const startedAt = new Date();
  const cleanup = new Cleanup();
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'message-bus-soak-'));
    cleanup.defer('remove the work dir', () => rm(workDir, { recursive: true, force: true }));
    let store: StoreUnderTest;
    let etcdClient: Etcd3 | undefined;
    if (options.store === 'etcd') {
      const etcd = await startThrowawayEtcd();
      cleanup.defer('remove etcd', () => etcd.remove());
      etcdClient = new Etcd3({ hosts: etcd.endpoint });
      const client = etcdClient;
      cleanup.defer('close the etcd client', () => client.close());
      store = { store: 'etcd', endpoint: etcd.endpoint };
    } else {
      store = { store: 'embedded', dataDir: join(workDir, 'cqserver') };
    }
    options.log(`starting cqserver on ${options.store} and the load generator`);
    const server = await startCqserver({
      store,
      prefix: PREFIX,
      args: [`--traveltime.interval=${WORKER_INTERVAL_SECONDS}s`, `--traveltime.lag=${WORKER_LAG_SECONDS}s`],
    });
    cleanup.defer('stop cqserver', () => server.stop());
    const memory = new ProcessStats(server.pid!);
    const collectorClient = new collector.CollectorServiceClient(
      server.address('collector'),
      credentials.createInsecure(),
    );
    cleanup.defer('close the collector client', () => collectorClient.close());
    for (const link of corridorLinks(TRAFFIC, LINK_MAX_SECONDS)) {
      await new Promise<void>((resolve, reject) =>
        collectorClient.createDetectorLink(link, (error) => (error ? reject(error) : resolve())),
      );
    }
    const loadGenerator = await LoadGeneratorProcess.start();
    cleanup.defer('close the load generator', () => loadGenerator.close());
    const job = (seconds: number, sightingsPerSecond?: number): PacedJob => ({
      kind: 'paced',
      collector: server.address('collector'),
      traffic: TRAFFIC,
      sightingsPerLog: SIGHTINGS_PER_LOG,
      concurrency: CONCURRENCY,
      seconds,
      progressEveryMs: options.sampleSeconds * 1000,
      ...(sightingsPerSecond === undefined ? {} : { sightingsPerSecond }),
    });

    let acknowledged = 0;
    let failedCalls = 0;
    let firstFailure: string | undefined;
    let probe: SoakReport['probe'];
    let rate = options.rate;
    if (rate === undefined) {
      options.log(`measuring the maximum ingest rate for ${options.probeSeconds} s`);
      const result = await loadGenerator.run(job(options.probeSeconds));
      acknowledged += result.sightings;
      failedCalls += result.failedCalls;
      firstFailure ??= result.firstFailure;
      probe = { seconds: result.seconds, sightingsPerSecond: result.sightings / result.seconds };
      rate = Math.max(1, Math.round(probe.sightingsPerSecond / 2));
      options.log(
        `maximum ${Math.round(probe.sightingsPerSecond)} sightings/s; soaking at ${rate} sightings/s`,
      );
    }

    options.log(`soaking for ${options.minutes} min at ${rate} sightings/s`);
    const samples: SoakSample[] = [];
    let progress: LoadProgress | undefined;
    const soakStarted = performance.now();
    let sampling = Promise.resolve();
    const sampleTimer = setInterval(() => {
      sampling = sampling.then(async () => {
        const metrics = await scrapeMetrics(server);
        const seconds = (performance.now() - soakStarted) / 1000;
        const milliseconds = (name: string) => (metricSum(metrics, name) ?? NaN) * 1000;
        const resident = memory.residentBreakdown();
        const sample: SoakSample = {
          seconds,
          rssBytes: memory.currentBytes(),
          rssAnonBytes: resident.anonBytes,
          rssFileBytes: resident.fileBytes,
          lagMeanMs: milliseconds('nodejs_eventloop_lag_mean_seconds'),
          lagP99Ms: milliseconds('nodejs_eventloop_lag_p99_seconds'),
          lagMaxMs: milliseconds('nodejs_eventloop_lag_max_seconds'),
          sightingsAcknowledged: progress?.sightings ?? 0,
          callP99Ms: progress?.p99Ms ?? 0,
          estimatesWritten: metricSum(metrics, 'message_bus_travel_time_estimates_written_total') ?? 0,
        };
        samples.push(sample);
        options.log(
          `${seconds.toFixed(0).padStart(5)} s  RSS ${(sample.rssBytes / 2 ** 20).toFixed(0)} MB (anon ${(sample.rssAnonBytes / 2 ** 20).toFixed(0)})  lag p99 ${sample.lagP99Ms.toFixed(1)} ms (max ${sample.lagMaxMs.toFixed(1)})  acknowledged ${sample.sightingsAcknowledged}  estimates ${sample.estimatesWritten}`,
        );
      });
    }, options.sampleSeconds * 1000);
    let soak;
    try {
      soak = await loadGenerator.run(job(options.minutes * 60, rate), (report) => (progress = report));
    } finally {
      clearInterval(sampleTimer);
      await sampling;
    }
    acknowledged += soak.sightings;
    failedCalls += soak.failedCalls;
    firstFailure ??= soak.firstFailure;
    const estimatesWritten =
      metricSum(await scrapeMetrics(server), 'message_bus_travel_time_estimates_written_total') ?? 0;

    options.log('counting what the store holds');
    let stored: number;
    const detectorsRoot = new Keyspace(PREFIX).detectorsRoot;
    if (etcdClient !== undefined) {
      stored = await etcdClient.getAll().prefix(detectorsRoot).count();
    } else {
      await server.stop();
      stored = await countEmbeddedKeys(join(workDir, 'cqserver', 'store'), detectorsRoot);
    }

    const rss = trendOf(samples.map((sample) => ({ seconds: sample.seconds, value: sample.rssBytes })));
    const rssAnonSeries = samples.map((sample) => ({ seconds: sample.seconds, value: sample.rssAnonBytes }));
    const rssAnon = trendOf(rssAnonSeries);
    const rssAnonFloor = trendOf(floorsOf(rssAnonSeries, RSS_FLOOR_WINDOW_SECONDS));
    const lagP99 = trendOf(samples.map((sample) => ({ seconds: sample.seconds, value: sample.lagP99Ms })));
    const lagMax = trendOf(samples.map((sample) => ({ seconds: sample.seconds, value: sample.lagMaxMs })));
    const lagGrowthMs = lagP99.secondHalfGrowth * lagP99.median;
    return {
      suite: 'soak',
      title: `Soak: cqserver on ${options.store === 'etcd' ? 'etcd' : 'the embedded store'} with its travel-time worker, ${options.minutes} min at ${probe === undefined ? 'a given rate' : 'half the maximum ingest rate'}`,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      machine: machineInfo({
        ...(etcdClient === undefined ? {} : { etcd: (await etcdClient.maintenance.status()).version }),
        lmdb: installedVersion('lmdb'),
        '@grpc/grpc-js': installedVersion('@grpc/grpc-js'),
      }),
      settings: {
        store: options.store,
        minutes: options.minutes,
        sampleSeconds: options.sampleSeconds,
        sightingsPerCall: SIGHTINGS_PER_LOG,
        callsInFlight: CONCURRENCY,
        corridorLinks: TRAFFIC.corridorDetectors - 1,
        corridorSightingsPerDetectorHour: Math.round(TRAFFIC.corridorSightingsPerDetectorPerSecond * 3600),
        bulkDetectors: TRAFFIC.bulkDetectors,
        workerInterval: `${WORKER_INTERVAL_SECONDS}s, lag ${WORKER_LAG_SECONDS}s`,
      },
      ...(probe === undefined ? {} : { probe }),
      targetSightingsPerSecond: rate,
      achievedSightingsPerSecond: soak.sightings / soak.seconds,
      callLatency: {
        p50Ms: percentile(soak.latenciesMs, 0.5) ?? 0,
        p99Ms: percentile(soak.latenciesMs, 0.99) ?? 0,
        calls: soak.latenciesMs.length,
      },
      samples,
      rss,
      rssAnon,
      rssAnonFloor,
      lagP99,
      lagMax,
      counts: { acknowledged, failedCalls, ...(firstFailure === undefined ? {} : { firstFailure }), stored },
      estimatesWritten,
      verdicts: {
        rssFlat: rssAnonFloor.secondHalfGrowth <= RSS_FLAT_GROWTH,
        lagFlat: lagP99.secondHalfGrowth <= LAG_FLAT_GROWTH || lagGrowthMs <= LAG_FLAT_MS,
        countsEqual: failedCalls === 0 && stored === acknowledged,
        workerWrote: estimatesWritten > 0,
      },
      notes: [
        `Traffic: calls of ${SIGHTINGS_PER_LOG} sightings, ${CONCURRENCY} in flight, paced. A corridor of ${TRAFFIC.corridorDetectors} detectors in a chain (${TRAFFIC.corridorDetectors - 1} links) gets ${Math.round(TRAFFIC.corridorSightingsPerDetectorPerSecond * 3600).toLocaleString('en-US')} sightings per detector-hour, vehicles reaching the next detector about ${TRAFFIC.secondsBetweenDetectors} s later, so the worker matches real trips every ${WORKER_INTERVAL_SECONDS} s; the rest of the rate goes to ${TRAFFIC.bulkDetectors} unlinked detectors.`,
        probe === undefined
          ? 'The rate was given with --rate.'
          : `The rate is half of what an unpaced run of ${options.probeSeconds} s achieved just before, with the same traffic shape.`,
        `RSS is the server's VmRSS, split into anonymous memory (heap, buffers: what a leak grows) and file-backed pages (on the embedded store mostly lmdb's memory map of its data file, which grows with the data stored and which the kernel reclaims under pressure); flatness is judged on the anonymous part. Event-loop lag is prom-client's event-loop delay histogram from /metrics, reset at every scrape, so each sample covers the ${options.sampleSeconds} s before it.`,
        `Flat: the least-squares line through the second half of the samples (the first half holds the warm-up) adds at most ${RSS_FLAT_GROWTH * 100} % of the median of the anonymous RSS floor (its lowest value in each ${RSS_FLOOR_WINDOW_SECONDS} s: collections make a sawtooth whose peaks come and go, a leak raises the floor), and at most ${LAG_FLAT_GROWTH * 100} % of the median p99 lag or ${LAG_FLAT_MS} ms.`,
        'Counts: sightings acknowledged to the load generator over the probe and the soak, against the event keys the store holds after the load stopped (embedded: after a graceful shutdown).',
      ],
    };
  } finally {
    await cleanup.run();
  }
}

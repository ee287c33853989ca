import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDetectorId, percentile } from '@message-bus/domain';
import { EtcdBackend, EtcdWorkLeases } from '@message-bus/store-etcd';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository, Keyspace } from '@message-bus/store-kv';
import { startThrowawayEtcd } from '@message-bus/tools/etcd/throwaway';
import type { AppProcess } from '@message-bus/tools/app-process';
import { InProcessWorkLeases } from '@message-bus/traveltime';
import { Etcd3 } from 'etcd3';
import { open } from 'lmdb';
import { installedVersion, machineInfo } from '../machine';
import { measureInterleaved, median, type TimedRun, type Trial } from '../measure';
import {
  speedRatio,
  toResultRow,
  type BenchReport,
  type ExtraTable,
  type RatioRow,
  type ResultRow,
  type ResultSpec,
} from '../report';
import {
  onePutPerEvent,
  RAW_ETCD_OPS_PER_TXN,
  RAW_ETCD_TXNS_IN_FLIGHT,
  rawEtcdAppend,
  rawLmdbAppend,
} from '../store/append-trials';
import { rawEtcdList } from '../store/list-trials';
import { EventWorkload } from '../store/workload';
import { Cleanup } from '@message-bus/tools/cleanup';
import { countEmbeddedKeys, ProcessStats, startCqserver } from './cqserver-under-test';
import { LoadGeneratorProcess } from './load-generator-process';
import { startNoopCollector } from './noop-collector';
import type { LoadJob, LoadResult } from './load-jobs';
import { nativeNotes, nativeTables, runNativeRows, type NativeReport } from './native-rows';
import { ProcessTree } from './native-tools';
import {
  detectorIdOf,
  previousHourStartSeconds,
  SIGHTINGS_PER_DETECTOR_HOUR,
  type SightingPlan,
} from './sighting-logs';
import { storeHundredLinkNetwork, WORKER_INTERVAL_SECONDS, workerIntervalTrial } from './worker-interval';

export interface E2eSuiteOptions {
  /** Tiny sizes and one round, to prove the suite runs. */
  readonly smoke: boolean;
  /** Recorded rounds, overriding the default of the mode. */
  readonly rounds?: number;
  /** Progress lines; e.g. `(line) => process.stderr.write(line + '\n')`. */
  readonly log: (line: string) => void;
  /** When set, each cqserver writes a V8 CPU profile of its whole run into this directory. */
  readonly serverCpuProfileDir?: string;
  /** Stands in for the check whether the native (Go) rows can run; returns why not, or undefined. */
  readonly nativeUnavailable?: () => string | undefined;
}

/** Input sizes of one run, in sightings per timed run unless said otherwise. */
interface E2eSizes {
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly shapes: Readonly<Record<ShapeKey, number>>;
  /** Logs per StreamEventLog call. */
  readonly logsPerStream: number;
  readonly rawEtcd: number;
  readonly onePut: number;
  readonly rawLmdb: number;
  /** Sightings in the GetEvents detector-hour, and reads of it per timed run. */
  readonly detectorHour: number;
  readonly getEventsRepeats: number;
}

type ShapeKey = 'unary-1.c1' | 'unary-1.c64' | 'unary-100.c8' | 'stream-100';

const fullSizes: E2eSizes = {
  rounds: 3,
  warmupRounds: 1,
  shapes: { 'unary-1.c1': 2_000, 'unary-1.c64': 20_000, 'unary-100.c8': 50_000, 'stream-100': 100_000 },
  logsPerStream: 100,
  // As many as the streamed shape it is rated against: a short trial catches too little of etcd's own rhythm.
  rawEtcd: 100_000,
  onePut: 1_000,
  rawLmdb: 50_000,
  detectorHour: SIGHTINGS_PER_DETECTOR_HOUR,
  // Twenty reads: one read is short (about 0.1 s), so a few are at the mercy of whatever else the machine is doing.
  getEventsRepeats: 20,
};

const smokeSizes: E2eSizes = {
  rounds: 1,
  warmupRounds: 0,
  shapes: { 'unary-1.c1': 20, 'unary-1.c64': 256, 'unary-100.c8': 800, 'stream-100': 2_000 },
  logsPerStream: 10,
  rawEtcd: 2_000,
  onePut: 20,
  rawLmdb: 1_000,
  detectorHour: 1_000,
  getEventsRepeats: 1,
};

interface Shape {
  readonly key: ShapeKey;
  /** Six characters, in detector ids, so every shape's keys have the raw baselines' length. */
  readonly code: string;
  readonly label: string;
  readonly sightingsPerLog: number;
  /** Unary calls in flight; streams go one at a time. */
  readonly concurrency: number;
  readonly stream: boolean;
}

const SHAPES: readonly Shape[] = [
  {
    key: 'unary-1.c1',
    code: 'u1-c01',
    label: 'unary, 1 sighting, concurrency 1',
    sightingsPerLog: 1,
    concurrency: 1,
    stream: false,
  },
  {
    key: 'unary-1.c64',
    code: 'u1-c64',
    label: 'unary, 1 sighting, concurrency 64',
    sightingsPerLog: 1,
    concurrency: 64,
    stream: false,
  },
  {
    key: 'unary-100.c8',
    code: 'u100c8',
    label: 'unary, 100 sightings, concurrency 8',
    sightingsPerLog: 100,
    concurrency: 8,
    stream: false,
  },
  {
    key: 'stream-100',
    code: 'stream',
    label: 'StreamEventLog, logs of 100 sightings',
    sightingsPerLog: 100,
    concurrency: 1,
    stream: true,
  },
];

type StoreKey = 'etcd' | 'embedded';
const STORES: readonly { readonly key: StoreKey; readonly label: string }[] = [
  { key: 'etcd', label: 'etcd' },
  { key: 'embedded', label: 'embedded' },
];

/** The keyspace prefix of the cqservers, of the raw baselines, and of the worker's network. */
const PREFIX = 'bench-e2e';
const RAW_PREFIX = 'bench-raw';
const WORKER_PREFIX = 'bench-tt';
const MEBIBYTE = 1024 * 1024;
/** Sightings per call of the raw etcd3 baseline: the storage benchmark's batch, calls awaited in turn. */
const RAW_ETCD_BATCH = 10_000;

/** The result row of the no-op gRPC server, the unary shapes' ceiling. */
const CEILING_ID = 'ceiling.noop-grpc.unary-1.c64';

/** Issue 8's targets. */
const TARGETS = {
  streamEtcdVsRaw: 0.6,
  streamEtcdVsOnePut: 30,
  unary100c8EtcdVsRaw: 0.5,
  unary1c64EtcdVsOnePut: 20,
  embeddedStreamSightingsPerSecond: 100_000,
  getEventsTimeVsRawRange: 1.5,
  peakRssMegabytes: 250,
} as const;

/** An issue target checked against this run's figures. */
export interface TargetCheck {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: '×' | 'sightings/s' | 'MB';
  readonly comparison: 'at least' | 'at most';
  readonly target: number;
  readonly met: boolean;
}

/** Latency and server memory of one measured shape. */
export interface LatencyRow {
  /** The result row's id; e.g. `ingest.etcd.unary-1.c64`. */
  readonly id: string;
  readonly label: string;
  /** What one latency sample times; e.g. `call of 100 sightings`. */
  readonly latencyOf: string;
  /** Calls timed over the recorded rounds. */
  readonly calls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The cqserver's peak resident memory during the shape's recorded rounds (VmHWM), mapped files' pages included. */
  readonly serverPeakRssBytes: number;
  /** Its peak anonymous resident memory (heap, buffers) over those rounds, sampled every 20 ms: the memory of its own. */
  readonly serverPeakAnonBytes: number;
  /** Of its resident memory at the end of the runs (the largest): anonymous (heap, buffers) and file-backed (lmdb's map). */
  readonly serverRssAnonBytes: number;
  readonly serverRssFileBytes: number;
  /** The cqserver's CPU time per sighting (median over the recorded rounds): its cost, which other load distorts far less than wall time. */
  readonly serverCpuMicrosPerSighting: number;
}

/** Sightings acknowledged to the load generator against what the store holds at the end. */
export interface CountCheck {
  readonly store: StoreKey;
  readonly sent: number;
  readonly stored: number;
}

export interface E2eReport extends BenchReport {
  readonly latency: readonly LatencyRow[];
  readonly targets: readonly TargetCheck[];
  readonly counts: readonly CountCheck[];
  /** The native (Go) client's rows of issues 21 and 22, or why they were skipped. */
  readonly native: NativeReport;
}

/** A load generator run of one recorded or warm-up round, with the server's peak memory meanwhile. */
interface RemoteRun {
  readonly round: number;
  readonly result: LoadResult;
  readonly serverPeakRssBytes: number;
  readonly serverPeakAnonBytes: number;
  readonly serverRss: { readonly anonBytes: number; readonly fileBytes: number };
  readonly serverCpuSeconds: number;
}

/**
 * The end-to-end benchmark of issue 8: the built cqserver on etcd and on the embedded
 * store, driven over loopback gRPC by a load generator in a process of its own, in four
 * ingest shapes, GetEvents of a detector-hour, and the travel-time worker's interval
 * over a 100-link network, each next to baselines measured in the same run (raw etcd3,
 * raw lmdb, one etcd put per sighting, a raw range read). Starts everything it measures
 * and removes it before it returns.
 */
export async function runE2eSuite(options: E2eSuiteOptions): Promise<E2eReport> {
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const base = options.smoke ? smokeSizes : fullSizes;
  const sizes: E2eSizes = { ...base, rounds: options.rounds ?? base.rounds };
  const totalRounds = sizes.warmupRounds + sizes.rounds;
  const cleanup = new Cleanup();
  try {
    options.log('starting a throwaway etcd, two cqservers (etcd, embedded) and the load generator');
    const etcd = await startThrowawayEtcd();
    cleanup.defer('remove etcd', () => etcd.remove());
    const workDir = await mkdtemp(join(tmpdir(), 'message-bus-bench-e2e-'));
    cleanup.defer('remove the work dir', () => rm(workDir, { recursive: true, force: true }));
    const client = new Etcd3({ hosts: etcd.endpoint });
    cleanup.defer('close the etcd client', () => client.close());

    const embeddedDataDir = join(workDir, 'cqserver');
    const servers = {
      etcd: await startCqserver({
        store: { store: 'etcd', endpoint: etcd.endpoint },
        prefix: PREFIX,
        ...(options.serverCpuProfileDir === undefined ? {} : { cpuProfileDir: options.serverCpuProfileDir }),
      }),
      embedded: await startCqserver({
        store: { store: 'embedded', dataDir: embeddedDataDir },
        prefix: PREFIX,
        ...(options.serverCpuProfileDir === undefined ? {} : { cpuProfileDir: options.serverCpuProfileDir }),
      }),
    } satisfies Record<StoreKey, AppProcess>;
    // SIGTERM, so an acknowledged write is never cut off and a CPU profile gets written.
    cleanup.defer('stop cqserver on etcd', () => servers.etcd.stop());
    cleanup.defer('stop cqserver on the embedded store', () => servers.embedded.stop());
    const memory = {
      etcd: new ProcessStats(servers.etcd.pid!),
      embedded: new ProcessStats(servers.embedded.pid!),
    } satisfies Record<StoreKey, ProcessStats>;
    const rssAtStart = { etcd: memory.etcd.currentBytes(), embedded: memory.embedded.currentBytes() };
    // With --workers (its default: one per core) cqserver serves from child processes too,
    // which the per-shape server CPU and memory of this suite's own table do not include.
    const serverProcesses = {
      etcd: new ProcessTree(servers.etcd.pid!).pids().length,
      embedded: new ProcessTree(servers.embedded.pid!).pids().length,
    };
    const peakResets = memory.etcd.resetPeak() && memory.embedded.resetPeak();
    const loadGenerator = await LoadGeneratorProcess.start();
    cleanup.defer('close the load generator', () => loadGenerator.close());

    const sent: Record<StoreKey, number> = { etcd: 0, embedded: 0 };
    const remote = async (store: StoreKey, job: LoadJob): Promise<LoadResult> => {
      const result = await loadGenerator.run(job);
      sent[store] += job.kind === 'get-events' ? 0 : result.sightings;
      return result;
    };
    const hourStartSeconds = previousHourStartSeconds(startedAt);

    options.log(
      `storing the GetEvents detector-hour (${sizes.detectorHour} sightings) through each cqserver`,
    );
    const hourPlan: SightingPlan = {
      detectorPrefix: 'bench-e2e-getevt-r000',
      sightings: sizes.detectorHour,
      sightingsPerLog: 100,
      hourStartSeconds,
    };
    const hourDetector = detectorIdOf(hourPlan, 0);
    for (const store of STORES) {
      await remote(store.key, {
        kind: 'stream',
        collector: servers[store.key].address('collector'),
        plan: hourPlan,
        logsPerStream: sizes.detectorHour / 100,
      });
    }

    options.log('storing a 100-link network for the travel-time worker in etcd and in lmdb');
    const workerEtcd = new KvRepository(new EtcdBackend({ hosts: etcd.endpoint }), { prefix: WORKER_PREFIX });
    cleanup.defer('close the etcd worker repository', () => workerEtcd.close());
    const workerEtcdLeases = new EtcdWorkLeases({
      hosts: etcd.endpoint,
      prefix: WORKER_PREFIX,
      holder: 'bench',
    });
    cleanup.defer('close the etcd work leases', () => workerEtcdLeases.close());
    const workerLmdb = new KvRepository(new LmdbBackend({ path: join(workDir, 'worker') }), {
      prefix: WORKER_PREFIX,
    });
    cleanup.defer('close the lmdb worker repository', () => workerLmdb.close());
    const workerLmdbLeases = new InProcessWorkLeases();
    cleanup.defer('close the in-process work leases', () => workerLmdbLeases.close());
    const network = await storeHundredLinkNetwork(workerEtcd, totalRounds);
    await storeHundredLinkNetwork(workerLmdb, totalRounds);

    const rawLmdb = open<Buffer, Buffer>({
      path: join(workDir, 'raw'),
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    cleanup.defer('close raw lmdb', () => rawLmdb.close());
    const workload = new EventWorkload(RAW_PREFIX, SIGHTINGS_PER_DETECTOR_HOUR, startedAt);

    const specs: ResultSpec[] = [];
    const trials: Trial[] = [];
    const remoteRuns = new Map<string, RemoteRun[]>();
    const latencyLabels = new Map<string, { readonly label: string; readonly measures: string }>();
    /**
     * A trial the load generator runs against `server`, with the server's peak memory
     * reset before and read after; sightings sent to a cqserver count towards its store.
     */
    const remoteTrial = (
      spec: ResultSpec,
      server: { readonly stats: ProcessStats; readonly store?: StoreKey },
      jobFor: (round: number) => LoadJob,
      latencyLabel: { readonly label: string; readonly measures: string },
    ) => {
      specs.push(spec);
      remoteRuns.set(spec.id, []);
      latencyLabels.set(spec.id, latencyLabel);
      trials.push({
        id: spec.id,
        async prepare(round) {
          const job = jobFor(round);
          server.stats.resetPeak();
          return async () => {
            const cpuBefore = server.stats.cpuSeconds();
            const { result, peakAnonBytes } = await server.stats.peakAnonWhile(
              server.store === undefined ? loadGenerator.run(job) : remote(server.store, job),
            );
            remoteRuns.get(spec.id)!.push({
              round,
              result,
              serverPeakRssBytes: server.stats.peakBytes(),
              serverPeakAnonBytes: peakAnonBytes,
              serverRss: server.stats.residentBreakdown(),
              serverCpuSeconds: server.stats.cpuSeconds() - cpuBefore,
            });
          };
        },
      });
    };
    const localTrial = (spec: ResultSpec, trial: (id: string) => Trial) => {
      specs.push(spec);
      trials.push(trial(spec.id));
    };

    for (const store of STORES) {
      const group = `ingest through cqserver on ${store.key === 'etcd' ? 'etcd' : 'the embedded store (lmdb)'}`;
      for (const shape of SHAPES) {
        const sightings = sizes.shapes[shape.key];
        const spec: ResultSpec = {
          id: ingestId(store.key, shape.key),
          group,
          label: `cqserver: ${shape.label}`,
          events: sightings,
          unit: 'events/s',
        };
        const collector = servers[store.key].address('collector');
        const plan = (round: number): SightingPlan => ({
          detectorPrefix: `bench-e2e-${shape.code}-r${String(round).padStart(3, '0')}`,
          sightings,
          sightingsPerLog: shape.sightingsPerLog,
          hourStartSeconds,
        });
        const measures = shape.stream
          ? `stream call of ${sizes.logsPerStream} logs`
          : `call of ${shape.sightingsPerLog} sighting${shape.sightingsPerLog === 1 ? '' : 's'}`;
        remoteTrial(
          spec,
          { stats: memory[store.key], store: store.key },
          (round) =>
            shape.stream
              ? { kind: 'stream', collector, plan: plan(round), logsPerStream: sizes.logsPerStream }
              : { kind: 'unary', collector, plan: plan(round), concurrency: shape.concurrency },
          { label: `${store.label}: ${shape.label}`, measures },
        );
      }
      if (store.key === 'etcd') {
        localTrial(
          {
            id: 'baseline.etcd.raw',
            group,
            label: `baseline: raw etcd3, txns of ${RAW_ETCD_OPS_PER_TXN} puts, ${RAW_ETCD_TXNS_IN_FLIGHT} in flight`,
            events: sizes.rawEtcd,
            unit: 'events/s',
          },
          (id) =>
            rawEtcdAppend(id, client, 'raw3', workload, { batchSize: RAW_ETCD_BATCH, events: sizes.rawEtcd }),
        );
        localTrial(
          {
            id: 'baseline.etcd.one-put',
            group,
            label: 'baseline: one etcd put per sighting, awaited in turn (original)',
            events: sizes.onePut,
            unit: 'events/s',
          },
          (id) => onePutPerEvent(id, client, workload, sizes.onePut),
        );
      } else {
        localTrial(
          {
            id: 'baseline.lmdb.raw',
            group,
            label: 'baseline: raw lmdb, one write transaction, awaited flushed',
            events: sizes.rawLmdb,
            unit: 'events/s',
          },
          (id) =>
            rawLmdbAppend(id, rawLmdb, 'raw3', workload, { batchSize: sizes.rawLmdb, events: sizes.rawLmdb }),
        );
      }
    }

    // The most any server could answer of the unary 1-sighting shape here: the same
    // load generator against a gRPC server that does nothing.
    const noopCollector = await startNoopCollector();
    cleanup.defer('close the no-op gRPC server', () => noopCollector.close());
    const ceilingShape = SHAPES.find((shape) => shape.key === 'unary-1.c64')!;
    remoteTrial(
      {
        id: CEILING_ID,
        group: "the transport alone: a gRPC server in the suite's process that stores nothing",
        label: `ceiling: no-op gRPC server, ${ceilingShape.label}`,
        events: sizes.shapes[ceilingShape.key],
        unit: 'events/s',
      },
      { stats: new ProcessStats(process.pid) },
      (round) => ({
        kind: 'unary',
        collector: noopCollector.address,
        plan: {
          detectorPrefix: `bench-e2e-noop64-r${String(round).padStart(3, '0')}`,
          sightings: sizes.shapes[ceilingShape.key],
          sightingsPerLog: ceilingShape.sightingsPerLog,
          hourStartSeconds,
        },
        concurrency: ceilingShape.concurrency,
      }),
      { label: `no-op gRPC server: ${ceilingShape.label}`, measures: 'call of 1 sighting' },
    );

    const readGroup = `GetEvents of one detector-hour (${sizes.detectorHour.toLocaleString('en-US')} sightings)`;
    const readSpec = (id: string, label: string): ResultSpec => ({
      id,
      group: readGroup,
      label,
      events: sizes.detectorHour,
      unit: 'ms',
      operations: sizes.getEventsRepeats,
    });
    for (const store of STORES) {
      remoteTrial(
        readSpec(`get-events.${store.key}`, `cqserver on ${store.key}: GetEvents`),
        { stats: memory[store.key] },
        () => ({
          kind: 'get-events',
          query: servers[store.key].address('query'),
          detectorId: hourDetector,
          afterSeconds: hourStartSeconds,
          beforeSeconds: hourStartSeconds + 3600,
          repeats: sizes.getEventsRepeats,
          expectedSightings: sizes.detectorHour,
        }),
        { label: `${store.label}: GetEvents of the detector-hour`, measures: 'GetEvents call' },
      );
    }
    const hourRange = new Keyspace(PREFIX).eventRange(hourDetector, {
      after: BigInt(hourStartSeconds) * 1_000_000_000n,
      before: BigInt(hourStartSeconds + 3600) * 1_000_000_000n,
    });
    localTrial(readSpec('get-events.etcd.raw-range', 'baseline: raw etcd3, one range request'), (id) =>
      rawEtcdList(id, client, hourRange, {
        detectorId: parseDetectorId(hourDetector),
        events: sizes.detectorHour,
        repeats: sizes.getEventsRepeats,
      }),
    );

    const workerGroup = `travel-time worker: one interval of a ${network.links}-link network (${network.sightings.toLocaleString('en-US')} sightings stored)`;
    const workerSpec = (id: string, label: string): ResultSpec => ({
      id,
      group: workerGroup,
      label,
      events: network.links,
      unit: 'ms',
    });
    const etcdWorker = workerIntervalTrial('worker.etcd', workerEtcd, workerEtcdLeases, network);
    cleanup.defer('stop the etcd worker', () => etcdWorker.worker.stop());
    localTrial(workerSpec('worker.etcd', 'etcd, claims on etcd leases'), () => etcdWorker);
    const lmdbWorker = workerIntervalTrial('worker.embedded', workerLmdb, workerLmdbLeases, network);
    cleanup.defer('stop the lmdb worker', () => lmdbWorker.worker.stop());
    localTrial(workerSpec('worker.embedded', 'embedded (lmdb), claims in process'), () => lmdbWorker);

    const localRuns = await measureInterleaved(trials, {
      rounds: sizes.rounds,
      warmupRounds: sizes.warmupRounds,
      onRun: ({ trialId, round, warmup, seconds }) =>
        options.log(
          `round ${round + 1}/${totalRounds}${warmup ? ' (warm-up)' : ''}  ${trialId}  ${seconds.toFixed(3)} s`,
        ),
    });

    const native = await runNativeRows({
      smoke: options.smoke,
      rounds: sizes.rounds,
      warmupRounds: sizes.warmupRounds,
      etcdEndpoint: etcd.endpoint,
      etcdClient: client,
      servers,
      prefix: PREFIX,
      hourStartSeconds,
      workDir,
      cleanup,
      log: options.log,
      ...(options.nativeUnavailable === undefined ? {} : { unavailable: options.nativeUnavailable }),
    });

    const recorded = (id: string) => remoteRuns.get(id)!.filter((run) => run.round >= sizes.warmupRounds);
    const suiteResults = specs.map((spec) => {
      const runs: TimedRun[] = remoteRuns.has(spec.id)
        ? recorded(spec.id).map(({ result }) => ({ seconds: result.seconds, cpuSeconds: result.cpuSeconds }))
        : localRuns.get(spec.id)!;
      return toResultRow(spec, runs);
    });
    const results = typeof native === 'string' ? suiteResults : [...suiteResults, ...native.results];
    const latency = [...remoteRuns.keys()].map((id): LatencyRow => {
      const runs = recorded(id);
      const latencies = runs.flatMap(({ result }) => result.latenciesMs);
      const { label, measures } = latencyLabels.get(id)!;
      return {
        id,
        label,
        latencyOf: measures,
        calls: latencies.length,
        p50Ms: percentile(latencies, 0.5) ?? 0,
        p99Ms: percentile(latencies, 0.99) ?? 0,
        serverPeakRssBytes: Math.max(...runs.map((run) => run.serverPeakRssBytes)),
        serverPeakAnonBytes: Math.max(...runs.map((run) => run.serverPeakAnonBytes)),
        serverRssAnonBytes: Math.max(...runs.map((run) => run.serverRss.anonBytes)),
        serverRssFileBytes: Math.max(...runs.map((run) => run.serverRss.fileBytes)),
        serverCpuMicrosPerSighting: median(
          runs.map((run) => (run.serverCpuSeconds * 1e6) / Math.max(1, run.result.sightings)),
        ),
      };
    });
    const nativeRatios = typeof native === 'string' ? [] : native.ratios(results);
    const ratios = [...e2eRatios(results), ...nativeRatios];
    const targets = e2eTargets(results, ratios, latency);

    options.log('counting what each store holds');
    const etcdStored = await client.getAll().prefix(new Keyspace(PREFIX).detectorsRoot).count();
    await servers.embedded.stop();
    const embeddedStored = await countEmbeddedKeys(
      join(embeddedDataDir, 'store'),
      new Keyspace(PREFIX).detectorsRoot,
    );
    const nativeReport: NativeReport =
      typeof native === 'string'
        ? {
            status: native,
            workers: native,
            latency: [],
            targets: [],
            counts: [],
            acknowledgedBySuiteServers: { etcd: 0, embedded: 0 },
          }
        : await native.finish(join(embeddedDataDir, 'store'), nativeRatios);
    // The native client's sightings sent to these cqservers are in their stores too.
    const counts: CountCheck[] = [
      { store: 'etcd', sent: sent.etcd + nativeReport.acknowledgedBySuiteServers.etcd, stored: etcdStored },
      {
        store: 'embedded',
        sent: sent.embedded + nativeReport.acknowledgedBySuiteServers.embedded,
        stored: embeddedStored,
      },
    ];
    const etcdVersion = (await client.maintenance.status()).version;
    return {
      suite: 'e2e',
      title: 'End-to-end benchmark: cqserver on etcd and on the embedded store, over loopback gRPC',
      mode: options.smoke ? 'smoke' : 'full',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      machine: machineInfo({
        etcd: etcdVersion,
        etcd3: installedVersion('etcd3'),
        lmdb: installedVersion('lmdb'),
        '@grpc/grpc-js': installedVersion('@grpc/grpc-js'),
      }),
      settings: {
        rounds: sizes.rounds,
        warmupRounds: sizes.warmupRounds,
        ...Object.fromEntries(SHAPES.map((shape) => [`sightings.${shape.key}`, sizes.shapes[shape.key]])),
        logsPerStream: sizes.logsPerStream,
        rawEtcdSightings: sizes.rawEtcd,
        onePutSightings: sizes.onePut,
        rawLmdbSightings: sizes.rawLmdb,
        detectorHourSightings: sizes.detectorHour,
        getEventsReadsPerRound: sizes.getEventsRepeats,
        workerLinks: network.links,
        workerSightingsStored: network.sightings,
        workerIntervalSeconds: WORKER_INTERVAL_SECONDS,
        serverProcesses: `etcd ${serverProcesses.etcd}, embedded ${serverProcesses.embedded} (server CPU and memory of the latency table: the main process only; the native table: every process)`,
        serverRssAtStartMB: `etcd ${formatMegabytes(rssAtStart.etcd)}, embedded ${formatMegabytes(rssAtStart.embedded)}`,
        serverPeakRss: peakResets
          ? 'peak per shape (VmHWM reset before each run)'
          : 'peak since the server started',
        serverCpuProfiles: options.serverCpuProfileDir ?? 'off',
        native: nativeReport.status,
        nativeWorkers: nativeReport.workers,
        loadAverageAtStart: loadAverageAtStart.map((load) => load.toFixed(1)).join(' '),
        loadAverageAtEnd: loadavg()
          .map((load) => load.toFixed(1))
          .join(' '),
      },
      results,
      ratios,
      tables: [
        latencyTable(latency),
        targetTable(targets),
        countTable(counts),
        ...(nativeReport.status === 'ran' ? nativeTables(nativeReport) : []),
      ],
      notes: [...e2eNotes(sizes), ...nativeNotes(nativeReport)],
      latency,
      targets,
      counts,
      native: nativeReport,
    };
  } finally {
    await cleanup.run();
  }
}

function ingestId(store: StoreKey, shape: ShapeKey): string {
  return `ingest.${store}.${shape}`;
}

function e2eRatios(results: readonly ResultRow[]): RatioRow[] {
  const row = rowFinder(results);
  const ratios: RatioRow[] = [];
  for (const shape of SHAPES) {
    const etcd = row(ingestId('etcd', shape.key));
    ratios.push(
      speedRatio(
        `${ingestId('etcd', shape.key)}-vs-raw-etcd3`,
        `etcd, ${shape.label} vs raw etcd3`,
        etcd,
        row('baseline.etcd.raw'),
        shape.key === 'stream-100'
          ? TARGETS.streamEtcdVsRaw
          : shape.key === 'unary-100.c8'
            ? TARGETS.unary100c8EtcdVsRaw
            : undefined,
      ),
      speedRatio(
        `${ingestId('etcd', shape.key)}-vs-one-put`,
        `etcd, ${shape.label} vs one put per sighting`,
        etcd,
        row('baseline.etcd.one-put'),
        shape.key === 'stream-100'
          ? TARGETS.streamEtcdVsOnePut
          : shape.key === 'unary-1.c64'
            ? TARGETS.unary1c64EtcdVsOnePut
            : undefined,
      ),
    );
  }
  for (const shape of SHAPES) {
    ratios.push(
      speedRatio(
        `${ingestId('embedded', shape.key)}-vs-raw-lmdb`,
        `embedded, ${shape.label} vs raw lmdb`,
        row(ingestId('embedded', shape.key)),
        row('baseline.lmdb.raw'),
      ),
    );
  }
  for (const store of STORES) {
    ratios.push(
      speedRatio(
        `${ingestId(store.key, 'unary-1.c64')}-vs-noop-grpc`,
        `${store.label}, unary, 1 sighting, concurrency 64 vs a no-op gRPC server (the ceiling)`,
        row(ingestId(store.key, 'unary-1.c64')),
        row(CEILING_ID),
      ),
    );
  }
  ratios.push(
    speedRatio(
      'ceiling.noop-grpc-vs-one-put',
      'no-op gRPC server, unary, 1 sighting, concurrency 64 vs one put per sighting',
      row(CEILING_ID),
      row('baseline.etcd.one-put'),
    ),
  );
  ratios.push(
    speedRatio(
      'get-events.etcd-vs-raw-range',
      'GetEvents on etcd vs a raw range read',
      row('get-events.etcd'),
      row('get-events.etcd.raw-range'),
      1 / TARGETS.getEventsTimeVsRawRange,
    ),
  );
  return ratios;
}

function e2eTargets(
  results: readonly ResultRow[],
  ratios: readonly RatioRow[],
  latency: readonly LatencyRow[],
): TargetCheck[] {
  const ratio = (id: string) => ratios.find((candidate) => candidate.id === id)!.value;
  const atLeast = (id: string, label: string, value: number, target: number, unit: TargetCheck['unit']) =>
    ({ id, label, value, unit, comparison: 'at least', target, met: value >= target }) as const;
  const atMost = (id: string, label: string, value: number, target: number, unit: TargetCheck['unit']) =>
    ({ id, label, value, unit, comparison: 'at most', target, met: value <= target }) as const;
  const heaviest = latency
    .filter((row) => row.id !== CEILING_ID)
    .reduce((most, row) => (row.serverPeakAnonBytes > most.serverPeakAnonBytes ? row : most));
  return [
    atLeast(
      'stream.etcd-vs-raw-etcd3',
      'streamed ingest into etcd vs raw etcd3',
      ratio(`${ingestId('etcd', 'stream-100')}-vs-raw-etcd3`),
      TARGETS.streamEtcdVsRaw,
      '×',
    ),
    atLeast(
      'stream.etcd-vs-one-put',
      'streamed ingest into etcd vs one put per sighting',
      ratio(`${ingestId('etcd', 'stream-100')}-vs-one-put`),
      TARGETS.streamEtcdVsOnePut,
      '×',
    ),
    atLeast(
      'unary-100.c8.etcd-vs-raw-etcd3',
      'unary 100 sightings at concurrency 8 on etcd vs raw etcd3',
      ratio(`${ingestId('etcd', 'unary-100.c8')}-vs-raw-etcd3`),
      TARGETS.unary100c8EtcdVsRaw,
      '×',
    ),
    atLeast(
      'unary-1.c64.etcd-vs-one-put',
      'unary 1 sighting at concurrency 64 on etcd vs one put per sighting (group commit)',
      ratio(`${ingestId('etcd', 'unary-1.c64')}-vs-one-put`),
      TARGETS.unary1c64EtcdVsOnePut,
      '×',
    ),
    atLeast(
      'stream.embedded.sightings-per-second',
      'streamed ingest into the embedded store',
      rowFinder(results)(ingestId('embedded', 'stream-100')).median,
      TARGETS.embeddedStreamSightingsPerSecond,
      'sightings/s',
    ),
    atMost(
      'get-events.etcd-time-vs-raw-range',
      'GetEvents of a detector-hour on etcd: time vs a raw range read',
      1 / ratio('get-events.etcd-vs-raw-range'),
      TARGETS.getEventsTimeVsRawRange,
      '×',
    ),
    atMost(
      'server.peak-rss',
      `cqserver peak RSS of its own (anonymous, sampled) under the heaviest shape (${heaviest.label})`,
      heaviest.serverPeakAnonBytes / MEBIBYTE,
      TARGETS.peakRssMegabytes,
      'MB',
    ),
  ];
}

function rowFinder(results: readonly ResultRow[]): (id: string) => ResultRow {
  const byId = new Map(results.map((row) => [row.id, row]));
  return (id) => {
    const found = byId.get(id);
    if (found === undefined) throw new Error(`no result ${id}`);
    return found;
  };
}

function latencyTable(rows: readonly LatencyRow[]): ExtraTable {
  return {
    title: 'latency (per call, from the load generator) and cqserver memory',
    columns: [
      'latency of',
      'calls',
      'p50 ms',
      'p99 ms',
      'server CPU',
      'server peak RSS',
      'peak anon',
      'anon + file after',
    ],
    rows: rows.map((row) => [
      row.label,
      row.latencyOf,
      row.calls.toLocaleString('en-US'),
      formatMs(row.p50Ms),
      formatMs(row.p99Ms),
      `${row.serverCpuMicrosPerSighting.toFixed(1)} µs/sighting`,
      `${formatMegabytes(row.serverPeakRssBytes)} MB`,
      `${formatMegabytes(row.serverPeakAnonBytes)} MB`,
      `${formatMegabytes(row.serverRssAnonBytes)} + ${formatMegabytes(row.serverRssFileBytes)} MB`,
    ]),
  };
}

function targetTable(targets: readonly TargetCheck[]): ExtraTable {
  return {
    title: 'issue 8 targets',
    columns: ['value', 'target', ''],
    rows: targets.map((check) => [
      check.label,
      formatTargetValue(check.value, check.unit),
      `${check.comparison === 'at least' ? '≥' : '≤'} ${formatTargetValue(check.target, check.unit)}`,
      check.met ? 'met' : 'MISSED',
    ]),
  };
}

function countTable(counts: readonly CountCheck[]): ExtraTable {
  return {
    title: 'sightings acknowledged vs stored at the end',
    columns: ['acknowledged', 'stored', ''],
    rows: counts.map(({ store, sent, stored }) => [
      store,
      sent.toLocaleString('en-US'),
      stored.toLocaleString('en-US'),
      sent === stored ? 'equal' : 'DIFFERENT',
    ]),
  };
}

function formatTargetValue(value: number, unit: TargetCheck['unit']): string {
  if (unit === '×') return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
  if (unit === 'MB') return `${value.toFixed(0)} MB`;
  return `${Math.round(value).toLocaleString('en-US')} sightings/s`;
}

function formatMs(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function formatMegabytes(bytes: number): string {
  return (bytes / MEBIBYTE).toFixed(0);
}

function e2eNotes(sizes: E2eSizes): string[] {
  return [
    'An event is one sighting. cqserver runs from its build (apps/cqserver/dist/main.js) with the privacy key fixed and rotation off; the load generator is a separate node process with one gRPC client (one HTTP/2 connection) per server, talking over loopback. Server, load generator, etcd and the suite share the machine, so the figures are indicative where other work runs alongside.',
    `Ingest shapes: unary CreateEventLog calls of 1 sighting (concurrency 1 and 64) and of 100 (concurrency 8), and StreamEventLog calls of ${sizes.logsPerStream} logs of 100 sightings, streams one after another. Throughput counts from the first call to the last answer; the stream's latency is per stream call, since the protocol answers once per stream. Every sighting has its own detector, device and time, so each is a new key; every round writes new detectors in the same recent hour.`,
    `Baselines, same run, same etcd: raw etcd3 writes the same shape of keys and values (encoded before the clock starts, no leases) as txns of ${RAW_ETCD_OPS_PER_TXN} puts with ${RAW_ETCD_TXNS_IN_FLIGHT} in flight, in calls of ${RAW_ETCD_BATCH.toLocaleString('en-US')} awaited in turn, as many sightings per round as the streamed shape; the original strategy puts one sighting at a time, each awaited; raw lmdb writes all of a round in one transaction and waits until it is flushed. They run in the suite's process, without gRPC, pseudonymisation or validation: what cqserver adds on top is the cost under test.`,
    "Client CPU of a cqserver row is the load generator's CPU per sighting (building and encoding messages, gRPC); of a baseline row, the suite's. Server CPU is the cqserver's user + system time per sighting (from /proc), median over the rounds; server peak RSS its VmHWM over the shape's recorded rounds, which counts every page of a mapped file it touched: the node binary and its libraries (about 44 MB) and, on the embedded store, lmdb's data file, whose pages grow with the data stored so far, whatever the shape. 'peak anon' is the largest anonymous resident memory (heap, buffers) sampled every 20 ms during those rounds: the memory the server allocated itself, and what the RSS target is checked on, since clean pages of a mapped file are page cache the kernel drops under pressure (on etcd the same data sits in etcd's process). 'anon + file after' splits its resident memory after the runs into the two. The load averages in the settings show how busy the machine was.",
    "The ceiling row is the unary 1-sighting, concurrency-64 shape against a gRPC server (grpc-js, in the suite's process) whose CreateEventLog answers at once and stores nothing: what the transport alone allows with this load generator on this machine. Its server columns are the suite process's. A cqserver ratio against it says how much of that ceiling cqserver reaches; the ceiling's ratio to one put per sighting is the most any server could show against that baseline here.",
    'GetEvents reads one detector-hour stored through cqserver (pseudonymised device ids), in turn, and checks every answer holds all its sightings; the raw range read is one etcd3 range request of the same keys, reversed in memory.',
    `The travel-time worker's interval is one runOnce of @message-bus/traveltime's TravelTimeWorker in the suite's process, at the moment the next ${WORKER_INTERVAL_SECONDS}-s interval is due, over a 100-link network (the travel-time suite's, simulated with its seed for yesterday's morning rush) stored in its own keyspace: reading links and worker claims, then for every destination the sightings of it and its sources over the estimator's lookback, estimating every link and writing the estimates. Each round estimates exactly one new interval of every link.`,
  ];
}

import { percentile } from '@message-bus/domain';
import { Keyspace } from '@message-bus/store-kv';
import type { AppProcess } from '@message-bus/tools/app-process';
import type { Cleanup } from '@message-bus/tools/cleanup';
import type { Etcd3 } from 'etcd3';
import { join } from 'node:path';
import { measureInterleaved, median, type Trial } from '../measure';
import {
  speedRatio,
  toResultRow,
  type ExtraTable,
  type RatioRow,
  type ResultRow,
  type ResultSpec,
} from '../report';
import { countEmbeddedKeys, startCqserver } from './cqserver-under-test';
import type { LoadResult } from './load-jobs';
import {
  buildNativeTools,
  cqserverHasWorkersOption,
  nativeToolsUnavailable,
  OnePutServer,
  ProcessTree,
  runNativeJob,
  type NativeLoadJob,
  type NativeSightingPlan,
  type ProcessPeak,
} from './native-tools';
import { detectorIdOf } from './sighting-logs';

/** What the native rows need of the suite: its etcd, its two cqservers and its rounds. */
export interface NativeRowsContext {
  readonly smoke: boolean;
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly etcdEndpoint: string;
  readonly etcdClient: Etcd3;
  /** The suite's cqservers (default `--workers`), with their keyspace prefix. */
  readonly servers: Readonly<Record<'etcd' | 'embedded', AppProcess>>;
  readonly prefix: string;
  /** The hour every ingest sighting falls in. */
  readonly hourStartSeconds: number;
  readonly workDir: string;
  readonly cleanup: Cleanup;
  readonly log: (line: string) => void;
  /** Stands in for `nativeToolsUnavailable()`; e.g. `() => 'no go'` in a test. */
  readonly unavailable?: () => string | undefined;
}

/** Latency and server processes of one native row. */
export interface NativeLatencyRow {
  readonly id: string;
  readonly label: string;
  readonly calls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The server's CPU per sighting (sent or read), all its processes, median over the recorded rounds. */
  readonly serverCpuMicrosPerSighting: number;
  /** Peak resident memory (VmHWM) of each server process over the recorded rounds, the main process first. */
  readonly serverPeakRssBytes: readonly number[];
  /** Their sum. */
  readonly serverPeakRssSumBytes: number;
}

/** An issue 21 or 22 target checked against this run's figures. */
export interface NativeTargetCheck {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly comparison: 'at least' | 'at most';
  readonly target: number;
  readonly met: boolean;
}

/** Sightings the native client had acknowledged by one row's server against what it stores under the row's detectors. */
export interface NativeCountCheck {
  readonly id: string;
  readonly server: string;
  readonly acknowledged: number;
  readonly stored: number;
}

export interface NativeReport {
  /** `ran`, or why the native rows were skipped (no `go`, or the opt-out). */
  readonly status: string;
  /** `ran`, or why the `--workers` rows were skipped. */
  readonly workers: string;
  readonly latency: readonly NativeLatencyRow[];
  readonly targets: readonly NativeTargetCheck[];
  readonly counts: readonly NativeCountCheck[];
  /** Sightings acknowledged by the suite's own cqservers, which their store counts include. */
  readonly acknowledgedBySuiteServers: Readonly<Record<'etcd' | 'embedded', number>>;
}

/** The native phase's rows, and what is left to do once the suite stopped its embedded cqserver. */
export interface NativeRows {
  readonly results: readonly ResultRow[];
  readonly acknowledgedBySuiteServers: Readonly<Record<'etcd' | 'embedded', number>>;
  /** Ratios against every result of the run (the streamed rows are rated against the suite's raw etcd3). */
  ratios(all: readonly ResultRow[]): RatioRow[];
  /** Counts what every row's server stores; the suite's embedded cqserver must be stopped. */
  finish(suiteEmbeddedStorePath: string, ratios: readonly RatioRow[]): Promise<NativeReport>;
}

type NativeShapeKey = 'unary-1.c1' | 'unary-1.c64' | 'unary-100.c8' | 'stream-100';

interface NativeShape {
  readonly key: NativeShapeKey;
  /** Six characters in detector ids, as the suite's shape codes; `g` for the Go client. */
  readonly code: string;
  readonly label: string;
  readonly sightingsPerLog: number;
  readonly concurrency: number;
  /**
   * Connections the unary calls are spread over. A fleet's detectors each connect on
   * their own, and a server with `--workers` takes each connection on one worker
   * process: calls in flight together come over several connections, as in the field.
   */
  readonly connections: number;
  readonly stream: boolean;
}

const SHAPES: readonly NativeShape[] = [
  {
    key: 'unary-1.c1',
    code: 'g1-c01',
    label: 'unary, 1 sighting, c1',
    sightingsPerLog: 1,
    concurrency: 1,
    connections: 1,
    stream: false,
  },
  {
    key: 'unary-1.c64',
    code: 'g1-c64',
    label: 'unary, 1 sighting, c64',
    sightingsPerLog: 1,
    concurrency: 64,
    connections: 8,
    stream: false,
  },
  {
    key: 'unary-100.c8',
    code: 'g100c8',
    label: 'unary, 100 sightings, c8',
    sightingsPerLog: 100,
    concurrency: 8,
    connections: 8,
    stream: false,
  },
  {
    key: 'stream-100',
    code: 'gstrm0',
    label: 'streamed, logs of 100',
    sightingsPerLog: 100,
    concurrency: 1,
    connections: 1,
    stream: true,
  },
];

interface NativeSizes {
  /** Sightings per timed run on cqserver, and on the one-put server (about 1,000/s one call at a time). */
  readonly cqserver: Readonly<Record<NativeShapeKey, number>>;
  readonly onePut: Readonly<Record<NativeShapeKey, number>>;
  readonly logsPerStream: number;
  /** Issue 22's detector: sightings one second apart, limits read, calls per round (the row is their p50). */
  readonly history: number;
  readonly limits: readonly number[];
  readonly getEventsCalls: number;
}

const fullSizes: NativeSizes = {
  cqserver: { 'unary-1.c1': 2_000, 'unary-1.c64': 20_000, 'unary-100.c8': 50_000, 'stream-100': 100_000 },
  onePut: { 'unary-1.c1': 1_000, 'unary-1.c64': 10_000, 'unary-100.c8': 10_000, 'stream-100': 2_000 },
  logsPerStream: 100,
  history: 20_000,
  limits: [10, 100, 1_000, 10_000],
  getEventsCalls: 20,
};

const smokeSizes: NativeSizes = {
  cqserver: { 'unary-1.c1': 20, 'unary-1.c64': 256, 'unary-100.c8': 800, 'stream-100': 2_000 },
  onePut: { 'unary-1.c1': 20, 'unary-1.c64': 256, 'unary-100.c8': 800, 'stream-100': 200 },
  logsPerStream: 10,
  history: 500,
  limits: [10, 100],
  getEventsCalls: 2,
};

/** Issue 21's and 22's targets. */
const TARGETS = {
  unary1c1VsOnePut: 1,
  unary1c1P50VsOnePut: 1.1,
  unary1c64Workers1VsOnePut: 1,
  unary1c64Workers2VsWorkers1: 1.3,
  unary100c8VsOnePut: 5,
  streamVsRawEtcd3: 0.6,
  getEventsTimeVsOriginal: 1,
} as const;

/** The suite's raw etcd3 baseline row, which the streamed rows are rated against. */
const RAW_ETCD3_ID = 'baseline.etcd.raw';
const ONE_PUT_PREFIX = 'bench-oneput';
const HISTORY_DETECTOR_PREFIX = 'bench-e2e-history20k';

/** A server the native client drives: a cqserver or the one-put server. */
interface ServerUnderTest {
  /** Row id part and count label; e.g. `etcd.workers-1`. */
  readonly key: string;
  readonly label: string;
  readonly collector: string;
  readonly query: string;
  readonly tree: ProcessTree;
  /** Counts the keys under a detector-id prefix, once the runs are over. */
  readonly storedUnder: (detectorIdPrefix: string) => Promise<number>;
}

interface NativeRun {
  readonly round: number;
  readonly result: LoadResult;
  readonly serverCpuSeconds: number;
  readonly peaks: readonly ProcessPeak[];
}

interface RowState {
  readonly spec: ResultSpec;
  readonly server: ServerUnderTest;
  readonly runs: NativeRun[];
  /** Rows of GetEvents: each round's value is the p50 of its calls, not their mean. */
  readonly p50Rows: boolean;
  /** The detector-id prefix of the row's sightings, and how many the server acknowledged (ingest rows). */
  readonly detectorIdPrefix?: string;
  acknowledged: number;
}

/**
 * The native rows of issue 21 and 22: the Go load generator against the suite's
 * cqservers (etcd, embedded), against the original's one-put server on the same etcd,
 * and against cqservers with `--workers 1` and `2`, in the four ingest shapes; and
 * GetEvents of one detector's 20,000 sightings a second apart with limits 10 to 10,000.
 * Skipped (no rows, a note) without `go` or with MESSAGE_BUS_BENCH_NO_NATIVE=1.
 */
export async function runNativeRows(context: NativeRowsContext): Promise<NativeRows | string> {
  const unavailable = (context.unavailable ?? nativeToolsUnavailable)();
  if (unavailable !== undefined) {
    context.log(`native rows skipped: ${unavailable}`);
    return unavailable;
  }
  const tools = buildNativeTools(context.log);
  const sizes = context.smoke ? smokeSizes : fullSizes;
  const { etcdClient, cleanup } = context;

  const etcdCount = (prefix: string) => (detectorIdPrefix: string) =>
    etcdClient
      .getAll()
      .prefix(new Keyspace(prefix).detectorsRoot + detectorIdPrefix)
      .count();
  // Opened after its server stopped (the runs are over when rows are counted).
  const embeddedCount = (storePath: string, prefix: string) => (detectorIdPrefix: string) =>
    countEmbeddedKeys(storePath, new Keyspace(prefix).detectorsRoot + detectorIdPrefix);

  const onePut = await OnePutServer.start(tools, context.etcdEndpoint, ONE_PUT_PREFIX);
  cleanup.defer('stop the one-put server', () => onePut.stop());
  const suiteServer = (key: 'etcd' | 'embedded'): ServerUnderTest => ({
    key,
    label: `cqserver on ${key}`,
    collector: context.servers[key].address('collector'),
    query: context.servers[key].address('query'),
    tree: new ProcessTree(context.servers[key].pid!),
    // The embedded store is counted by `finish`, after the suite stopped its server.
    storedUnder: key === 'etcd' ? etcdCount(context.prefix) : () => Promise.resolve(Number.NaN),
  });
  const onePutServer: ServerUnderTest = {
    key: 'one-put',
    label: 'one-put server (original)',
    collector: onePut.address,
    query: onePut.address,
    tree: new ProcessTree(onePut.pid),
    storedUnder: etcdCount(ONE_PUT_PREFIX),
  };
  const servers = { etcd: suiteServer('etcd'), embedded: suiteServer('embedded'), onePut: onePutServer };

  const workersSkipped = cqserverHasWorkersOption()
    ? undefined
    : 'the built cqserver has no --workers option (its --help does not list it)';
  const workerServers: ServerUnderTest[] = [];
  const workerApps: AppProcess[] = [];
  if (workersSkipped === undefined) {
    for (const store of ['etcd', 'embedded'] as const) {
      for (const workers of [1, 2]) {
        const key = `${store}.workers-${workers}`;
        const prefix = `bench-w${workers}`;
        const dataDir = join(context.workDir, `native-${store}-w${workers}`);
        const app = await startCqserver({
          store: store === 'etcd' ? { store, endpoint: context.etcdEndpoint } : { store, dataDir },
          prefix,
          args: [`--workers=${workers}`],
        });
        cleanup.defer(`stop cqserver ${key}`, () => app.stop());
        const server: ServerUnderTest = {
          key,
          label: `cqserver on ${store}, --workers ${workers}`,
          collector: app.address('collector'),
          query: app.address('query'),
          tree: new ProcessTree(app.pid!),
          storedUnder: store === 'etcd' ? etcdCount(prefix) : embeddedCount(join(dataDir, 'store'), prefix),
        };
        workerServers.push(server);
        workerApps.push(app);
      }
    }
  } else {
    context.log(`native --workers rows skipped: ${workersSkipped}`);
  }

  const rows: RowState[] = [];
  const acknowledgedBySuiteServers = { etcd: 0, embedded: 0 };
  const acknowledge = (row: RowState, sightings: number) => {
    row.acknowledged += sightings;
    if (row.server.key === 'etcd' || row.server.key === 'embedded') {
      acknowledgedBySuiteServers[row.server.key] += sightings;
    }
  };
  const trials: Trial[] = [];
  const addRow = (row: RowState, jobFor: (round: number) => NativeLoadJob) => {
    rows.push(row);
    trials.push({
      id: row.spec.id,
      async prepare(round) {
        const job = jobFor(round);
        const pids = row.server.tree.pids();
        row.server.tree.resetPeaks(pids);
        return async () => {
          const cpuBefore = row.server.tree.cpuSeconds(pids);
          const result = await runNativeJob(tools, job);
          if (job.kind !== 'get-events') acknowledge(row, result.sightings);
          row.runs.push({
            round,
            result,
            serverCpuSeconds: row.server.tree.cpuSeconds(pids) - cpuBefore,
            peaks: row.server.tree.peaks(pids),
          });
        };
      },
    });
  };

  const ingestRow = (server: ServerUnderTest, shape: NativeShape, sightings: number) => {
    const detectorPrefix = (round: number) => `bench-e2e-${shape.code}-r${String(round).padStart(3, '0')}`;
    const plan = (round: number): NativeSightingPlan => ({
      detectorPrefix: detectorPrefix(round),
      sightings,
      sightingsPerLog: shape.sightingsPerLog,
      hourStartSeconds: context.hourStartSeconds,
    });
    addRow(
      {
        spec: {
          id: `ingest.native.${server.key}.${shape.key}`,
          group: `native (Go) client: ingest`,
          label: `${server.label}: ${shape.label}`,
          events: sightings,
          unit: 'events/s',
        },
        server,
        runs: [],
        p50Rows: false,
        detectorIdPrefix: `bench-e2e-${shape.code}-r`,
        acknowledged: 0,
      },
      (round) =>
        shape.stream
          ? {
              kind: 'stream',
              collector: server.collector,
              plan: plan(round),
              logsPerStream: Math.min(sizes.logsPerStream, Math.ceil(sightings / shape.sightingsPerLog)),
            }
          : {
              kind: 'unary',
              collector: server.collector,
              plan: plan(round),
              concurrency: shape.concurrency,
              connections: shape.connections,
            },
    );
  };
  for (const shape of SHAPES) {
    ingestRow(servers.etcd, shape, sizes.cqserver[shape.key]);
    ingestRow(servers.embedded, shape, sizes.cqserver[shape.key]);
    ingestRow(servers.onePut, shape, sizes.onePut[shape.key]);
  }
  const c64 = SHAPES.find((shape) => shape.key === 'unary-1.c64')!;
  for (const server of workerServers) ingestRow(server, c64, sizes.cqserver['unary-1.c64']);

  // Issue 22's detector, stored through each server before the reads are timed.
  const history: NativeSightingPlan = {
    detectorPrefix: HISTORY_DETECTOR_PREFIX,
    sightings: sizes.history,
    sightingsPerLog: 100,
    // Ending within the hour before the current one: never ahead of a server's clock.
    hourStartSeconds: context.hourStartSeconds + 3600 - sizes.history,
    secondsApart: 1,
  };
  const historyDetector = detectorIdOf(history, 0);
  const historyServers = [servers.etcd, servers.embedded, servers.onePut];
  const historyStored: NativeCountCheck[] = [];
  for (const server of historyServers) {
    context.log(
      `native: storing ${sizes.history} sightings of one detector, a second apart, through ${server.label}`,
    );
    const stored = await runNativeJob(tools, {
      kind: 'unary',
      collector: server.collector,
      plan: history,
      concurrency: 8,
    });
    if (server.key === 'etcd' || server.key === 'embedded')
      acknowledgedBySuiteServers[server.key] += stored.sightings;
    historyStored.push({
      id: `history.${server.key}`,
      server: server.label,
      acknowledged: stored.sightings,
      stored: Number.NaN,
    });
  }
  for (const limit of sizes.limits) {
    const expected = Math.min(limit, sizes.history);
    for (const server of historyServers) {
      addRow(
        {
          spec: {
            id: `get-events.native.L${limit}.${server.key}`,
            group: `native (Go) client: GetEvents(detector, limit L) of ${sizes.history.toLocaleString('en-US')} sightings a second apart, p50 of ${sizes.getEventsCalls} calls`,
            label: `${server.label}${server.key === 'one-put' ? ", the original's read" : ''}: L = ${limit.toLocaleString('en-US')}`,
            events: expected,
            unit: 'ms',
          },
          server,
          runs: [],
          p50Rows: true,
          acknowledged: 0,
        },
        () => ({
          kind: 'get-events',
          query: server.query,
          detectorId: historyDetector,
          limit,
          repeats: sizes.getEventsCalls,
          expectedSightings: expected,
        }),
      );
    }
  }

  await measureInterleaved(trials, {
    rounds: context.rounds,
    warmupRounds: context.warmupRounds,
    onRun: ({ trialId, round, warmup, seconds }) =>
      context.log(
        `native round ${round + 1}/${context.rounds + context.warmupRounds}${warmup ? ' (warm-up)' : ''}  ${trialId}  ${seconds.toFixed(3)} s`,
      ),
  });

  const recorded = (row: RowState) => row.runs.filter((run) => run.round >= context.warmupRounds);
  const results = rows.map((row) =>
    toResultRow(
      row.spec,
      recorded(row).map(({ result }) =>
        row.p50Rows
          ? {
              seconds: (percentile(result.latenciesMs, 0.5) ?? 0) / 1000,
              cpuSeconds: result.cpuSeconds / result.latenciesMs.length,
            }
          : { seconds: result.seconds, cpuSeconds: result.cpuSeconds },
      ),
    ),
  );
  const latency = rows.map((row): NativeLatencyRow => {
    const runs = recorded(row);
    const latencies = runs.flatMap(({ result }) => result.latenciesMs);
    const peakByProcess = runs[0]!.peaks.map((_, at) =>
      Math.max(...runs.map((run) => run.peaks[at]?.peakRssBytes ?? 0)),
    );
    return {
      id: row.spec.id,
      label: row.spec.label,
      calls: latencies.length,
      p50Ms: percentile(latencies, 0.5) ?? 0,
      p99Ms: percentile(latencies, 0.99) ?? 0,
      serverCpuMicrosPerSighting: median(
        runs.map((run) => (run.serverCpuSeconds * 1e6) / Math.max(1, run.result.sightings)),
      ),
      serverPeakRssBytes: peakByProcess,
      serverPeakRssSumBytes: peakByProcess.reduce((sum, bytes) => sum + bytes, 0),
    };
  });
  for (const app of workerApps) await app.stop();
  await onePut.stop();

  return {
    results,
    acknowledgedBySuiteServers,
    ratios: (all) => nativeRatios(all, workersSkipped === undefined, sizes.limits),
    async finish(suiteEmbeddedStorePath, ratios) {
      const storedUnder = (server: ServerUnderTest, detectorIdPrefix: string) =>
        server.key === 'embedded'
          ? countEmbeddedKeys(
              suiteEmbeddedStorePath,
              new Keyspace(context.prefix).detectorsRoot + detectorIdPrefix,
            )
          : server.storedUnder(detectorIdPrefix);
      const counts: NativeCountCheck[] = [];
      for (const row of rows) {
        if (row.detectorIdPrefix === undefined) continue;
        counts.push({
          id: row.spec.id,
          server: row.server.label,
          acknowledged: row.acknowledged,
          // Every round of the row, warm-up included, wrote under this detector-id prefix.
          stored: await storedUnder(row.server, row.detectorIdPrefix),
        });
      }
      for (const [at, server] of historyServers.entries()) {
        counts.push({
          ...historyStored[at]!,
          stored: await storedUnder(server, `${HISTORY_DETECTOR_PREFIX}-`),
        });
      }
      return {
        status: 'ran',
        workers: workersSkipped ?? 'ran',
        latency,
        targets: nativeTargets(ratios, latency, workersSkipped === undefined, sizes.limits),
        counts,
        acknowledgedBySuiteServers,
      };
    },
  };
}

function nativeRatios(
  all: readonly ResultRow[],
  withWorkers: boolean,
  limits: readonly number[],
): RatioRow[] {
  const byId = new Map(all.map((row) => [row.id, row]));
  const row = (id: string) => {
    const found = byId.get(id);
    if (found === undefined) throw new Error(`no result ${id}`);
    return found;
  };
  const ingest = (server: string, shape: NativeShapeKey) => row(`ingest.native.${server}.${shape}`);
  const ratios: RatioRow[] = [];
  for (const shape of SHAPES) {
    for (const store of ['etcd', 'embedded']) {
      ratios.push(
        speedRatio(
          `native.${store}.${shape.key}-vs-one-put`,
          `native client: cqserver on ${store} vs the one-put server, ${shape.label}`,
          ingest(store, shape.key),
          ingest('one-put', shape.key),
          store !== 'etcd'
            ? undefined
            : shape.key === 'unary-1.c1'
              ? TARGETS.unary1c1VsOnePut
              : shape.key === 'unary-100.c8'
                ? TARGETS.unary100c8VsOnePut
                : undefined,
        ),
      );
    }
  }
  ratios.push(
    speedRatio(
      'native.etcd.stream-100-vs-raw-etcd3',
      'native client: cqserver on etcd, streamed vs raw etcd3',
      ingest('etcd', 'stream-100'),
      row(RAW_ETCD3_ID),
      TARGETS.streamVsRawEtcd3,
    ),
  );
  if (withWorkers) {
    for (const store of ['etcd', 'embedded']) {
      const one = ingest(`${store}.workers-1`, 'unary-1.c64');
      const two = ingest(`${store}.workers-2`, 'unary-1.c64');
      ratios.push(
        speedRatio(
          `native.${store}.workers-1.unary-1.c64-vs-one-put`,
          `native client: cqserver on ${store} --workers 1 vs the one-put server, unary 1 c64`,
          one,
          ingest('one-put', 'unary-1.c64'),
          TARGETS.unary1c64Workers1VsOnePut,
        ),
        speedRatio(
          `native.${store}.workers-2-vs-workers-1.unary-1.c64`,
          `native client: cqserver on ${store} --workers 2 vs --workers 1, unary 1 c64`,
          two,
          one,
          TARGETS.unary1c64Workers2VsWorkers1,
        ),
      );
    }
  }
  for (const limit of limits) {
    for (const store of ['etcd', 'embedded']) {
      ratios.push(
        speedRatio(
          `native.get-events.L${limit}.${store}-vs-original`,
          `native client: GetEvents L = ${limit.toLocaleString('en-US')}, cqserver on ${store} vs the original's read (p50)`,
          row(`get-events.native.L${limit}.${store}`),
          row(`get-events.native.L${limit}.one-put`),
          store === 'etcd' ? 1 / TARGETS.getEventsTimeVsOriginal : undefined,
        ),
      );
    }
  }
  return ratios;
}

function nativeTargets(
  ratios: readonly RatioRow[],
  latency: readonly NativeLatencyRow[],
  withWorkers: boolean,
  limits: readonly number[],
): NativeTargetCheck[] {
  const ratio = (id: string) => ratios.find((candidate) => candidate.id === id)!.value;
  const atLeast = (id: string, label: string, value: number, target: number): NativeTargetCheck => ({
    id,
    label,
    value,
    comparison: 'at least',
    target,
    met: value >= target,
  });
  const atMost = (id: string, label: string, value: number, target: number): NativeTargetCheck => ({
    id,
    label,
    value,
    comparison: 'at most',
    target,
    met: value <= target,
  });
  const p50 = (id: string) => latency.find((row) => row.id === id)!.p50Ms;
  const checks = [
    atLeast(
      'native.unary-1.c1.etcd-vs-one-put',
      'unary 1 sighting, 1 at a time, on etcd vs the one-put server',
      ratio('native.etcd.unary-1.c1-vs-one-put'),
      TARGETS.unary1c1VsOnePut,
    ),
    atMost(
      'native.unary-1.c1.etcd-p50-vs-one-put',
      'its p50 latency vs the one-put server p50',
      p50('ingest.native.etcd.unary-1.c1') / p50('ingest.native.one-put.unary-1.c1'),
      TARGETS.unary1c1P50VsOnePut,
    ),
  ];
  if (withWorkers) {
    for (const store of ['etcd', 'embedded']) {
      checks.push(
        atLeast(
          `native.unary-1.c64.${store}.workers-1-vs-one-put`,
          `unary 1 sighting, 64 at once, ${store} --workers 1 vs the one-put server`,
          ratio(`native.${store}.workers-1.unary-1.c64-vs-one-put`),
          TARGETS.unary1c64Workers1VsOnePut,
        ),
        atLeast(
          `native.unary-1.c64.${store}.workers-2-vs-workers-1`,
          `unary 1 sighting, 64 at once, ${store} --workers 2 vs --workers 1`,
          ratio(`native.${store}.workers-2-vs-workers-1.unary-1.c64`),
          TARGETS.unary1c64Workers2VsWorkers1,
        ),
      );
    }
  }
  checks.push(
    atLeast(
      'native.unary-100.c8.etcd-vs-one-put',
      '100 per call, 8 at once, on etcd vs the one-put server',
      ratio('native.etcd.unary-100.c8-vs-one-put'),
      TARGETS.unary100c8VsOnePut,
    ),
    atLeast(
      'native.stream.etcd-vs-raw-etcd3',
      'streamed on etcd (native client) vs raw etcd3',
      ratio('native.etcd.stream-100-vs-raw-etcd3'),
      TARGETS.streamVsRawEtcd3,
    ),
  );
  for (const limit of limits) {
    checks.push(
      atMost(
        `native.get-events.L${limit}.etcd-time-vs-original`,
        `GetEvents L = ${limit.toLocaleString('en-US')} on etcd: p50 time vs the original's read`,
        1 / ratio(`native.get-events.L${limit}.etcd-vs-original`),
        TARGETS.getEventsTimeVsOriginal,
      ),
    );
  }
  return checks;
}

/** The native section's tables: latency and server processes, targets, acknowledged vs stored. */
export function nativeTables(report: NativeReport): ExtraTable[] {
  const megabytes = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  return [
    {
      title: 'native (Go) client: latency per call, server CPU and peak RSS per process',
      columns: ['calls', 'p50 ms', 'p99 ms', 'server CPU', 'processes', 'peak RSS sum', 'per process'],
      rows: report.latency.map((row) => [
        row.label,
        row.calls.toLocaleString('en-US'),
        formatMs(row.p50Ms),
        formatMs(row.p99Ms),
        `${row.serverCpuMicrosPerSighting.toFixed(1)} µs/sighting`,
        String(row.serverPeakRssBytes.length),
        `${megabytes(row.serverPeakRssSumBytes)} MB`,
        `${row.serverPeakRssBytes.map(megabytes).join(' + ')} MB`,
      ]),
    },
    {
      title: 'issue 21 and 22 targets (native client, same run)',
      columns: ['value', 'target', ''],
      rows: report.targets.map((check) => [
        check.label,
        `${check.value.toFixed(2)}×`,
        `${check.comparison === 'at least' ? '≥' : '≤'} ${check.target.toFixed(2)}×`,
        check.met ? 'met' : 'MISSED',
      ]),
    },
    {
      title: 'native rows: sightings acknowledged vs stored under the row’s detectors',
      columns: ['server', 'acknowledged', 'stored', ''],
      rows: report.counts.map((count) => [
        count.id,
        count.server,
        count.acknowledged.toLocaleString('en-US'),
        count.stored.toLocaleString('en-US'),
        count.acknowledged === count.stored ? 'equal' : 'DIFFERENT',
      ]),
    },
  ];
}

/** Sentences for the report's notes. */
export function nativeNotes(report: NativeReport): string[] {
  if (report.status !== 'ran') {
    return [
      `Native (Go) rows skipped: ${report.status}. They need go (Debian's golang packages); see tools/bench/README.md.`,
    ];
  }
  return [
    "Native rows: a Go load generator (tools/bench/native/loadgen, one process per job, one HTTP/2 connection, started and connected before the clock) drives the suite's two cqservers, the one-put server (tools/bench/native/oneput: the original Go services' strategy, one etcd put per sighting awaited in turn, and its GetEvents read, one ascending range request with the limit over the detector's keys, decoded) on the same etcd, and" +
      (report.workers === 'ran'
        ? ' cqservers with --workers 1 and 2.'
        : ` no --workers servers (${report.workers}).`) +
      ' Server CPU and peak RSS cover every process of a server (the workers found as children in /proc); peak RSS is VmHWM, reset before each run.',
    'The native GetEvents rows read one detector of sightings one second apart without a range: cqserver answers the newest L, the original read the oldest L (whatever its one ascending range request gives). Each round is the p50 of its calls; the row is the median of the rounds.',
  ];
}

function formatMs(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNanosIso } from '@message-bus/domain';
import { EtcdBackend } from '@message-bus/store-etcd';
import { LmdbBackend } from '@message-bus/store-embedded';
import { DEFAULT_EVENT_RETENTION_SECONDS, KvRepository } from '@message-bus/store-kv';
import { startThrowawayEtcd } from '@message-bus/tools/etcd/throwaway';
import { Etcd3 } from 'etcd3';
import { open } from 'lmdb';
import { installedVersion, machineInfo } from '../machine';
import { measureInterleaved, type Trial } from '../measure';
import {
  speedRatio,
  toResultRow,
  type BenchReport,
  type RatioRow,
  type ResultRow,
  type ResultSpec,
} from '../report';
import {
  BucketLeases,
  RAW_ETCD_OPS_PER_TXN,
  RAW_ETCD_TXNS_IN_FLIGHT,
  onePutPerEvent,
  rawEtcdAppend,
  rawLmdbAppend,
  repositoryAppend,
} from './append-trials';
import { rawEtcdList, rawLmdbList, repositoryList } from './list-trials';
import {
  fullNewestFirstSizes,
  measureNewestFirstReads,
  smokeNewestFirstSizes,
  type NewestFirstSizes,
} from './newest-first-reads';
import { PseudonymiseWorkload } from './pseudonymise-trials';
import { UlidWorkload } from './ulid-trials';
import { chunks, EventWorkload } from './workload';
import { Cleanup } from '@message-bus/tools/cleanup';

export interface StoreSuiteOptions {
  /** Tiny sizes and one round, to prove the suite runs. */
  readonly smoke: boolean;
  /** Recorded rounds, overriding the default of the mode. */
  readonly rounds?: number;
  /** Progress lines; e.g. `(line) => process.stderr.write(line + '\n')`. */
  readonly log: (line: string) => void;
}

/** Input sizes of one run. */
interface StoreSizes {
  readonly rounds: number;
  readonly warmupRounds: number;
  /** Events each append trial writes per round, by batch size (events per call). */
  readonly appendEvents: ReadonlyMap<number, number>;
  /** Events the one-put-per-event baseline writes per round. */
  readonly onePutEvents: number;
  /** Events in the listed detector-hour. */
  readonly listEvents: number;
  /** Reads of the detector-hour per timed run. */
  readonly listRepeats: number;
  /** Sightings each pseudonymise trial hashes per round. */
  readonly pseudonymiseSightings: number;
  /** Deterministic ULIDs each ULID trial makes per round. */
  readonly ulids: number;
  /** The newest-first reads of issue 22: shapes, limits and calls. */
  readonly newestFirst: NewestFirstSizes;
}

const fullSizes: StoreSizes = {
  rounds: 3,
  warmupRounds: 1,
  appendEvents: new Map([
    [1, 1_000],
    [100, 10_000],
    [10_000, 20_000],
  ]),
  onePutEvents: 1_000,
  listEvents: 10_000,
  listRepeats: 5,
  pseudonymiseSightings: 200_000,
  ulids: 200_000,
  newestFirst: fullNewestFirstSizes,
};

const smokeSizes: StoreSizes = {
  rounds: 1,
  warmupRounds: 0,
  appendEvents: new Map([
    [1, 10],
    [100, 200],
    [10_000, 10_000],
  ]),
  onePutEvents: 10,
  listEvents: 200,
  listRepeats: 1,
  pseudonymiseSightings: 1_000,
  ulids: 1_000,
  newestFirst: smokeNewestFirstSizes,
};

/** The batch size the targets are set for, and the targets (speed against the baseline). */
const TARGET_BATCH = 10_000;
/**
 * Issue 3's targets, and issue 17's for the embedded store: at least 0.9× raw lmdb
 * doing the same key and value encoding, so the repository's own work costs < 10 %.
 */
const TARGETS = { etcdVsRaw: 0.8, etcdVsOnePut: 20, lmdbVsRaw: 0.7, lmdbVsRawEncoding: 0.9 } as const;

/** Events per detector-hour: a busy road's detector, and the listing's size. */
const EVENTS_PER_DETECTOR_HOUR = 10_000;
const PREFIX = 'bench';
/** Distinct device ids the pseudonymise trials cycle through. */
const PSEUDONYMISED_DEVICES = 10_000;

/**
 * The storage benchmark: append throughput through the repository on etcd and on lmdb
 * at batches of 1, 100 and 10,000 events, and the time to list one detector-hour, each
 * next to raw-client baselines and the original one-put-per-event strategy measured in
 * the same run. Starts a throwaway etcd and lmdb stores in a temp directory, and removes
 * them all before it returns.
 */
export async function runStoreSuite(options: StoreSuiteOptions): Promise<BenchReport> {
  const startedAt = new Date();
  const base = options.smoke ? smokeSizes : fullSizes;
  const sizes: StoreSizes = { ...base, rounds: options.rounds ?? base.rounds };
  const cleanup = new Cleanup();
  try {
    options.log('starting a throwaway etcd and lmdb stores in a temp directory');
    const etcd = await startThrowawayEtcd();
    cleanup.defer('remove etcd', () => etcd.remove());
    const workDir = await mkdtemp(join(tmpdir(), 'message-bus-bench-store-'));
    cleanup.defer('remove the work dir', () => rm(workDir, { recursive: true, force: true }));
    const client = new Etcd3({ hosts: etcd.endpoint });
    cleanup.defer('close the etcd client', () => client.close());
    const etcdRepository = new KvRepository(new EtcdBackend({ hosts: etcd.endpoint }), { prefix: PREFIX });
    cleanup.defer('close the etcd repository', () => etcdRepository.close());
    const lmdbRepository = new KvRepository(new LmdbBackend({ path: join(workDir, 'repository') }), {
      prefix: PREFIX,
    });
    cleanup.defer('close the lmdb repository', () => lmdbRepository.close());
    const rawLmdb = open<Buffer, Buffer>({
      path: join(workDir, 'raw'),
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    cleanup.defer('close raw lmdb', () => rawLmdb.close());

    const workload = new EventWorkload(PREFIX, EVENTS_PER_DETECTOR_HOUR, startedAt);
    const leases = new BucketLeases(client, DEFAULT_EVENT_RETENTION_SECONDS);
    const measured: Measured[] = [];
    const add = (spec: ResultSpec, trial: (id: string) => Trial) =>
      measured.push({ spec, trial: trial(spec.id) });

    for (const [batchSize, events] of sizes.appendEvents) {
      const group = `append, ${describeBatch(batchSize)} per call`;
      const shape = { batchSize, events };
      const row = (id: string, label: string): ResultSpec => ({ id, group, label, events, unit: 'events/s' });
      add(row(`append.etcd.repository.batch-${batchSize}`, 'etcd: repository'), (id) =>
        repositoryAppend(id, etcdRepository, 'repo', workload, shape),
      );
      add(
        row(
          `append.etcd.raw.batch-${batchSize}`,
          `etcd: raw etcd3, txns of ≤ ${RAW_ETCD_OPS_PER_TXN} puts, ${RAW_ETCD_TXNS_IN_FLIGHT} in flight`,
        ),
        (id) => rawEtcdAppend(id, client, 'raw3', workload, shape),
      );
      if (batchSize === TARGET_BATCH) {
        add(
          row(`append.etcd.raw-encoding.batch-${batchSize}`, 'etcd: raw etcd3 + key/value encoding timed'),
          (id) => rawEtcdAppend(id, client, 'rawe', workload, shape, { encodeTimed: true }),
        );
        add(
          row(
            `append.etcd.raw-encoding-leases.batch-${batchSize}`,
            'etcd: raw etcd3 + key/value encoding timed + bucket leases',
          ),
          (id) => rawEtcdAppend(id, client, 'rawl', workload, shape, { encodeTimed: true, leases }),
        );
      }
      if (batchSize === 1) {
        add(
          {
            id: 'append.etcd.one-put-per-event',
            group,
            label: 'etcd: one put per event, awaited in turn (original)',
            events: sizes.onePutEvents,
            unit: 'events/s',
          },
          (id) => onePutPerEvent(id, client, workload, sizes.onePutEvents),
        );
      }
      add(row(`append.lmdb.repository.batch-${batchSize}`, 'lmdb: repository'), (id) =>
        repositoryAppend(id, lmdbRepository, 'repo', workload, shape),
      );
      add(
        row(`append.lmdb.raw.batch-${batchSize}`, 'lmdb: raw lmdb, one txn per call, awaited flushed'),
        (id) => rawLmdbAppend(id, rawLmdb, 'raw3', workload, shape),
      );
      if (batchSize === TARGET_BATCH) {
        add(
          row(`append.lmdb.raw-encoding.batch-${batchSize}`, 'lmdb: raw lmdb + key/value encoding timed'),
          (id) => rawLmdbAppend(id, rawLmdb, 'rawe', workload, shape, { encodeTimed: true }),
        );
        add(
          row(`append.lmdb.raw-sync.batch-${batchSize}`, 'lmdb: raw lmdb, synchronous txn, awaited flushed'),
          (id) =>
            rawLmdbAppend(id, rawLmdb, 'raws', workload, shape, { encodeTimed: false, synchronous: true }),
        );
      }
    }

    options.log(`storing the listed detector-hour of ${sizes.listEvents} events`);
    const listDetector = workload.detectorId('list', 0, 0, 0);
    const listSightings = workload.detectorHour(listDetector, sizes.listEvents);
    for (const batch of chunks(listSightings, EVENTS_PER_DETECTOR_HOUR)) {
      await etcdRepository.events.append(batch);
      await lmdbRepository.events.append(batch);
    }
    const listEncoded = workload.encode(listSightings);
    await rawLmdb.transaction(() => {
      for (const { key, value } of listEncoded) rawLmdb.put(key, value);
    });
    await rawLmdb.flushed;
    const listRange = workload.keyspace.eventRange(listDetector, workload.hour);
    const listShape = { detectorId: listDetector, events: sizes.listEvents, repeats: sizes.listRepeats };
    const listGroup = `list one detector-hour (${sizes.listEvents.toLocaleString('en-US')} events), newest first`;
    const listRow = (id: string, label: string): ResultSpec => ({
      id,
      group: listGroup,
      label,
      events: sizes.listEvents,
      unit: 'ms',
      operations: sizes.listRepeats,
    });
    add(listRow('list.etcd.repository', 'etcd: repository'), (id) =>
      repositoryList(id, etcdRepository, workload, listShape),
    );
    add(listRow('list.etcd.raw', 'etcd: raw etcd3, one range request'), (id) =>
      rawEtcdList(id, client, listRange, listShape),
    );
    add(listRow('list.lmdb.repository', 'lmdb: repository'), (id) =>
      repositoryList(id, lmdbRepository, workload, listShape),
    );
    add(listRow('list.lmdb.raw', 'lmdb: raw getRange, reverse'), (id) =>
      rawLmdbList(id, rawLmdb, listRange, listShape),
    );

    const pseudonymise = new PseudonymiseWorkload({ distinctDevices: PSEUDONYMISED_DEVICES }, startedAt);
    pseudonymise.checkAgreement();
    const pseudonymiseRow = (id: string, label: string): ResultSpec => ({
      id,
      group: 'pseudonymise, one HMAC-SHA256 per sighting (no store)',
      label,
      events: sizes.pseudonymiseSightings,
      unit: 'events/s',
    });
    add(pseudonymiseRow('pseudonymise.pseudonymiser', 'Pseudonymiser.pseudonymsAt (@noble/hashes)'), (id) =>
      pseudonymise.pseudonymiser(id, sizes.pseudonymiseSightings),
    );
    add(pseudonymiseRow('pseudonymise.create-hmac', 'node:crypto createHmac per sighting'), (id) =>
      pseudonymise.createHmac(id, sizes.pseudonymiseSightings),
    );

    const ulids = new UlidWorkload(startedAt);
    ulids.checkAgreement();
    const ulidRow = (id: string, label: string): ResultSpec => ({
      id,
      group: 'deterministic ULID of an event key (no store)',
      label,
      events: sizes.ulids,
      unit: 'events/s',
    });
    add(ulidRow('ulid.writer', "UlidWriter (the keyspace's)"), (id) => ulids.writer(id, sizes.ulids));
    add(ulidRow('ulid.library', 'ulid package, ulid(time, prng) fed the hash'), (id) =>
      ulids.library(id, sizes.ulids),
    );
    const ulidReadRow = (id: string, label: string): ResultSpec => ({
      ...ulidRow(id, label),
      group: 'ULID of a key read back: validate and take its time (no store)',
    });
    add(ulidReadRow('ulid.reader', "ulidProblem + decodeUlidTime (the keyspace's)"), (id) =>
      ulids.reader(id, sizes.ulids),
    );
    add(ulidReadRow('ulid.library-reader', 'ulid package, isValid + decodeTime'), (id) =>
      ulids.libraryReader(id, sizes.ulids),
    );

    const totalRounds = sizes.warmupRounds + sizes.rounds;
    const runs = await measureInterleaved(
      measured.map(({ trial }) => trial),
      {
        rounds: sizes.rounds,
        warmupRounds: sizes.warmupRounds,
        onRun: ({ trialId, round, warmup, seconds, cpuSeconds }) =>
          options.log(
            `round ${round + 1}/${totalRounds}${warmup ? ' (warm-up)' : ''}  ${trialId}  ${seconds.toFixed(3)} s, client CPU ${cpuSeconds.toFixed(3)} s`,
          ),
      },
    );
    const newestFirst = await measureNewestFirstReads(
      sizes.newestFirst,
      etcd.endpoint,
      client,
      workDir,
      cleanup,
      options.log,
    );
    const results = [
      ...measured.map(({ spec }) => toResultRow(spec, runs.get(spec.id)!)),
      ...newestFirst.results,
    ];
    const etcdVersion = (await client.maintenance.status()).version;
    const sample = workload.encode(listSightings.slice(0, 1))[0]!;
    return {
      suite: 'store',
      title: 'Storage benchmark: the repository on etcd and lmdb against raw clients',
      mode: options.smoke ? 'smoke' : 'full',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      machine: machineInfo({
        etcd: etcdVersion,
        etcd3: installedVersion('etcd3'),
        lmdb: installedVersion('lmdb'),
      }),
      settings: {
        rounds: sizes.rounds,
        warmupRounds: sizes.warmupRounds,
        ...Object.fromEntries(
          [...sizes.appendEvents].map(([batchSize, events]) => [`appendEvents.batch-${batchSize}`, events]),
        ),
        onePutEvents: sizes.onePutEvents,
        listEvents: sizes.listEvents,
        listReadsPerRound: sizes.listRepeats,
        pseudonymiseSightings: sizes.pseudonymiseSightings,
        ulids: sizes.ulids,
        eventKeyBytes: sample.key.length,
        eventValueBytes: sample.value.length,
        eventHour: formatNanosIso(workload.hour.after),
        newestFirstCalls: sizes.newestFirst.calls,
        ...Object.fromEntries(
          Object.entries(newestFirst.roundTrips).map(([key, trips]) => [`roundTrips.${key}`, trips]),
        ),
      },
      results,
      ratios: [...storeRatios(results, [...sizes.appendEvents.keys()]), ...newestFirst.ratios],
      notes: [...storeNotes(sizes), ...newestFirst.notes],
    };
  } finally {
    await cleanup.run();
  }
}

interface Measured {
  readonly spec: ResultSpec;
  readonly trial: Trial;
}

function storeRatios(results: readonly ResultRow[], batchSizes: readonly number[]): RatioRow[] {
  const byId = new Map(results.map((row) => [row.id, row]));
  const row = (id: string) => {
    const found = byId.get(id);
    if (!found) throw new Error(`no result ${id}`);
    return found;
  };
  const targetFor = (batchSize: number, target: number) => (batchSize === TARGET_BATCH ? target : undefined);
  const ratios: RatioRow[] = [];
  for (const batchSize of batchSizes) {
    const batch = describeBatch(batchSize);
    const etcd = row(`append.etcd.repository.batch-${batchSize}`);
    ratios.push(
      speedRatio(
        `append.etcd.repository-vs-raw.batch-${batchSize}`,
        `etcd repository vs raw etcd3, ${batch}`,
        etcd,
        row(`append.etcd.raw.batch-${batchSize}`),
        targetFor(batchSize, TARGETS.etcdVsRaw),
      ),
      speedRatio(
        `append.etcd.repository-vs-one-put.batch-${batchSize}`,
        `etcd repository vs one put per event, ${batch}`,
        etcd,
        row('append.etcd.one-put-per-event'),
        targetFor(batchSize, TARGETS.etcdVsOnePut),
      ),
      speedRatio(
        `append.lmdb.repository-vs-raw.batch-${batchSize}`,
        `lmdb repository vs raw lmdb, ${batch}`,
        row(`append.lmdb.repository.batch-${batchSize}`),
        row(`append.lmdb.raw.batch-${batchSize}`),
        targetFor(batchSize, TARGETS.lmdbVsRaw),
      ),
    );
  }
  ratios.push(
    speedRatio(
      `append.etcd.repository-vs-raw-encoding-leases.batch-${TARGET_BATCH}`,
      `etcd repository vs raw etcd3 + encoding + leases, ${describeBatch(TARGET_BATCH)}`,
      row(`append.etcd.repository.batch-${TARGET_BATCH}`),
      row(`append.etcd.raw-encoding-leases.batch-${TARGET_BATCH}`),
    ),
    speedRatio(
      `append.lmdb.repository-vs-raw-encoding.batch-${TARGET_BATCH}`,
      `lmdb repository vs raw lmdb + encoding, ${describeBatch(TARGET_BATCH)}`,
      row(`append.lmdb.repository.batch-${TARGET_BATCH}`),
      row(`append.lmdb.raw-encoding.batch-${TARGET_BATCH}`),
      TARGETS.lmdbVsRawEncoding,
    ),
    speedRatio(
      'list.etcd.repository-vs-raw',
      'etcd repository list vs raw range read',
      row('list.etcd.repository'),
      row('list.etcd.raw'),
    ),
    speedRatio(
      'list.lmdb.repository-vs-raw',
      'lmdb repository list vs raw getRange',
      row('list.lmdb.repository'),
      row('list.lmdb.raw'),
    ),
    speedRatio(
      'pseudonymise.pseudonymiser-vs-create-hmac',
      'pseudonymiser vs createHmac per sighting',
      row('pseudonymise.pseudonymiser'),
      row('pseudonymise.create-hmac'),
    ),
    speedRatio(
      'ulid.writer-vs-library',
      'ULID writer vs ulid package',
      row('ulid.writer'),
      row('ulid.library'),
    ),
    speedRatio(
      'ulid.reader-vs-library',
      'ULID reader vs ulid package',
      row('ulid.reader'),
      row('ulid.library-reader'),
    ),
  );
  return ratios;
}

function storeNotes(sizes: StoreSizes): string[] {
  return [
    'Every append trial writes new keys (detectors of its own) into the same recent hour, in calls issued one after another, each awaited until the store acknowledges it as durable. Values are medians over the recorded rounds; trials are interleaved and rotate their order each round, after a warm-up round.',
    `Batch 1 is the per-call latency regime: ${sizes.appendEvents.get(1)} calls of one event each, awaited in turn.`,
    `The repository derives each key (deterministic ULID), validates every sighting, encodes the value and, on etcd, attaches one shared lease per 100-second bucket. The raw etcd3 baseline sends the same keys and values, encoded before the clock starts, as txns of at most ${RAW_ETCD_OPS_PER_TXN} puts with ${RAW_ETCD_TXNS_IN_FLIGHT} in flight, without leases.`,
    `One put per event is the original system's strategy: an etcd3 put per event, each awaited before the next (${sizes.onePutEvents} events); it is the same strategy at any batch size.`,
    `At batch ${TARGET_BATCH.toLocaleString('en-US')}, diagnostic baselines take on the repository's work one piece at a time: "+ key/value encoding timed" derives the same keys and values inside the timed part; "+ bucket leases" also attaches each put to its bucket's shared lease (granted before the clock starts). The repository against the fullest of them is the cost of the repository and backend code itself.`,
    'Raw lmdb writes the same keys and values, encoded before the clock starts, in one write transaction per call and waits until lmdb has flushed it to disk, as LmdbBackend acknowledges.',
    `At batch ${TARGET_BATCH.toLocaleString('en-US')}, "raw lmdb, synchronous txn" writes with lmdb-js's \`transactionSync\` instead: no hand-over to lmdb's writer thread, but the commit blocks the event loop and concurrent calls share no commit, so neither a server nor LmdbBackend writes that way. It is shown so the baseline's choice is visible, not rated against.`,
    "Client CPU is the CPU time of the bench process (every thread: JavaScript, gRPC, lmdb's writer) per event, median over the rounds; the etcd server's CPU is not in it. It shows what each contender costs the client, and other load on the machine distorts it far less than wall-clock time.",
    `Listing reads one detector-hour of ${sizes.listEvents} events ${sizes.listRepeats} times per round; values are milliseconds per read. The repository decodes every key and value and orders by exact time, newest first; raw etcd3 is one unsorted range request reversed in memory; raw lmdb a reverse getRange.`,
    `Pseudonymise hashes ${sizes.pseudonymiseSightings.toLocaleString('en-US')} WiFi sightings of ${PSEUDONYMISED_DEVICES.toLocaleString('en-US')} devices per round, in memory: \`Pseudonymiser.pseudonymsAt\` (the period key cached, outside any rotation overlap, so one HMAC per sighting) against \`createHmac('sha256', periodKey)\` on the same message. Both give the same pseudonym (checked before timing). Its client CPU column is the cost per sighting in microseconds.`,
    `ULID makes ${sizes.ulids.toLocaleString('en-US')} deterministic ULIDs per round from times and 10-byte hashes, in memory: the keyspace's \`UlidWriter\` against the \`ulid\` package (\`ulid(time, prng)\` with its PRNG fed the hash's 5-bit groups). Both make the same text (checked before timing). The keyspace writes its ULIDs with \`UlidWriter\`, into the key's bytes, because the package cost the append path more than 5 % at batch ${TARGET_BATCH.toLocaleString('en-US')}. Reading keys back, the keyspace checks each ULID and takes its time with \`ulidProblem\` and \`decodeUlidTime\`, against the package's \`isValid\` and \`decodeTime\` on the same ULIDs (store-kv's tests check that both accept and decode alike).`,
  ];
}

function describeBatch(batchSize: number): string {
  return batchSize === 1 ? 'batch of 1 event' : `batch of ${batchSize.toLocaleString('en-US')} events`;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyspace } from '@message-bus/store-kv';
import type { AppProcess } from '@message-bus/tools/app-process';
import { Cleanup } from '@message-bus/tools/cleanup';
import { startEtcdCluster } from '@message-bus/tools/etcd/cluster';
import { startThrowawayEtcd } from '@message-bus/tools/etcd/throwaway';
import { Etcd3 } from 'etcd3';
import { open } from 'lmdb';
import { countEmbeddedKeys, startCqserver } from '../e2e/cqserver-under-test';
import { LoadGeneratorProcess } from '../e2e/load-generator-process';
import { previousHourStartSeconds } from '../e2e/sighting-logs';
import { installedVersion, machineInfo } from '../machine';
import type { Trial } from '../measure';
import {
  speedRatio,
  toResultRow,
  type BenchReport,
  type ExtraTable,
  type RatioRow,
  type ResultRow,
} from '../report';
import {
  RAW_ETCD_OPS_PER_TXN,
  RAW_ETCD_TXNS_IN_FLIGHT,
  rawEtcdAppend,
  rawLmdbAppend,
} from '../store/append-trials';
import { EventWorkload } from '../store/workload';
import {
  detectorsWithin,
  ETCD_PLANNING_FILL,
  ETCD_RECOMMENDED_QUOTA_BYTES,
  retentionDaysWithin,
  siteLoad,
  sightingsWithin,
  type SiteAssumptions,
} from './capacity-model';
import { CapacityWorkload, type FleetShape } from './capacity-workload';
import {
  bytesPerSighting,
  FOOTPRINT_PREFIX,
  GROUP_COMMIT_APPENDS_IN_FLIGHT,
  GROUP_COMMIT_SIGHTINGS,
  marginalBytesPerSighting,
  measureEtcdFootprint,
  measureLmdbFootprint,
  type Footprint,
} from './footprint';
import {
  cqserverContender,
  rawTrialContender,
  serverCpuMicrosPerSighting,
  sustainedRate,
  sustainIngest,
  timedRuns,
  type IngestContender,
  type SustainedIngest,
} from './sustained-ingest';

export interface CapacitySuiteOptions {
  /** Tiny sizes and one round each, to prove the suite runs. */
  readonly smoke: boolean;
  /** Progress lines; e.g. `(line) => process.stderr.write(line + '\n')`. */
  readonly log: (line: string) => void;
}

interface CapacitySizes {
  readonly fleet: FleetShape;
  /** Sizes at which the footprint is measured, ascending; the last is `fleet.maxSightings`. */
  readonly footprintSizes: readonly number[];
  /** Sightings per ingest round (a multiple of 10,000, the raw trials' batch). */
  readonly ingestRound: number;
  readonly targetSeconds: number;
  readonly warmupRounds: number;
  readonly maxRounds: number;
}

const fullSizes: CapacitySizes = {
  // 1,000 detectors, 100 sightings an hour each (1,000 vehicles, 10 % detected): 6 hours of a fleet.
  fleet: { detectors: 1_000, secondsBetweenSightings: 36, devices: 50_000, maxSightings: 600_000 },
  footprintSizes: [200_000, 600_000],
  ingestRound: 100_000,
  targetSeconds: 20,
  warmupRounds: 1,
  maxRounds: 40,
};

const smokeSizes: CapacitySizes = {
  fleet: { detectors: 50, secondsBetweenSightings: 36, devices: 1_000, maxSightings: 4_000 },
  footprintSizes: [2_000, 4_000],
  ingestRound: 1_000,
  targetSeconds: 0,
  warmupRounds: 0,
  maxRounds: 1,
};

/** Keyspace prefixes of the ingest runs: cqserver's, and the raw clients'. */
const INGEST_PREFIX = 'bench-cap';
const RAW_PREFIX = 'bench-craw';

/** The model's worked example: the traffic at the default retention. */
const EXAMPLE_SITE: Omit<SiteAssumptions, 'detectors'> = {
  peakVehiclesPerHour: 1_000,
  penetration: 0.1,
  peakHourShare: 0.1,
  sightingsPerPass: 1,
  retentionSeconds: 7 * 86_400,
};
const EXAMPLE_FLEETS = [100, 1_000, 5_000] as const;

const SHAPE_LABELS = {
  stream: 'StreamEventLog, logs of 100',
  unary: 'unary, 100 per call, 8 in flight',
} as const;

/** Whether each store holds exactly what was acknowledged. */
export interface CountCheck {
  readonly what: string;
  readonly written: number;
  readonly stored: number;
}

export interface CapacityReport extends BenchReport {
  readonly footprint: { readonly etcd: Footprint; readonly lmdb: Footprint };
  readonly counts: readonly CountCheck[];
}

/**
 * Issue 21's capacity measurements: the bytes a sighting takes in etcd (after compaction
 * and defrag) and in lmdb (pages in use), at two sizes; the sustained ingest of cqserver
 * and of raw clients on one etcd member, on a 3-member cluster (against one follower)
 * and on the embedded store; and the capacity model computed from them.
 */
export async function runCapacitySuite(options: CapacitySuiteOptions): Promise<CapacityReport> {
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const sizes = options.smoke ? smokeSizes : fullSizes;
  const cleanup = new Cleanup();
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'message-bus-bench-capacity-'));
    cleanup.defer('remove the work dir', () => rm(workDir, { recursive: true, force: true }));
    const fleet = new CapacityWorkload(sizes.fleet, startedAt);

    options.log('footprint: a throwaway etcd, written through the repository');
    const footprintEtcd = await startThrowawayEtcd();
    const footprintClient = new Etcd3({ hosts: footprintEtcd.endpoint });
    let etcdVersion: string;
    let etcdFootprint: Footprint;
    try {
      etcdVersion = (await footprintClient.maintenance.status()).version;
      etcdFootprint = await measureEtcdFootprint(
        footprintEtcd.endpoint,
        // The throwaway harness keeps etcd's data in `data/` under its directory.
        join(footprintEtcd.dataDir, 'data'),
        footprintClient,
        fleet,
        sizes.footprintSizes,
        options.log,
      );
    } finally {
      footprintClient.close();
      await footprintEtcd.remove();
    }
    options.log('footprint: lmdb, written through the repository');
    const lmdbFootprint = await measureLmdbFootprint(
      join(workDir, 'footprint-lmdb'),
      fleet,
      sizes.footprintSizes,
      options.log,
    );

    const loadGenerator = await LoadGeneratorProcess.start();
    cleanup.defer('close the load generator', () => loadGenerator.close());
    const hourStartSeconds = previousHourStartSeconds(startedAt);
    const rawWorkload = new EventWorkload(RAW_PREFIX, 10_000, startedAt);
    const sustain = (contenders: readonly IngestContender[]) =>
      sustainIngest(contenders, {
        targetSeconds: sizes.targetSeconds,
        warmupRounds: sizes.warmupRounds,
        maxRounds: sizes.maxRounds,
        log: options.log,
      });
    const counts: CountCheck[] = [];

    /** cqserver and raw etcd3 on the etcd at `endpoint`, the stored keys counted against what was written. */
    const etcdIngest = async (
      where: 'single' | 'cluster',
      endpoint: string,
      shapes: readonly ('stream' | 'unary')[],
    ): Promise<SustainedIngest[]> => {
      const client = new Etcd3({ hosts: endpoint });
      const server = await startCqserver({ store: { store: 'etcd', endpoint }, prefix: INGEST_PREFIX });
      try {
        let acknowledged = 0;
        let rawWritten = 0;
        const contenders: IngestContender[] = [
          ...shapes.map((shape) => serverContender(where, server, shape, (n) => (acknowledged += n))),
          rawTrialContender({
            id: `ingest.${where}.raw-etcd3`,
            label: `${whereLabel(where)}: raw etcd3, txns of ${RAW_ETCD_OPS_PER_TXN}, ${RAW_ETCD_TXNS_IN_FLIGHT} in flight`,
            sightingsPerRound: sizes.ingestRound,
            trial: countingTrial(
              rawEtcdAppend(
                `ingest.${where}.raw-etcd3`,
                client,
                where === 'single' ? 'raw1' : 'raw3',
                rawWorkload,
                {
                  batchSize: 10_000,
                  events: sizes.ingestRound,
                },
              ),
              () => (rawWritten += sizes.ingestRound),
            ),
          }),
        ];
        const results = await sustain(contenders);
        await server.stop();
        counts.push(
          {
            what: `${where}: cqserver`,
            written: acknowledged,
            stored: await client.getAll().prefix(new Keyspace(INGEST_PREFIX).detectorsRoot).count(),
          },
          {
            what: `${where}: raw etcd3`,
            written: rawWritten,
            stored: await client.getAll().prefix(rawWorkload.keyspace.detectorsRoot).count(),
          },
        );
        return results;
      } finally {
        await server.stop();
        client.close();
      }
    };
    const serverContender = (
      where: string,
      server: AppProcess,
      shape: 'stream' | 'unary',
      onAcknowledged: (sightings: number) => void,
    ) =>
      cqserverContender({
        id: `ingest.${where}.cqserver.${shape === 'stream' ? 'stream-100' : 'unary-100.c8'}`,
        label: `${whereLabel(where)}: cqserver, ${SHAPE_LABELS[shape]}`,
        server,
        loadGenerator,
        sightingsPerRound: sizes.ingestRound,
        code: `${where.slice(0, 3)}${shape === 'stream' ? 'st' : 'u8'}`.padEnd(6, '-'),
        hourStartSeconds,
        stream: shape === 'stream',
        onAcknowledged,
      });

    options.log('ingest: one etcd member (the baseline of replication)');
    const single = await startThrowawayEtcd();
    let singleResults: SustainedIngest[];
    try {
      singleResults = await etcdIngest('single', single.endpoint, ['stream']);
    } finally {
      await single.remove();
    }

    options.log('ingest: a 3-member etcd cluster on loopback, against one follower');
    const cluster = await startEtcdCluster({ members: 3 });
    let clusterResults: SustainedIngest[];
    let leader: number;
    let follower: number;
    try {
      leader = await cluster.waitForLeader();
      follower = (leader + 1) % 3;
      clusterResults = await etcdIngest('cluster', cluster.member(follower).endpoint, ['stream', 'unary']);
    } finally {
      await cluster.remove();
    }

    options.log('ingest: the embedded store');
    const embeddedDataDir = join(workDir, 'cqserver');
    const embeddedServer = await startCqserver({
      store: { store: 'embedded', dataDir: embeddedDataDir },
      prefix: INGEST_PREFIX,
    });
    cleanup.defer('stop cqserver on the embedded store', () => embeddedServer.stop());
    const rawLmdb = open<Buffer, Buffer>({
      path: join(workDir, 'raw-lmdb'),
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    cleanup.defer('close raw lmdb', () => rawLmdb.close());
    let embeddedAcknowledged = 0;
    let rawLmdbWritten = 0;
    const embeddedResults = await sustain([
      serverContender('embedded', embeddedServer, 'stream', (n) => (embeddedAcknowledged += n)),
      serverContender('embedded', embeddedServer, 'unary', (n) => (embeddedAcknowledged += n)),
      rawTrialContender({
        id: 'ingest.embedded.raw-lmdb',
        label: 'embedded: raw lmdb, one transaction of 10,000 a call',
        sightingsPerRound: sizes.ingestRound,
        trial: countingTrial(
          rawLmdbAppend('ingest.embedded.raw-lmdb', rawLmdb, 'rawl', rawWorkload, {
            batchSize: 10_000,
            events: sizes.ingestRound,
          }),
          () => (rawLmdbWritten += sizes.ingestRound),
        ),
      }),
    ]);
    await embeddedServer.stop();
    counts.push(
      {
        what: 'embedded: cqserver',
        written: embeddedAcknowledged,
        stored: await countEmbeddedKeys(
          join(embeddedDataDir, 'store'),
          new Keyspace(INGEST_PREFIX).detectorsRoot,
        ),
      },
      {
        what: 'embedded: raw lmdb',
        written: rawLmdbWritten,
        stored: rawLmdb.getKeysCount({
          start: Buffer.from(rawWorkload.keyspace.detectorsRoot),
          end: Buffer.from(`${rawWorkload.keyspace.detectorsRoot.slice(0, -1)}0`),
        }),
      },
    );
    counts.push(
      ...etcdFootprint.points.map((point) => ({
        what: `etcd footprint at ${point.sightings.toLocaleString('en-US')}`,
        written: point.sightings,
        stored: point.storedKeys,
      })),
      ...lmdbFootprint.points.map((point) => ({
        what: `lmdb footprint at ${point.sightings.toLocaleString('en-US')}`,
        written: point.sightings,
        stored: point.storedKeys,
      })),
    );

    const ingest = [...singleResults, ...clusterResults, ...embeddedResults];
    const results = ingest.map(({ contender, rounds }) =>
      toResultRow(
        {
          id: contender.id,
          group: `sustained ingest, rounds of ${contender.sightingsPerRound.toLocaleString('en-US')} sightings`,
          label: contender.label,
          events: contender.sightingsPerRound,
          unit: 'events/s',
        },
        timedRuns(rounds),
      ),
    );
    const etcdBytes = bytesPerSighting(etcdFootprint, etcdFootprint.points.at(-1)!);
    const lmdbBytes = bytesPerSighting(lmdbFootprint, lmdbFootprint.points.at(-1)!);
    const loadAverageAtEnd = loadavg();
    return {
      suite: 'capacity',
      title:
        'Capacity: bytes per sighting, sustained ingest of a 3-member etcd cluster and of the embedded store',
      mode: options.smoke ? 'smoke' : 'full',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      machine: machineInfo({
        etcd: etcdVersion,
        etcd3: installedVersion('etcd3'),
        lmdb: installedVersion('lmdb'),
      }),
      settings: {
        warmupRounds: sizes.warmupRounds,
        targetSecondsPerContender: sizes.targetSeconds,
        ingestRoundSightings: sizes.ingestRound,
        fleetDetectors: sizes.fleet.detectors,
        fleetSecondsBetweenSightings: sizes.fleet.secondsBetweenSightings,
        fleetDevices: sizes.fleet.devices,
        fleetSpanHours: Math.round((fleet.spanSeconds / 3600) * 10) / 10,
        footprintSizes: sizes.footprintSizes.join(', '),
        footprintPrefix: FOOTPRINT_PREFIX,
        footprintAppend: `${GROUP_COMMIT_SIGHTINGS} sightings, ${GROUP_COMMIT_APPENDS_IN_FLIGHT} in flight`,
        eventKeyBytes: Buffer.byteLength(new Keyspace(FOOTPRINT_PREFIX).eventKey(fleet.sightings(0, 1)[0]!)),
        clusterLeader: `member-${leader}`,
        clusterClientMember: `member-${follower} (a follower)`,
        loadAverageAtStart: loadAverageAtStart.map((value) => value.toFixed(2)).join(' '),
        loadAverageAtEnd: loadAverageAtEnd.map((value) => value.toFixed(2)).join(' '),
      },
      results,
      ratios: capacityRatios(results),
      tables: [
        footprintTable('etcd', etcdFootprint),
        footprintTable('lmdb', lmdbFootprint),
        sustainedTable(ingest),
        modelTable(etcdBytes, lmdbBytes),
        {
          title: 'Stored against written',
          columns: ['written', 'stored', ''],
          rows: counts.map((count) => [
            count.what,
            formatCount(count.written),
            formatCount(count.stored),
            count.written === count.stored ? 'equal' : 'DIFFERENT',
          ]),
        },
      ],
      notes: capacityNotes(etcdBytes),
      footprint: { etcd: etcdFootprint, lmdb: lmdbFootprint },
      counts,
    };
  } finally {
    await cleanup.run();
  }
}

/** A trial whose every prepared run is counted once it has run, for the stored-count check. */
function countingTrial(trial: Trial, onRun: () => void): Trial {
  return {
    id: trial.id,
    async prepare(round) {
      const run = await trial.prepare(round);
      return async () => {
        await run();
        onRun();
      };
    },
  };
}

function whereLabel(where: string): string {
  return where === 'single' ? 'one member' : where === 'cluster' ? '3 members' : where;
}

function capacityRatios(results: readonly ResultRow[]): RatioRow[] {
  const row = (id: string) => results.find((result) => result.id === id);
  const pairs: [string, string, string, string][] = [
    [
      'ingest.cluster.cqserver-vs-raw-etcd3',
      '3 members: cqserver streamed vs raw etcd3',
      'ingest.cluster.cqserver.stream-100',
      'ingest.cluster.raw-etcd3',
    ],
    [
      'ingest.replication.raw-etcd3',
      'raw etcd3: 3 members vs one (the cost of replication on loopback)',
      'ingest.cluster.raw-etcd3',
      'ingest.single.raw-etcd3',
    ],
    [
      'ingest.replication.cqserver',
      'cqserver streamed: 3 members vs one',
      'ingest.cluster.cqserver.stream-100',
      'ingest.single.cqserver.stream-100',
    ],
    [
      'ingest.embedded.cqserver-vs-raw-lmdb',
      'embedded: cqserver streamed vs raw lmdb',
      'ingest.embedded.cqserver.stream-100',
      'ingest.embedded.raw-lmdb',
    ],
  ];
  return pairs.flatMap(([id, label, of, to]) => {
    const measured = row(of);
    const baseline = row(to);
    return measured && baseline ? [speedRatio(id, label, measured, baseline)] : [];
  });
}

function footprintTable(store: 'etcd' | 'lmdb', footprint: Footprint): ExtraTable {
  return {
    title:
      store === 'etcd'
        ? 'etcd: bytes per sighting after compaction and defrag (dbSizeInUse above the empty db)'
        : 'lmdb: bytes per sighting (pages in use above the empty store)',
    columns: [
      'stored keys',
      'file bytes',
      'used bytes',
      'bytes/sighting',
      'since previous size',
      ...(store === 'etcd' ? ['defrag', 'etcd heap (RssAnon)', 'heap/sighting'] : []),
    ],
    rows: [footprint.empty, ...footprint.points].map((point, index) => {
      const previous = footprint.points[index - 2];
      return [
        index === 0 ? 'empty' : `${formatCount(point.sightings)} sightings`,
        formatCount(point.storedKeys),
        formatCount(point.fileBytes),
        formatCount(point.usedBytes),
        index === 0 ? '' : bytesPerSighting(footprint, point).toFixed(1),
        previous === undefined ? '' : marginalBytesPerSighting(previous, point).toFixed(1),
        ...(point.defragSeconds === undefined ? [] : [`${point.defragSeconds.toFixed(2)} s`]),
        ...(point.residentAnonBytes === undefined
          ? []
          : [
              formatBytes(point.residentAnonBytes),
              index === 0 ? '' : heapBytesPerSighting(footprint, point).toFixed(0),
            ]),
      ];
    }),
  };
}

/** The etcd member's heap growth per sighting since the empty store. */
function heapBytesPerSighting(footprint: Footprint, point: Footprint['points'][number]): number {
  return (point.residentAnonBytes! - footprint.empty.residentAnonBytes!) / point.sightings;
}

function sustainedTable(ingest: readonly SustainedIngest[]): ExtraTable {
  return {
    title: 'Sustained ingest: every recorded round together (server CPU: its whole process tree)',
    columns: ['rounds', 'sightings', 'seconds', 'sightings/s', 'server CPU'],
    rows: ingest.map(({ contender, rounds }) => {
      const serverCpu = serverCpuMicrosPerSighting(rounds);
      return [
        contender.label,
        String(rounds.length),
        formatCount(rounds.reduce((total, round) => total + round.sightings, 0)),
        rounds.reduce((total, round) => total + round.seconds, 0).toFixed(1),
        formatCount(sustainedRate(rounds)),
        serverCpu === undefined ? '' : `${serverCpu.toFixed(1)} µs/sighting`,
      ];
    }),
  };
}

function modelTable(etcdBytes: number, lmdbBytes: number): ExtraTable {
  const etcdCeiling = ETCD_RECOMMENDED_QUOTA_BYTES;
  const etcdPlanned = ETCD_RECOMMENDED_QUOTA_BYTES * ETCD_PLANNING_FILL;
  const site = { ...EXAMPLE_SITE, detectors: 1 };
  return {
    title:
      `Capacity model: ${formatCount(EXAMPLE_SITE.peakVehiclesPerHour)} vehicles/h peak, ` +
      `${EXAMPLE_SITE.penetration * 100} % detected, peak hour ${EXAMPLE_SITE.peakHourShare * 100} % of the day, ` +
      `${EXAMPLE_SITE.retentionSeconds / 86_400} days' retention`,
    columns: ['sightings/day', 'retained', 'peak sightings/s', 'etcd bytes', 'of 8 GiB', 'lmdb bytes'],
    rows: [
      ...EXAMPLE_FLEETS.map((detectors) => {
        const load = siteLoad({ ...EXAMPLE_SITE, detectors });
        return [
          `${formatCount(detectors)} detectors`,
          formatCount(load.sightingsPerDay),
          formatCount(load.retainedSightings),
          load.peakSightingsPerSecond.toFixed(0),
          formatBytes(load.retainedSightings * etcdBytes),
          `${((load.retainedSightings * etcdBytes * 100) / etcdCeiling).toFixed(0)} %`,
          formatBytes(load.retainedSightings * lmdbBytes),
        ];
      }),
      [
        'ceiling: 8 GiB full',
        '',
        formatCount(sightingsWithin(etcdCeiling, etcdBytes)),
        '',
        `${formatCount(detectorsWithin(etcdCeiling, etcdBytes, site))} detectors`,
        '',
        '',
      ],
      [
        `planned: ${ETCD_PLANNING_FILL * 100} % of 8 GiB`,
        '',
        formatCount(sightingsWithin(etcdPlanned, etcdBytes)),
        '',
        `${formatCount(detectorsWithin(etcdPlanned, etcdBytes, site))} detectors`,
        '',
        '',
      ],
      [
        `retention in ${ETCD_PLANNING_FILL * 100} % of 8 GiB at 5,000 detectors`,
        '',
        '',
        '',
        `${retentionDaysWithin(etcdPlanned, etcdBytes, { ...EXAMPLE_SITE, detectors: 5_000 }).toFixed(1)} days`,
        '',
        '',
      ],
    ],
  };
}

function capacityNotes(etcdBytes: number): string[] {
  return [
    `Footprint: a fleet's sightings stored through KvRepository (EtcdBackend, LmdbBackend) in the collector group commit's appends, pseudonymised by the collector's Pseudonymiser; etcd compacted to its current revision (physical) and defragmented before each reading. The model uses the larger size's ${etcdBytes.toFixed(0)} bytes per sighting in etcd.`,
    "Ingest: rounds of new keys, contenders interleaved, each until its recorded rounds add up to the target; cqserver fed by the e2e suite's load generator process; raw clients are the store suite's trials (raw etcd3: txns of 128 puts, 8 in flight; raw lmdb: one transaction per 10,000, awaited until flushed).",
    "The 3 members, their loopback proxies (the harness routes client and peer traffic through TCP proxies in this process), cqserver, the load generator and this process share the machine's cores: on a real cluster each member has a machine, so the 3-member figure is a lower bound, and its ratio to one member overstates the cost of replication.",
  ];
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

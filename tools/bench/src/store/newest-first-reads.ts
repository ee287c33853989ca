import { join } from 'node:path';
import {
  NANOS_PER_SECOND,
  parseDetectorId,
  type DetectorId,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import type { TimeRange } from '@message-bus/repository';
import { EtcdBackend } from '@message-bus/store-etcd';
import { LmdbBackend } from '@message-bus/store-embedded';
import {
  EventValueCodec,
  Keyspace,
  KvRepository,
  type KeyRange,
  type KvBackend,
} from '@message-bus/store-kv';
import type { Cleanup } from '@message-bus/tools/cleanup';
import type { Etcd3 } from 'etcd3';
import { open, type RootDatabase } from 'lmdb';
import { median } from '../measure';
import { speedRatio, type RatioRow, type ResultRow } from '../report';
import { chunks, pseudonymLike } from './workload';

/**
 * Issue 22's newest-first reads: the newest `limit` sightings of one detector, as
 * GetEvents, StreamEvents' replay and the worker read them (`events.listPages`, newest
 * first), against the original's read (one ascending range request with that limit over
 * the same keys, decoded) on the same etcd, and the embedded store against raw lmdb
 * (a reverse cursor with that limit, decoded alike), for four shapes of history.
 */
export interface NewestFirstSizes {
  /** Sightings of the day shape, one a second; e.g. 86,400. */
  readonly daySightings: number;
  /** Bursts of the burst shape, and sightings per burst, one a millisecond. */
  readonly bursts: number;
  readonly burstSightings: number;
  /** Sightings of the sparse shape, one every 10 minutes; e.g. 1,008 (7 days). */
  readonly sparseSightings: number;
  readonly limits: readonly number[];
  /** Timed calls per contender, shape and limit (the rows are their p50). */
  readonly calls: number;
}

export const fullNewestFirstSizes: NewestFirstSizes = {
  daySightings: 86_400,
  bursts: 20,
  burstSightings: 2_000,
  sparseSightings: 7 * 24 * 6,
  limits: [10, 1_000, 10_000],
  calls: 20,
};

export const smokeNewestFirstSizes: NewestFirstSizes = {
  daySightings: 300,
  bursts: 2,
  burstSightings: 100,
  sparseSightings: 30,
  limits: [10, 100],
  calls: 1,
};

/** One history shape: a detector's sightings and the range read. */
interface Shape {
  readonly name: string;
  readonly label: string;
  readonly detectorId: DetectorId;
  readonly sightings: readonly Sighting[];
  readonly range: TimeRange;
}

const PREFIX = 'reads';
const SECONDS_PER_DAY = 86_400;
const BURST_EVERY_SECONDS = 15 * 60;
const SPARSE_EVERY_SECONDS = 10 * 60;
/** Longer than the sparse shape's week, so no bucket expires during the run. */
const RETENTION_SECONDS = 30 * SECONDS_PER_DAY;
const WRITE_BATCH = 10_000;

/** The four shapes, each one detector, newest sighting at `newest`. */
function shapes(sizes: NewestFirstSizes, newest: UnixNanos): Shape[] {
  const secondsBack = (seconds: number) => newest - BigInt(seconds) * NANOS_PER_SECOND;
  const series = (id: string, times: readonly UnixNanos[]): [DetectorId, Sighting[]] => {
    const detectorId = parseDetectorId(id);
    return [detectorId, times.map((time, index) => ({ detectorId, deviceId: pseudonymLike(index % 5000), time }))];
  };
  const [day, daySightings] = series(
    'reads-day',
    Array.from({ length: sizes.daySightings }, (_, index) => secondsBack(sizes.daySightings - 1 - index)),
  );
  const burstTimes: UnixNanos[] = [];
  for (let burst = sizes.bursts - 1; burst >= 0; burst -= 1) {
    const end = secondsBack(burst * BURST_EVERY_SECONDS);
    for (let index = sizes.burstSightings - 1; index >= 0; index -= 1) {
      burstTimes.push(end - BigInt(index) * 1_000_000n);
    }
  }
  const [bursts, burstSightings] = series('reads-bursts', burstTimes);
  const [sparse, sparseSightings] = series(
    'reads-sparse',
    Array.from({ length: sizes.sparseSightings }, (_, index) =>
      secondsBack((sizes.sparseSightings - 1 - index) * SPARSE_EVERY_SECONDS),
    ),
  );
  // The day shape's middle third: a range that ends hours before its newest sighting.
  const third = Math.floor(sizes.daySightings / 3);
  const middle: TimeRange = { after: daySightings[third]!.time, before: daySightings[2 * third]!.time };
  return [
    {
      name: 'day',
      label: `1/s over ${describeSpan(sizes.daySightings)}`,
      detectorId: day,
      sightings: daySightings,
      range: {},
    },
    {
      name: 'bursts',
      label: `${sizes.bursts} bursts of ${sizes.burstSightings.toLocaleString('en-US')} at 1,000/s, 15 min apart`,
      detectorId: bursts,
      sightings: burstSightings,
      range: {},
    },
    {
      name: 'sparse',
      label: `one per 10 min over ${describeSpan(sizes.sparseSightings * SPARSE_EVERY_SECONDS)}`,
      detectorId: sparse,
      sightings: sparseSightings,
      range: {},
    },
    {
      name: 'middle',
      label: `the day shape's middle third (${third.toLocaleString('en-US')} sightings)`,
      detectorId: day,
      sightings: daySightings,
      range: middle,
    },
  ];
}

/** What the newest-first part of the store suite measured. */
export interface NewestFirstResults {
  readonly results: ResultRow[];
  readonly ratios: RatioRow[];
  /** Range requests of one repository read on etcd, by `<shape>.L<limit>`; the original's is always 1. */
  readonly roundTrips: Record<string, number>;
  readonly notes: string[];
}

/** Targets of issue 22: at most 1.0× the original's time on etcd, at most 1.2× raw lmdb's. */
const TARGETS = { etcdVsOriginal: 1, lmdbVsRaw: 1 / 1.2 } as const;

/**
 * Stores the shapes in etcd (through the repository), in an lmdb repository and in raw
 * lmdb, then times every contender on every shape and limit: `calls` calls each after
 * two warm-up calls, contenders interleaved call by call in rotating order.
 */
export async function measureNewestFirstReads(
  sizes: NewestFirstSizes,
  etcdEndpoint: string,
  client: Etcd3,
  workDir: string,
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<NewestFirstResults> {
  const reads: { count: number } = { count: 0 };
  const etcdRepository = new KvRepository(counting(new EtcdBackend({ hosts: etcdEndpoint }), reads), {
    prefix: PREFIX,
    eventRetentionSeconds: RETENTION_SECONDS,
  });
  cleanup.defer('close the newest-first etcd repository', () => etcdRepository.close());
  const lmdbRepository = new KvRepository(new LmdbBackend({ path: join(workDir, 'reads-repository') }), {
    prefix: PREFIX,
    eventRetentionSeconds: RETENTION_SECONDS,
  });
  cleanup.defer('close the newest-first lmdb repository', () => lmdbRepository.close());
  const rawLmdb = open<Buffer, Buffer>({
    path: join(workDir, 'reads-raw'),
    keyEncoding: 'binary',
    encoding: 'binary',
  });
  cleanup.defer('close the newest-first raw lmdb', () => rawLmdb.close());

  const keyspace = new Keyspace(PREFIX);
  const values = new EventValueCodec();
  const all = shapes(sizes, BigInt(Date.now()) * 1_000_000n);
  for (const shape of all.filter((candidate) => candidate.name !== 'middle')) {
    log(`storing the ${shape.name} shape: ${shape.sightings.length.toLocaleString('en-US')} sightings`);
    for (const batch of chunks(shape.sightings, WRITE_BATCH)) {
      await etcdRepository.events.append(batch);
      await lmdbRepository.events.append(batch);
      await rawLmdb.transaction(() => {
        for (const sighting of batch) {
          const value = values.encode(sighting.time);
          rawLmdb.put(Buffer.from(keyspace.eventKey(sighting), 'utf8'), Buffer.from(value));
        }
      });
    }
  }
  await rawLmdb.flushed;

  const results: ResultRow[] = [];
  const ratios: RatioRow[] = [];
  const roundTrips: Record<string, number> = {};
  for (const shape of all) {
    const keys = keyspace.eventRange(shape.detectorId, {
      after: shape.range.after ?? 0n,
      before: shape.range.before,
    });
    for (const limit of sizes.limits) {
      const expected = expectedCount(shape, limit);
      const query = {
        detectorIds: [shape.detectorId],
        range: shape.range,
        limitPerDetector: limit,
        order: 'newest_first',
      } as const;
      const repositoryRead = (repository: KvRepository) => async () => {
        let count = 0;
        for await (const page of repository.events.listPages(query)) count += page.length;
        return count;
      };
      const contenders: Contender[] = [
        {
          id: 'etcd.repository',
          label: 'etcd: repository, newest first',
          read: repositoryRead(etcdRepository),
        },
        {
          id: 'etcd.original',
          label: "etcd: the original's read, one ascending range with the limit, decoded",
          read: () => originalRead(client, keys, limit, keyspace, values),
        },
        {
          id: 'lmdb.repository',
          label: 'lmdb: repository, newest first',
          read: repositoryRead(lmdbRepository),
        },
        {
          id: 'lmdb.raw',
          label: 'lmdb: raw reverse getRange with the limit, decoded',
          read: async () => rawLmdbRead(rawLmdb, keys, limit, keyspace, values),
        },
      ];
      log(`newest first: ${shape.name}, limit ${limit.toLocaleString('en-US')}`);
      const timings = await timeInterleaved(contenders, sizes.calls, expected);
      reads.count = 0;
      await contenders[0]!.read();
      roundTrips[`${shape.name}.L${limit}`] = reads.count;
      const group = `newest ${limit.toLocaleString('en-US')} of one detector: ${shape.label}`;
      const rows = new Map<string, ResultRow>();
      for (const contender of contenders) {
        const id = `newest.${shape.name}.L${limit}.${contender.id}`;
        const row = toRow(id, group, contender.label, expected, timings.get(contender.id)!);
        rows.set(contender.id, row);
        results.push(row);
      }
      ratios.push(
        speedRatio(
          `newest.${shape.name}.L${limit}.etcd-vs-original`,
          `etcd repository vs the original's read: ${shape.name}, L=${limit}`,
          rows.get('etcd.repository')!,
          rows.get('etcd.original')!,
          TARGETS.etcdVsOriginal,
        ),
        speedRatio(
          `newest.${shape.name}.L${limit}.lmdb-vs-raw`,
          `lmdb repository vs raw lmdb: ${shape.name}, L=${limit}`,
          rows.get('lmdb.repository')!,
          rows.get('lmdb.raw')!,
          TARGETS.lmdbVsRaw,
        ),
      );
    }
  }
  return {
    results,
    ratios,
    roundTrips,
    notes: [
      `Newest first: p50 of ${sizes.calls} calls per contender (after 2 warm-up calls), the four contenders interleaved call by call in rotating order; ms per call. Each read returns min(limit, sightings in range) sightings, checked every call. The repository rows are the store read GetEvents, StreamEvents' replay and the worker make (events.listPages, newest first, every sighting decoded and ordered by exact time), without gRPC.`,
      "The original's read is what the Go query server did: one ascending etcd range request with the limit over the detector's keys (the oldest `limit`, where the repository returns the newest), through the stock etcd3 client, every key and value decoded with the keyspace's parser and value codec. Raw lmdb reads the newest `limit` with a reverse getRange and decodes them alike.",
      'Targets (issue 22): the etcd repository at least as fast as the original (ratio ≥ 1.0), the embedded store at most 1.2× raw lmdb\'s time (ratio ≥ 0.83).',
      `Round trips: range requests of one repository read on etcd, by shape and limit (settings "roundTrips.*"); the original's read is one.`,
    ],
  };
}

interface Contender {
  readonly id: string;
  readonly label: string;
  /** One read; resolves to how many sightings it returned. */
  readonly read: () => Promise<number>;
}

interface CallTimes {
  readonly ms: number[];
  readonly cpuMicros: number[];
}

async function timeInterleaved(
  contenders: readonly Contender[],
  calls: number,
  expected: number,
): Promise<Map<string, CallTimes>> {
  const times = new Map<string, CallTimes>(
    contenders.map((contender) => [contender.id, { ms: [], cpuMicros: [] }]),
  );
  const warmups = calls > 1 ? 2 : 0;
  for (let call = 0; call < warmups + calls; call += 1) {
    for (let offset = 0; offset < contenders.length; offset += 1) {
      const contender = contenders[(call + offset) % contenders.length]!;
      const cpuStarted = process.cpuUsage();
      const started = process.hrtime.bigint();
      const count = await contender.read();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = process.cpuUsage(cpuStarted);
      if (count !== expected) throw new Error(`${contender.id}: read ${count} sightings, expected ${expected}`);
      if (call < warmups) continue;
      const recorded = times.get(contender.id)!;
      recorded.ms.push(ms);
      recorded.cpuMicros.push(cpu.user + cpu.system);
    }
  }
  return times;
}

function toRow(id: string, group: string, label: string, events: number, times: CallTimes): ResultRow {
  return {
    id,
    group,
    label,
    events,
    unit: 'ms',
    median: median(times.ms),
    min: Math.min(...times.ms),
    max: Math.max(...times.ms),
    rounds: times.ms,
    clientCpuMicrosPerEvent: median(times.cpuMicros) / events,
  };
}

function expectedCount(shape: Shape, limit: number): number {
  const { after, before } = shape.range;
  const inRange = shape.sightings.filter(
    ({ time }) => (after === undefined || time >= after) && (before === undefined || time < before),
  ).length;
  return Math.min(inRange, limit);
}

/** The original's read: one ascending range request with the limit, every entry decoded. */
async function originalRead(
  client: Etcd3,
  keys: KeyRange,
  limit: number,
  keyspace: Keyspace,
  values: EventValueCodec,
): Promise<number> {
  const response = await client.kv.range({
    key: Buffer.from(keys.start, 'utf8'),
    range_end: Buffer.from(keys.end, 'utf8'),
    limit,
  });
  return decodedCount(
    response.kvs.map(({ key, value }) => [key.toString('utf8'), value]),
    keyspace,
    values,
  );
}

function rawLmdbRead(
  db: RootDatabase<Buffer, Buffer>,
  keys: KeyRange,
  limit: number,
  keyspace: Keyspace,
  values: EventValueCodec,
): number {
  const entries = db.getRange({
    start: Buffer.from(keys.end, 'utf8'),
    end: Buffer.from(keys.start, 'utf8'),
    reverse: true,
    exclusiveStart: true,
    inclusiveEnd: true,
    limit,
  });
  return decodedCount(
    entries.map(({ key, value }) => [key.toString('utf8'), value] as const),
    keyspace,
    values,
  );
}

/** Decodes every entry as a sighting, as a reader of them must; the count of those that decode. */
function decodedCount(
  entries: Iterable<readonly [string, Uint8Array]>,
  keyspace: Keyspace,
  values: EventValueCodec,
): number {
  let count = 0;
  for (const [key, value] of entries) {
    const parsed = keyspace.parseEventKey(key);
    const decoded = values.decode(value);
    if (parsed.ok && decoded.ok && parsed.value.deviceId.length > 0 && decoded.value.time > 0n) count += 1;
  }
  return count;
}

/** Counts the range reads asked of `backend` into `reads.count`. */
function counting(backend: KvBackend, reads: { count: number }): KvBackend {
  return {
    reverseScanReadsWholeRange: backend.reverseScanReadsWholeRange,
    put: (records) => backend.put(records),
    get: (key) => backend.get(key),
    scan: (range) => backend.scan(range),
    scanPages: (range) => {
      reads.count += 1;
      return backend.scanPages(range);
    },
    compareAndSet: (key, expected, next) => backend.compareAndSet(key, expected, next),
    deleteRange: (start, end) => backend.deleteRange(start, end),
    watch: (prefix, signal) => backend.watch(prefix, signal),
    health: () => backend.health(),
    close: () => backend.close(),
  };
}

function describeSpan(seconds: number): string {
  return seconds >= SECONDS_PER_DAY
    ? `${Math.round(seconds / SECONDS_PER_DAY)} day${seconds >= 2 * SECONDS_PER_DAY ? 's' : ''}`
    : `${Math.round(seconds / 60)} min`;
}

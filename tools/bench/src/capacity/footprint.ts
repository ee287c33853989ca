import { readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EtcdBackend } from '@message-bus/store-etcd';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import type { Etcd3 } from 'etcd3';
import { open } from 'lmdb';
import type { CapacityWorkload } from './capacity-workload';

/**
 * The collector's group commit under load (`DEFAULT_COLLECTOR_LIMITS` of
 * @message-bus/collector): appends of up to 10,000 sightings, two in flight.
 */
export const GROUP_COMMIT_SIGHTINGS = 10_000;
export const GROUP_COMMIT_APPENDS_IN_FLIGHT = 2;

/** The keyspace prefix of the footprint runs: the apps' default `--etcd.prefix`, so keys have a real site's length. */
export const FOOTPRINT_PREFIX = 'tdc';

/**
 * Every sighting lies within hours of the run, but is written after its time: a day of
 * `lateAfterSeconds` keeps the repository from taking the backlog for late data and
 * writing recompute marks a live collector does not write.
 */
const FOOTPRINT_LATE_AFTER_SECONDS = 86_400;

/** What a store holds after `sightings` sightings, measured after etcd's compaction and defrag. */
export interface FootprintPoint {
  readonly sightings: number;
  /** Event keys counted under the prefix afterwards: must equal `sightings`. */
  readonly storedKeys: number;
  /** etcd: the database file (`dbSize`); lmdb: the data file. */
  readonly fileBytes: number;
  /** etcd: `dbSizeInUse` (file less free pages); lmdb: the pages of every database's tree × page size. */
  readonly usedBytes: number;
  /** etcd only: how long the defragmentation took, during which the member answers nothing. */
  readonly defragSeconds?: number;
  /**
   * etcd only: the member's anonymous resident memory (RssAnon: its heap, which holds the
   * index of every key; not the mapped database file), after the defrag.
   */
  readonly residentAnonBytes?: number;
}

/** A store's growth from empty, at each size. */
export interface Footprint {
  /** Before any sighting, measured the same way. */
  readonly empty: FootprintPoint;
  readonly points: readonly FootprintPoint[];
}

/** Bytes per sighting above the empty store at one point, from the used bytes. */
export function bytesPerSighting(footprint: Footprint, point: FootprintPoint): number {
  return (point.usedBytes - footprint.empty.usedBytes) / point.sightings;
}

/** Bytes per sighting between two points: the slope, which linear growth keeps equal to each point's average. */
export function marginalBytesPerSighting(from: FootprintPoint, to: FootprintPoint): number {
  return (to.usedBytes - from.usedBytes) / (to.sightings - from.sightings);
}

/**
 * Stores the workload's sightings in etcd through `KvRepository` on `EtcdBackend`, in
 * the group commit's appends, growing to each of `sizes` in turn; at each, compacts to
 * the current revision (physically), defragments and reads the member's status.
 */
export async function measureEtcdFootprint(
  endpoint: string,
  /** The member's data directory (`--data-dir`), to find its process and read its memory. */
  dataDir: string,
  client: Etcd3,
  workload: CapacityWorkload,
  sizes: readonly number[],
  log: (line: string) => void,
): Promise<Footprint> {
  const compactor = new Compactor(client);
  const root = `/${FOOTPRINT_PREFIX}/detectors/`;
  const measure = async (sightings: number): Promise<FootprintPoint> => {
    const sizes = await compactor.compactAndDefragment();
    const storedKeys = await client.getAll().prefix(root).count();
    return { sightings, storedKeys, ...sizes, residentAnonBytes: residentAnonBytesOf(dataDir) };
  };
  const empty = await measure(0);
  const repository = new KvRepository(new EtcdBackend({ hosts: endpoint }), {
    prefix: FOOTPRINT_PREFIX,
    lateAfterSeconds: FOOTPRINT_LATE_AFTER_SECONDS,
  });
  const points: FootprintPoint[] = [];
  try {
    let written = 0;
    for (const size of sizes) {
      log(`etcd footprint: storing sightings ${written + 1}–${size} through the repository`);
      await appendLikeGroupCommit(repository, workload, written, size);
      written = size;
      points.push(await measure(size));
    }
  } finally {
    await repository.close();
  }
  return { empty, points };
}

/**
 * The same on lmdb (`KvRepository` on `LmdbBackend` in `dir`): after each size the
 * store is closed and its pages counted from lmdb's own statistics, then reopened.
 */
export async function measureLmdbFootprint(
  dir: string,
  workload: CapacityWorkload,
  sizes: readonly number[],
  log: (line: string) => void,
): Promise<Footprint> {
  const openRepository = () =>
    new KvRepository(new LmdbBackend({ path: dir }), {
      prefix: FOOTPRINT_PREFIX,
      lateAfterSeconds: FOOTPRINT_LATE_AFTER_SECONDS,
    });
  // Opening creates the databases: the empty store is what a fresh site starts with.
  await openRepository().close();
  const empty = await lmdbPoint(dir, 0);
  const points: FootprintPoint[] = [];
  let written = 0;
  for (const size of sizes) {
    log(`lmdb footprint: storing sightings ${written + 1}–${size} through the repository`);
    const repository = openRepository();
    try {
      await appendLikeGroupCommit(repository, workload, written, size);
    } finally {
      await repository.close();
    }
    written = size;
    points.push(await lmdbPoint(dir, size));
  }
  return { empty, points };
}

/** Sightings `from`–`to` in appends of the group commit's size, that many in flight. */
async function appendLikeGroupCommit(
  repository: KvRepository,
  workload: CapacityWorkload,
  from: number,
  to: number,
): Promise<void> {
  let next = from;
  const appender = async (): Promise<void> => {
    while (next < to) {
      const start = next;
      next = Math.min(to, next + GROUP_COMMIT_SIGHTINGS);
      await repository.events.append(workload.sightings(start, next));
    }
  };
  await Promise.all(Array.from({ length: GROUP_COMMIT_APPENDS_IN_FLIGHT }, appender));
}

/** Compacts a member to its current revision, once per new revision, and defragments it. */
class Compactor {
  #compactedRevision = 0n;

  constructor(private readonly client: Etcd3) {}

  /** The member's file and in-use sizes after compaction and defrag. */
  async compactAndDefragment(): Promise<{ fileBytes: number; usedBytes: number; defragSeconds: number }> {
    const revision = BigInt((await this.client.maintenance.status()).header.revision);
    // etcd refuses a compaction at a revision already compacted.
    if (revision > this.#compactedRevision) {
      await this.client.kv.compact({ revision: revision.toString(), physical: true });
      this.#compactedRevision = revision;
    }
    const defragStarted = process.hrtime.bigint();
    await this.client.maintenance.defragment();
    const defragSeconds = Number(process.hrtime.bigint() - defragStarted) / 1e9;
    const status = await this.client.maintenance.status();
    const fileBytes = Number(status.dbSize);
    // dbSizeInUse came with etcd 3.4; an older member gives only the file.
    const inUse = Number(status.dbSizeInUse);
    return { fileBytes, usedBytes: Number.isFinite(inUse) && inUse > 0 ? inUse : fileBytes, defragSeconds };
  }
}

interface LmdbTreeStats {
  readonly pageSize: number;
  readonly treeBranchPageCount: number;
  readonly treeLeafPageCount: number;
  readonly overflowPages: number;
  readonly entryCount: number;
}

/** The databases `LmdbBackend` opens (see lmdb-backend.ts); their pages are the store's data. */
const LMDB_DATABASES = ['records', 'expiry-groups', 'record-expiries'] as const;

/** Pages in use of the main database and every named one, and the event keys in `records`. */
async function lmdbPoint(dir: string, sightings: number): Promise<FootprintPoint> {
  const env = open({ path: dir, noSubdir: false, readOnly: true });
  try {
    const treePages = (stats: LmdbTreeStats) =>
      stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
    const main = env.getStats() as LmdbTreeStats;
    let pages = treePages(main);
    let storedKeys = 0;
    for (const name of LMDB_DATABASES) {
      const db = env.openDB({ name, encoding: 'binary', keyEncoding: 'binary' });
      pages += treePages(db.getStats() as LmdbTreeStats);
      if (name === 'records') {
        const root = Buffer.from(`/${FOOTPRINT_PREFIX}/detectors/`);
        const end = Buffer.from(`/${FOOTPRINT_PREFIX}/detectors0`);
        storedKeys = db.getKeysCount({ start: root, end });
      }
    }
    const fileBytes = (await stat(join(dir, 'data.mdb'))).size;
    return { sightings, storedKeys, fileBytes, usedBytes: pages * main.pageSize };
  } finally {
    await env.close();
  }
}

/** RssAnon of the one process whose command line names `--data-dir=<dataDir>`: the etcd member's heap. */
function residentAnonBytesOf(dataDir: string): number {
  const flag = `--data-dir=${dataDir}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!args.includes(flag)) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const match = /^RssAnon:\s+(\d+) kB/m.exec(status);
      if (match) return Number(match[1]) * 1024;
    } catch {
      // the process exited meanwhile, or is not ours to read
    }
  }
  throw new Error(`no process runs with ${flag}`);
}

import { randomUUID } from 'node:crypto';
import { parseDetectorId, type DetectorId, type Sighting, type UnixNanos } from '@message-bus/domain';
import type { EventQuery } from '@message-bus/repository';
import { KvRepository, type KvBackend, type KvRange } from '@message-bus/store-kv';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { EtcdBackend } from './etcd-backend';

const NANOS_PER_SECOND = 1_000_000_000n;
const YEAR_SECONDS = 365 * 24 * 3600;
/** Sightings of the dense detector, one a second: 200 of the keyspace's 100-second buckets. */
const DENSE_SIGHTINGS = 20_000;
/** The sparse detector: one sighting every 10 minutes for 7 days. */
const SPARSE_INTERVAL_SECONDS = 600;
const SPARSE_SIGHTINGS = 7 * 24 * 6;
/** The newest sighting of both detectors, an hour ago (etcd expires them by its own clock); the repository's clock reads a minute later. */
const NEWEST_SECOND = Math.floor(Date.now() / 1000) - 3600;
const RETENTION_SECONDS = 30 * 24 * 3600;
const NOW: UnixNanos = BigInt(NEWEST_SECOND + 60) * NANOS_PER_SECOND;
/** Entries one span read asks for at most (one descending etcd request). */
const READ_ENTRIES = 10_000;
/** Entries a span aims to hold at most: three quarters of a read. */
const SPAN_ENTRIES = 7_500;

/**
 * Counts the range reads the repository asks of the backend: each reverse read of at most
 * 10,000 entries is one etcd range request (EtcdBackend's descending request, ten pages),
 * so this is the number of round trips of a newest-first read.
 */
function counted(backend: EtcdBackend): { backend: KvBackend; reads: KvRange[] } {
  const reads: KvRange[] = [];
  const counting: KvBackend = {
    reverseScanReadsWholeRange: backend.reverseScanReadsWholeRange,
    put: (records) => backend.put(records),
    get: (key) => backend.get(key),
    scan: (range) => backend.scan(range),
    scanPages: (range) => {
      reads.push(range);
      return backend.scanPages(range);
    },
    compareAndSet: (key, expected, next) => backend.compareAndSet(key, expected, next),
    deleteRange: (start, end) => backend.deleteRange(start, end),
    watch: (prefix, signal) => backend.watch(prefix, signal),
    health: () => backend.health(),
    close: () => backend.close(),
  };
  return { backend: counting, reads };
}

function sightingsOf(detectorId: DetectorId, count: number, intervalSeconds: number): Sighting[] {
  return Array.from({ length: count }, (_, index) => ({
    detectorId,
    deviceId: `device-${index % 977}`,
    time: BigInt(NEWEST_SECOND - (count - 1 - index) * intervalSeconds) * NANOS_PER_SECOND + 7n,
  }));
}

describe('KvRepository on etcd: newest-first reads in spans', () => {
  const prefix = `spans-${randomUUID()}`;
  const dense = parseDetectorId('dense');
  const sparse = parseDetectorId('sparse');
  const denseSightings = sightingsOf(dense, DENSE_SIGHTINGS, 1);
  const sparseSightings = sightingsOf(sparse, SPARSE_SIGHTINGS, SPARSE_INTERVAL_SECONDS);
  const { backend, reads } = counted(new EtcdBackend({ hosts: etcdEndpoints() }));
  const repository = new KvRepository(backend, {
    prefix,
    eventRetentionSeconds: RETENTION_SECONDS,
    lateAfterSeconds: YEAR_SECONDS,
    clock: () => NOW,
  });

  beforeAll(async () => {
    for (let from = 0; from < denseSightings.length; from += 5000) {
      await repository.events.append(denseSightings.slice(from, from + 5000));
    }
    await repository.events.append(sparseSightings);
  }, 60_000);
  afterAll(async () => {
    await repository.close();
    const client = new Etcd3({ hosts: etcdEndpoints() });
    await client.delete().prefix(`/${prefix}/`);
    client.close();
  });

  /** The sightings of `query` and the backend reads it took. */
  async function read(query: Omit<EventQuery, 'order'>): Promise<{ times: bigint[]; reads: number }> {
    reads.length = 0;
    const times: bigint[] = [];
    for await (const page of repository.events.listPages({ ...query, order: 'newest_first' })) {
      for (const sighting of page) times.push(sighting.time);
    }
    return { times, reads: reads.length };
  }

  const newestTimes = (sightings: readonly Sighting[], count: number) =>
    sightings
      .slice(-count)
      .reverse()
      .map((sighting) => sighting.time);

  it.each([
    // A first span sized for one sighting a second holds the wanted ones: one read, two
    // when the minute of silence before the clock leaves it short.
    [10, 2],
    // A span aims at the wanted ones and a quarter more (at most 7,500): one read, two
    // when the silence before the clock leaves it short.
    [1_000, 2],
    [5_000, 2],
  ])('the newest %i of 20,000 one a second (200 buckets) take at most %i reads', async (limit, most) => {
    const { times, reads: count } = await read({ detectorIds: [dense], limitPerDetector: limit });
    expect(times).toEqual(newestTimes(denseSightings, limit));
    expect(count).toBeLessThanOrEqual(most);
    // Bounded by the answer, never by the buckets it covers (one per 100 sightings here).
    expect(count).toBeLessThanOrEqual(Math.ceil(limit / SPAN_ENTRIES) + 1);
  });

  it('reads the newest of a sparse detector crossing its silences in a few widening spans', async () => {
    const few = await read({ detectorIds: [sparse], limitPerDetector: 10 });
    expect(few.times).toEqual(newestTimes(sparseSightings, 10));
    // Spans of 30 s, 4 min, 32 min (3 sightings), then one sized by that density.
    expect(few.reads).toBeLessThanOrEqual(5);
    // Read again, its first span is sized by how far back the last read reached per sighting.
    const again = await read({ detectorIds: [sparse], limitPerDetector: 10 });
    expect(again.times).toEqual(few.times);
    expect(again.reads).toBe(1);
    const all = await read({ detectorIds: [sparse], limitPerDetector: 5_000 });
    expect(all.times).toEqual(newestTimes(sparseSightings, SPARSE_SIGHTINGS));
    // 7 days of sightings in a span sized by the last read's density, then the rest of
    // the retention (30 days) as one last span.
    expect(all.reads).toBeLessThanOrEqual(3);
    // That read reached the oldest sighting: read again, the rest below it is one span,
    // its 1,008 entries one request.
    const allAgain = await read({ detectorIds: [sparse], limitPerDetector: 5_000 });
    expect(allAgain.times).toEqual(all.times);
    expect(allAgain.reads).toBe(1);
  });

  it('reads a range in the middle of the history from its end, not from the newest sighting', async () => {
    const before = denseSightings[12_000]!.time;
    const after = denseSightings[2_000]!.time;
    const expected = denseSightings
      .slice(2_000, 12_000)
      .slice(-300)
      .reverse()
      .map((sighting) => sighting.time);
    const { times, reads: count } = await read({
      detectorIds: [dense],
      range: { after, before },
      limitPerDetector: 300,
    });
    expect(times).toEqual(expected);
    expect(count).toBeLessThanOrEqual(2);
    // The whole range, 10,000 sightings: spans of up to 7,500, each key read once.
    const whole = await read({ detectorIds: [dense], range: { after, before }, limitPerDetector: 20_000 });
    expect(whole.times).toEqual(denseSightings.slice(2_000, 12_000).reverse().map((s) => s.time));
    expect(whole.reads).toBeLessThanOrEqual(Math.ceil(10_000 / SPAN_ENTRIES) + 3);
  });

  it('crosses a year of silence before the clock in a logarithm of it', async () => {
    const later = new KvRepository(backend, {
      prefix,
      eventRetentionSeconds: RETENTION_SECONDS,
      lateAfterSeconds: 2 * YEAR_SECONDS,
      clock: () => NOW + BigInt(YEAR_SECONDS) * NANOS_PER_SECOND,
    });
    reads.length = 0;
    const times: bigint[] = [];
    for await (const sighting of later.events.list({
      detectorIds: [dense],
      limitPerDetector: 10,
      order: 'newest_first',
    })) {
      times.push(sighting.time);
    }
    expect(times).toEqual(newestTimes(denseSightings, 10));
    // 30 s growing 8-fold per empty span reaches the retention's edge, 11 months back
    // (2.9e7 s), in 7 spans; the sightings lie in the last, everything older than it.
    expect(reads.length).toBeLessThanOrEqual(8);
    expect(reads.every((range) => range.reverse === true && (range.limit ?? 0) <= READ_ENTRIES)).toBe(true);
  });
});

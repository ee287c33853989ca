import { randomUUID } from 'node:crypto';
import { parseDetectorId, parseDetectorStatus, parseRouteName, type Sighting } from '@message-bus/domain';
import { describeRepositoryConformance } from '@message-bus/repository/testing';
import { encodeUlidTime, KvRepository } from '@message-bus/store-kv';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { EtcdBackend } from './etcd-backend';

/** A namespace of its own per test, so tests never see each other's keys. */
const uniquePrefix = () => `conformance-${randomUUID()}`;

async function deleteNamespace(prefix: string): Promise<void> {
  const client = new Etcd3({ hosts: etcdEndpoints() });
  try {
    await client.delete().prefix(`/${prefix}/`);
  } finally {
    client.close();
  }
}

describeRepositoryConformance('KvRepository on etcd: repository conformance', () => {
  const prefix = uniquePrefix();
  return {
    open: async () => new KvRepository(new EtcdBackend({ hosts: etcdEndpoints() }), { prefix }),
    cleanup: () => deleteNamespace(prefix),
  };
});

describe('KvRepository on etcd: the bytes in etcd', () => {
  const TIME = 1563691800139778436n; // 2019-07-21T06:50:00.139778436Z, the original's test value
  const PSEUDONYM = 'AbCdEfGhIjKlMnOpQrStUv';
  const detector = parseDetectorId('det-1');
  /** Long enough that 2019 events are not yet expired. */
  const retention = 100 * 365 * 24 * 60 * 60;
  let raw: Etcd3;
  let prefix: string;
  let repository: KvRepository;
  const malformed: [string, string][] = [];

  beforeAll(() => {
    raw = new Etcd3({ hosts: etcdEndpoints() });
  });
  afterAll(() => raw.close());
  beforeEach(() => {
    prefix = uniquePrefix();
    malformed.length = 0;
    repository = new KvRepository(new EtcdBackend({ hosts: etcdEndpoints() }), {
      prefix,
      eventRetentionSeconds: retention,
      onMalformedRecord: (key, reason) => malformed.push([key, reason]),
    });
  });
  afterEach(async () => {
    await repository.close();
    await deleteNamespace(prefix);
  });

  it('writes an event at exactly the documented key and value, with a lease for its bucket', async () => {
    await repository.events.append([{ detectorId: detector, deviceId: PSEUDONYM, time: TIME }]);
    const stored = await raw.kv.range({
      key: Buffer.from(`/${prefix}/`),
      range_end: Buffer.from(`/${prefix}0`),
    });
    expect(stored.kvs.map((kv) => [kv.key.toString(), kv.value.toString()])).toEqual([
      [
        `/${prefix}/detectors/det-1/1563691800/01DG9MPNJB6KG80KXHK4N8K5ZS.${PSEUDONYM}`,
        // What the original's query/etcd_test.go decodes to 1563691800139778436.
        'eyJUaW1lc3RhbXAiOjE1NjM2OTE4MDAxMzk3Nzg0MzZ9',
      ],
      // A sighting of 2019 is late: its bucket is marked for the travel-time workers, kept as long.
      [`/${prefix}/late/det-1/1563691800`, expect.stringMatching(/^[0-9a-f]{16}$/)],
    ]);
    const [kv, lateMark] = stored.kvs;
    expect(lateMark?.lease).toBe(kv?.lease);
    expect(kv?.lease).not.toBe('0');
    const lease = await raw.leaseClient.leaseTimeToLive({ ID: kv?.lease ?? '0' });
    const expiresAt = 1563691800 + 100 + retention;
    const expectedTtl = expiresAt - Math.floor(Date.now() / 1000);
    expect(Number(lease.grantedTTL)).toBeGreaterThan(expectedTtl - 60);
    expect(Number(lease.grantedTTL)).toBeLessThanOrEqual(expectedTtl + 1);
  });

  it("commits late sightings and their buckets' marks in one txn, and the marks after them when they need more", async () => {
    const sightings = (count: number, device: string) =>
      Array.from({ length: count }, (_, index) => ({
        detectorId: detector,
        deviceId: `${device}${index}`.padEnd(22, 'x'),
        time: TIME + BigInt(index),
      }));
    const revisions = async () => {
      const stored = await raw.kv.range({ key: Buffer.from(`/${prefix}/`), range_end: Buffer.from(`/${prefix}0`) });
      const of = (part: string) => stored.kvs.filter((kv) => kv.key.toString().includes(part)).map((kv) => kv.mod_revision);
      return { events: of('/detectors/'), marks: of('/late/') };
    };
    await repository.events.append(sightings(3, 'one'));
    const together = await revisions();
    expect(together.events).toHaveLength(3);
    expect(together.marks).toHaveLength(1);
    // One revision: the worker sees the mark and every sighting it stands for, or neither.
    expect(new Set([...together.events, ...together.marks]).size).toBe(1);

    // Txns of 2 puts: the 4 sightings take two, the mark a third once both are committed.
    const small = new KvRepository(new EtcdBackend({ hosts: etcdEndpoints(), maxOpsPerTxn: 2 }), {
      prefix,
      eventRetentionSeconds: retention,
    });
    try {
      await small.events.append(sightings(4, 'two'));
    } finally {
      await small.close();
    }
    const apart = await revisions();
    const newEvents = apart.events.filter((revision) => !together.events.includes(revision));
    expect(newEvents).toHaveLength(4);
    const [mark] = apart.marks;
    expect(apart.marks).toHaveLength(1);
    expect(newEvents.every((revision) => BigInt(revision) < BigInt(mark!))).toBe(true);
  });

  it('attaches estimates and status reports to one lease per 10^14-ns window, kept its retention after it', async () => {
    const windowNanos = 10n ** 14n;
    const hourAgo = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n + 123n;
    const windowEndSeconds = Number(((hourAgo / windowNanos + 1n) * windowNanos) / 1_000_000_000n);
    const days = (count: number) => count * 24 * 60 * 60;
    const retaining = new KvRepository(new EtcdBackend({ hosts: etcdEndpoints() }), {
      prefix,
      travelTimeRetentionSeconds: days(20),
      statusRetentionSeconds: days(10),
    });
    try {
      const [source, destination] = [parseDetectorId('s1'), parseDetectorId('d1')];
      const estimate = { source, destination, windowSeconds: 300, validSamples: 0, totalSamples: 0 };
      await retaining.travelTimes.put([
        { ...estimate, intervalEnd: hourAgo, status: 'insufficient_data' },
        { ...estimate, intervalEnd: hourAgo - (hourAgo % windowNanos), status: 'insufficient_data' },
      ]);
      await retaining.detectors.appendStatus(
        parseDetectorStatus({
          detectorId: destination,
          time: hourAgo,
          batteryVoltage: 12,
          activeRadios: [2],
          detectionCounts: {},
        }),
      );
      const leasesUnder = async (root: string) => {
        const stored = await raw.kv.range({ key: Buffer.from(root), range_end: Buffer.from(`${root}\xff`) });
        return stored.kvs.map((kv) => kv.lease);
      };
      const expectLease = async (leases: string[], records: number, retentionSeconds: number) => {
        expect(leases).toHaveLength(records);
        expect(new Set(leases).size).toBe(1);
        const lease = await raw.leaseClient.leaseTimeToLive({ ID: leases[0]! });
        const expectedTtl = windowEndSeconds + retentionSeconds - Math.floor(Date.now() / 1000);
        expect(Number(lease.grantedTTL)).toBeGreaterThan(expectedTtl - 60);
        expect(Number(lease.grantedTTL)).toBeLessThanOrEqual(expectedTtl + 1);
      };
      // The second estimate is at the start of the first one's window.
      await expectLease(await leasesUnder(`/${prefix}/traveltimes/d1/s1/`), 2, days(20));
      await expectLease(await leasesUnder(`/${prefix}/status/d1/`), 1, days(10));
    } finally {
      await retaining.close();
    }
  });

  it('writes a link as the design note shows it', async () => {
    await repository.links.put({
      destination: parseDetectorId('b'),
      source: parseDetectorId('a'),
      maxSeconds: 600,
    });
    expect(await raw.get(`/${prefix}/links/b/a`).string()).toBe('{"max_seconds":"600"}');
  });

  it('writes routes, profiles, alerts and health each under its own top-level segment', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const [a, b] = [parseDetectorId('a'), parseDetectorId('b')];
    await repository.routes.put({ name: parseRouteName('north'), detectorIds: [a, b] });
    await repository.profiles.put({
      target: { kind: 'route', route: parseRouteName('north') },
      computedAt: now,
      weeks: 4,
      binMinutes: 15,
      timeZone: 'UTC',
      bins: [],
    });
    const alert = {
      id: `${encodeUlidTime(Number(now / 1_000_000n))}${'0'.repeat(16)}`,
      kind: 'detector_silent',
      severity: 'warning',
      subject: { kind: 'detector', detectorId: a },
      start: now,
      updated: now,
      evidence: 'silent',
      figures: {},
    } as const;
    await repository.alerts.put([alert]);
    await repository.detectorHealth.put([{ detectorId: a, checkedAt: now, problems: ['detector_silent'] }]);
    const stored = await raw.kv.range({
      key: Buffer.from(`/${prefix}/`),
      range_end: Buffer.from(`/${prefix}0`),
    });
    expect(stored.kvs.map((kv) => kv.key.toString())).toEqual([
      `/${prefix}/alerts/${alert.id}`,
      `/${prefix}/detector-health/a`,
      `/${prefix}/profiles/route/north`,
      `/${prefix}/routes/north`,
    ]);
    expect(await raw.get(`/${prefix}/routes/north`).string()).toBe('{"detector_ids":["a","b"]}');
    // Kept their retention after the put (90 and 14 days by default), rounded up to the hour; health never expires.
    const ttlOf = async (lease: string) =>
      Number((await raw.leaseClient.leaseTimeToLive({ ID: lease })).grantedTTL);
    const [alertKv, healthKv, profileKv, routeKv] = stored.kvs;
    const day = 24 * 60 * 60;
    expect(await ttlOf(alertKv!.lease)).toBeGreaterThanOrEqual(90 * day - 60);
    expect(await ttlOf(alertKv!.lease)).toBeLessThanOrEqual(90 * day + 3600);
    expect(await ttlOf(profileKv!.lease)).toBeGreaterThanOrEqual(14 * day - 60);
    expect(await ttlOf(profileKv!.lease)).toBeLessThanOrEqual(14 * day + 3600);
    expect([healthKv!.lease, routeKv!.lease]).toEqual(['0', '0']);
  });

  it('skips and counts malformed traffic-product records, keeping the good ones', async () => {
    await repository.routes.put({
      name: parseRouteName('good'),
      detectorIds: [detector, parseDetectorId('b')],
    });
    await raw.put(`/${prefix}/routes/bad`).value('{"detector_ids":"a,b"}');
    await raw.put(`/${prefix}/route-times/north/not-a-time`).value('{}');
    await raw.put(`/${prefix}/alerts/not-a-ulid`).value('{}');
    await raw.put(`/${prefix}/detector-health/d1`).value('{"problems":[]}');
    expect(await repository.routes.list()).toHaveLength(1);
    expect(await repository.routeTravelTimes.latest()).toEqual([]);
    expect(await repository.alerts.list()).toEqual([]);
    expect(await repository.detectorHealth.list()).toEqual([]);
    expect(repository.malformedRecordsSkipped).toBe(4);
    expect(malformed.map(([, reason]) => reason)).toEqual([
      "route value's detector_ids is not a list of 2 or more ids",
      'route travel-time key has time "not-a-time", not 19 digits',
      'alert key has an id that is 10 characters long, a ULID has 26',
      "detector health value's checked_at is missing",
    ]);
  });

  it('reads events the original wrote: random ULIDs, device ids with dots, extra members', async () => {
    const base64 = (json: string) => Buffer.from(json).toString('base64');
    const bucket = `/${prefix}/detectors/det-1/1563691800`;
    await raw
      .put(`${bucket}/01DG9MPNJBZZZZZZZZZZZZZZZZ.aa:bb.cc.dd`)
      .value(base64('{"Timestamp":1563691800139778436}'));
    await raw
      .put(`${bucket}/01DG9MPNJBAAAAAAAAAAAAAAAA.mac.2`)
      .value(base64('{"Timestamp":1563691800139000001,"X":1}'));
    const listed: Sighting[] = [];
    for await (const one of repository.events.list({ detectorIds: [detector], order: 'oldest_first' }))
      listed.push(one);
    expect(listed).toEqual([
      { detectorId: detector, deviceId: 'mac.2', time: 1563691800139000001n },
      { detectorId: detector, deviceId: 'aa:bb.cc.dd', time: 1563691800139778436n },
    ]);
    expect(repository.malformedRecordsSkipped).toBe(0);
  });

  it('reads links the original code wrote (base64 of {"MaxSeconds":600})', async () => {
    await raw.put(`/${prefix}/links/b/a`).value(Buffer.from('{"MaxSeconds":600}').toString('base64'));
    expect(await repository.links.list()).toEqual([
      { destination: parseDetectorId('b'), source: parseDetectorId('a'), maxSeconds: 600 },
    ]);
  });

  it('skips and counts malformed records, keeping the good ones around them', async () => {
    await repository.events.append([{ detectorId: detector, deviceId: PSEUDONYM, time: TIME }]);
    const bucket = `/${prefix}/detectors/det-1/1563691800`;
    await raw.put(`${bucket}/not-a-ulid.raw-device`).value('eyJUaW1lc3RhbXAiOjF9');
    await raw.put(`${bucket}/01DG9MPNJBAAAAAAAAAAAAAAAA.raw-device`).value('not base64!');
    await raw
      .put(`${bucket}/01DG9MPNJBAAAAAAAAAAAAAAAB.raw-device`)
      .value(Buffer.from('{"Timestamp":1}').toString('base64'));
    await raw.put(`/${prefix}/links/b/a`).value('{"max_seconds":"forever"}');
    await raw.put(`/${prefix}/links/b/a/extra`).value('{"max_seconds":"60"}');

    const listed: Sighting[] = [];
    for await (const one of repository.events.list({ detectorIds: [detector] })) listed.push(one);
    expect(listed).toEqual([{ detectorId: detector, deviceId: PSEUDONYM, time: TIME }]);
    expect(await repository.links.list()).toEqual([]);
    expect(repository.malformedRecordsSkipped).toBe(5);
    expect(malformed.map(([, reason]) => reason)).toEqual([
      // Newest first: keys in descending order.
      'event key has a last segment whose ULID is 21 characters long, a ULID has 26',
      "event time 1 lies outside the key's bucket 1563691800",
      'event value is not standard padded base64',
      'link value\'s max_seconds "forever" is not a whole number of seconds in 1..86400',
      `link key has 3 segments after /${prefix}/links/, expected 2`,
    ]);
    // Event keys reach the handler without their device part.
    expect(malformed.map(([key]) => key).filter((key) => key.includes('raw-device'))).toEqual([]);
  });
});

describe('KvRepository on etcd: following sightings written again', () => {
  it('follows a sighting once, however often it is written (a detector resending what failed)', async () => {
    const prefix = uniquePrefix();
    const repository = new KvRepository(new EtcdBackend({ hosts: etcdEndpoints() }), { prefix });
    try {
      const detector = parseDetectorId('resending-det');
      const now = BigInt(Date.now()) * 1_000_000n;
      const sighting = (device: string, offsetSeconds: bigint): Sighting => ({
        detectorId: detector,
        deviceId: device as Sighting['deviceId'],
        time: now + offsetSeconds * 1_000_000_000n,
      });
      const controller = new AbortController();
      const followed = repository.events.follow([detector], controller.signal)[Symbol.asyncIterator]();
      await repository.events.append([
        sighting('AAAAAAAAAAAAAAAAAAAAAA', 1n),
        sighting('BBBBBBBBBBBBBBBBBBBBBB', 2n),
      ]);
      await repository.events.append([sighting('AAAAAAAAAAAAAAAAAAAAAA', 1n)]);
      await repository.events.append([sighting('CCCCCCCCCCCCCCCCCCCCCC', 3n)]);
      const devices = [];
      for (let read = 0; read < 3; read++) devices.push((await followed.next()).value?.deviceId);
      expect(devices).toEqual(['AAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBB', 'CCCCCCCCCCCCCCCCCCCCCC']);
      controller.abort();
    } finally {
      await repository.close();
      await deleteNamespace(prefix);
    }
  });
});

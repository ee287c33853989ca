import { distanceMeters, type TravelTimeEstimate } from '@message-bus/domain';
import type { Repository } from '@message-bus/repository';
import { ServerMetrics } from '@message-bus/server-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  capturingLogger,
  countingPuts,
  d1,
  d2,
  d3,
  duplicates,
  expectedKeys,
  HOUR,
  intervalKeys,
  LINKS,
  millisOf,
  MINUTE,
  openCorridor,
  RFC3339_NANOS,
  SECONDS,
  silentLogger,
  T0,
  travelTimesOnly,
  vehicleSightings,
  type Corridor,
  type CountedPuts,
} from '../test/corridor';
import { InProcessWorkLeases } from './in-process-work-leases';
import { TravelTimeWorker } from './travel-time-worker';
import type { TravelTimeWorkerOptions } from './travel-time-worker-options';

const LAG = 30n * SECONDS;

let corridor: Corridor;
let puts: CountedPuts;
let leases: InProcessWorkLeases;

beforeEach(async () => {
  corridor = await openCorridor();
  puts = { estimates: [] };
  leases = new InProcessWorkLeases();
});
afterEach(async () => {
  await leases.close();
  await corridor.close();
});

function worker(overrides: Partial<TravelTimeWorkerOptions> = {}): TravelTimeWorker {
  return new TravelTimeWorker({
    repository: countingPuts(corridor.repository, puts),
    leases,
    logger: silentLogger,
    intervalSeconds: 60,
    lagSeconds: 30,
    leaseTtlSeconds: 3,
    ...overrides,
  });
}

/** The options `worker()` uses, for a worker built by hand. */
function resolvedOptions(workerId: string): TravelTimeWorkerOptions {
  return { repository: corridor.repository, leases, logger: silentLogger, workerId, leaseTtlSeconds: 3 };
}

/** `repository` whose estimate puts call `afterPut` once each has landed. */
function afterEachPut(repository: Repository, afterPut: () => void): Repository {
  return {
    ...repository,
    travelTimes: {
      ...repository.travelTimes,
      put: async (estimates) => {
        await repository.travelTimes.put(estimates);
        afterPut();
      },
    },
  };
}

/** Every link's aligned interval ends from its first sighting's interval through `last`. */
function everyIntervalThrough(last: bigint, from = { d2: T0 + 3n * MINUTE, d3: T0 + 4n * MINUTE }): string[] {
  return expectedKeys([
    { source: d1, destination: d2, first: from.d2, last },
    { source: d1, destination: d3, first: from.d3, last },
    { source: d2, destination: d3, first: from.d3, last },
  ]);
}

describe('TravelTimeWorker', () => {
  it('writes one estimate per link for every aligned interval, from the first sightings through now − lag', async () => {
    const report = await worker().runOnce(T0 + HOUR + LAG + 17n * SECONDS);

    expect(report).toEqual({
      lastDue: T0 + HOUR,
      held: [d2, d3],
      written: 58 + 57 + 57,
      recomputed: 0,
      backlog: false,
    });
    expect(intervalKeys(puts.estimates).sort()).toEqual(everyIntervalThrough(T0 + HOUR));

    const newest = await corridor.repository.travelTimes.latest();
    const d1ToD2 = newest.find((estimate) => estimate.destination === d2);
    const metres = distanceMeters(
      { latitude: 5_220_000, longitude: 2_100_000 },
      { latitude: 5_221_000, longitude: 2_100_000 },
    );
    expect(d1ToD2).toEqual<TravelTimeEstimate>({
      source: d1,
      destination: d2,
      intervalEnd: T0 + HOUR,
      windowSeconds: 900,
      medianSeconds: 120,
      p15Seconds: 120,
      p85Seconds: 120,
      meanSeconds: 120,
      validSamples: 30,
      totalSamples: 30,
      speedKmh: (metres / 120) * 3.6,
      status: 'ok',
    });
    // d3 has no coordinates: no speed on the links into it.
    const d1ToD3 = newest.find((estimate) => estimate.destination === d3 && estimate.source === d1);
    expect(d1ToD3).toMatchObject({ medianSeconds: 210, validSamples: 30, status: 'ok' });
    expect(d1ToD3?.speedKmh).toBeUndefined();
  });

  it('never computes an interval again, and writes each new one once it is due', async () => {
    const busy = worker();
    await busy.runOnce(T0 + HOUR + LAG);
    const before = puts.estimates.length;

    expect((await busy.runOnce(T0 + HOUR + LAG + 59n * SECONDS)).written).toBe(0);
    expect((await busy.runOnce(T0 + HOUR + MINUTE + LAG)).written).toBe(3);
    expect(intervalKeys(puts.estimates.slice(before)).sort()).toEqual([
      `d1->d2@${T0 + HOUR + MINUTE}`,
      `d1->d3@${T0 + HOUR + MINUTE}`,
      `d2->d3@${T0 + HOUR + MINUTE}`,
    ]);
    // After a restart, a fresh worker reads where the store left off.
    await busy.stop();
    const restarted = await worker().runOnce(T0 + HOUR + MINUTE + LAG);
    expect(restarted).toMatchObject({ held: [d2, d3], written: 0 });
  });

  it('fills the intervals missed while no worker ran, and logs how far it got as an RFC 3339 time', async () => {
    const first = worker();
    await first.runOnce(T0 + 30n * MINUTE + LAG);
    await first.stop();
    const afterFirst = puts.estimates.length;

    const { logger, lines } = capturingLogger();
    const second = worker({ logger });
    await second.runOnce(T0 + 40n * MINUTE + LAG);
    await second.stop();
    expect(intervalKeys(puts.estimates.slice(afterFirst)).sort()).toEqual(
      everyIntervalThrough(T0 + 40n * MINUTE, { d2: T0 + 31n * MINUTE, d3: T0 + 31n * MINUTE }),
    );
    const caughtUp = lines.filter((line) => line['msg'] === 'caught up on missed intervals');
    expect(caughtUp.map((line) => [line['destination'], line['estimates']])).toEqual([
      ['d2', 10],
      ['d3', 20],
    ]);
    for (const line of caughtUp) {
      expect(line['through']).toMatch(RFC3339_NANOS);
      expect(Date.parse(String(line['through']))).toBe(millisOf(T0 + 40n * MINUTE));
    }
  });

  it('after a long outage writes the newest hour first, then the backlog, each interval once', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const first = worker();
    await first.runOnce(T0 + 5n * MINUTE + LAG);
    await first.stop();
    const afterFirst = puts.estimates.length;

    const { logger, lines } = capturingLogger();
    const report = await worker({ metrics, logger }).runOnce(T0 + 2n * HOUR + LAG);

    const written = intervalKeys(puts.estimates.slice(afterFirst));
    expect(duplicates(written)).toEqual([]);
    expect(written.sort()).toEqual(
      everyIntervalThrough(T0 + 2n * HOUR, { d2: T0 + 6n * MINUTE, d3: T0 + 6n * MINUTE }),
    );
    // Live first: the newest 60 intervals of each link, then the 55 before them.
    const firstRecomputed = puts.estimates.slice(afterFirst)[3 * 60];
    expect(firstRecomputed?.intervalEnd).toBe(T0 + 6n * MINUTE);
    expect(report).toMatchObject({ written: written.length, recomputed: 3 * 55, backlog: false });
    const scrape = await metrics.scrape();
    expect(scrape).toContain('message_bus_travel_time_intervals_recomputed_total{origin="backlog"} 165');
    expect(scrape).toContain('message_bus_travel_time_backlog_seconds 0');
    expect(scrape).toContain('message_bus_travel_time_intervals_skipped_total 0');
    expect(await corridor.repository.recompute.pending()).toEqual([]);
    // The backlog ranges, logged with their ends as RFC 3339 times: T0 + 6 min up to the live hour.
    const ranges = lines.filter((line) => line['msg'] === 'recomputed a range of intervals');
    expect(ranges.length).toBeGreaterThan(0);
    for (const line of ranges) {
      expect([line['origin'], line['from'], line['to']]).toEqual([
        'backlog',
        expect.stringMatching(RFC3339_NANOS),
        expect.stringMatching(RFC3339_NANOS),
      ]);
    }
    expect(Math.min(...ranges.map((line) => Date.parse(String(line['from']))))).toBe(millisOf(T0 + 6n * MINUTE));
  });

  it('leaves intervals whose sightings are past the retention as they were, and counts them', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    // Retention 100 min at T0 + 2 h: sightings from T0 + 20.5 min on are kept. The estimate
    // ending at T reads back 57 min (d1→d2) or 62 min (into d3), so nothing before T0 + 78
    // min can be recomputed: the links' backlog (from the first sightings kept, T0 + 21 min,
    // up to the live hour) is left as it was.
    await worker({ metrics, sightingRetentionSeconds: 6000 }).runOnce(T0 + 2n * HOUR + LAG);

    expect(intervalKeys(puts.estimates).sort()).toEqual(
      everyIntervalThrough(T0 + 2n * HOUR, { d2: T0 + 61n * MINUTE, d3: T0 + 61n * MINUTE }),
    );
    // T0 + 21 min to T0 + 60 min on three links.
    expect(await metrics.scrape()).toContain('message_bus_travel_time_intervals_skipped_total 120');
    expect(await corridor.repository.recompute.pending()).toEqual([]);
  });

  it('recomputes what late sightings feed, equal to the estimates of the same sightings stored live', async () => {
    const live = await openCorridor();
    try {
      const reference = new TravelTimeWorker({
        repository: live.repository,
        leases: new InProcessWorkLeases(),
        logger: silentLogger,
      });
      await reference.runOnce(T0 + HOUR + LAG);
      await reference.stop();

      // Here d1's sightings of minutes 20 to 29 arrive after the worker estimated the hour.
      const late = vehicleSightings(T0 + 20n * MINUTE, T0 + 30n * MINUTE).filter(
        (sighting) => sighting.detectorId === d1,
      );
      const lateKeys = new Set(late.map((sighting) => `${sighting.deviceId}@${sighting.time}`));
      await corridor.close();
      corridor = await openCorridor(1n, (sighting) => lateKeys.has(`${sighting.deviceId}@${sighting.time}`));
      const running = worker();
      await running.runOnce(T0 + HOUR + LAG);
      corridor.storeClock.now = T0 + HOUR + LAG + 5n * SECONDS;
      await corridor.repository.events.append(late);
      const before = puts.estimates.length;
      const report = await running.runOnce(T0 + HOUR + LAG + 10n * SECONDS);

      const recomputed = intervalKeys(puts.estimates.slice(before));
      expect(duplicates(recomputed)).toEqual([]);
      // Ends after 20 min whose lookback reaches back to 30 min: every one through the hour.
      expect(recomputed.sort()).toEqual(
        expectedKeys([
          { source: d1, destination: d2, first: T0 + 21n * MINUTE, last: T0 + HOUR },
          { source: d1, destination: d3, first: T0 + 21n * MINUTE, last: T0 + HOUR },
        ]),
      );
      expect(report).toMatchObject({ recomputed: recomputed.length, backlog: false });
      const links = LINKS.map(({ source, destination }) => ({ source, destination }));
      // The same travel times; congestion figures depend on the profile at the time of writing.
      expect(travelTimesOnly(await corridor.repository.travelTimes.list({ links }))).toEqual(
        travelTimesOnly(await live.repository.travelTimes.list({ links })),
      );
      expect(await corridor.repository.recompute.lateSightings(10)).toEqual([]);
      expect(await corridor.repository.recompute.pending()).toEqual([]);
    } finally {
      await live.close();
    }
  });

  it('continues the ranges of a worker that died mid-recompute, losing nothing', async () => {
    const live = await openCorridor();
    try {
      const reference = new TravelTimeWorker({ repository: live.repository, leases, logger: silentLogger });
      await reference.runOnce(T0 + HOUR + LAG);
      await reference.stop();

      // The whole hour arrives late, after both links into d3 were estimated without it.
      await corridor.close();
      corridor = await openCorridor(1n, () => true);
      const firstLeases = new InProcessWorkLeases();
      // Once armed, it dies after 40 more intervals written: its claims go, its ranges half done.
      let putsBeforeDeath = Infinity;
      const first = new TravelTimeWorker({
        ...resolvedOptions('first'),
        repository: afterEachPut(countingPuts(corridor.repository, puts), () => {
          if (--putsBeforeDeath === 0) void firstLeases.close();
        }),
        leases: firstLeases,
      });
      await first.runOnce(T0 + HOUR + LAG);
      corridor.storeClock.now = T0 + HOUR + LAG + 5n * SECONDS;
      await corridor.repository.events.append(vehicleSightings(T0, T0 + HOUR));
      putsBeforeDeath = 40;
      await first.runOnce(T0 + HOUR + LAG + 10n * SECONDS);
      expect(first.heldDestinations()).toEqual([]);
      expect(await corridor.repository.recompute.pending()).not.toEqual([]);

      const survivor = worker({ workerId: 'survivor' });
      const report = await survivor.runOnce(T0 + HOUR + LAG + 20n * SECONDS);

      expect(report).toMatchObject({ held: [d2, d3], backlog: false });
      expect(await corridor.repository.recompute.pending()).toEqual([]);
      const links = LINKS.map(({ source, destination }) => ({ source, destination }));
      const expected = await live.repository.travelTimes.list({ links });
      const recovered = await corridor.repository.travelTimes.list({ links });
      const liveKeys = new Set(intervalKeys(expected));
      expect(recovered.filter((estimate) => liveKeys.has(intervalKeys([estimate])[0]!))).toEqual(expected);
      // Before the destinations' first sightings, ranges of the late sources add empty intervals.
      const extra = recovered.filter((estimate) => !liveKeys.has(intervalKeys([estimate])[0]!));
      expect(extra.map((estimate) => estimate.status)).toEqual(extra.map(() => 'no_samples'));
      expect(extra.every((estimate) => estimate.intervalEnd < T0 + 4n * MINUTE)).toBe(true);
    } finally {
      await live.close();
    }
  });

  it('recomputes a requested range, and a link created since is estimated in the next round', async () => {
    const running = worker();
    await running.runOnce(T0 + HOUR + LAG);
    await corridor.repository.recompute.add([
      {
        destination: d3,
        sources: [d2],
        from: T0 + 10n * MINUTE,
        to: T0 + 15n * MINUTE,
        origin: 'request',
        id: 'r1',
      },
    ]);
    await corridor.repository.links.put({ destination: d2, source: d3, maxSeconds: 600 });
    const before = puts.estimates.length;

    await running.runOnce(T0 + HOUR + LAG + 2n * SECONDS);

    // The new link from its destination's first sighting on; the request's five intervals.
    expect(intervalKeys(puts.estimates.slice(before)).sort()).toEqual(
      expectedKeys([
        { source: d3, destination: d2, first: T0 + 3n * MINUTE, last: T0 + HOUR },
        { source: d2, destination: d3, first: T0 + 10n * MINUTE, last: T0 + 14n * MINUTE },
      ]),
    );
    expect(await corridor.repository.recompute.pending()).toEqual([]);
  });

  it('lets two workers sharing in-process leases split the destinations and write every interval exactly once', async () => {
    const a = worker({ workerId: 'a' });
    const b = worker({ workerId: 'b' });
    for (let minute = 20n; minute <= 30n; minute++) {
      const now = T0 + minute * MINUTE + LAG;
      await Promise.all([a.runOnce(now), b.runOnce(now)]);
    }
    // The first to start took both; once it saw the second worker it handed one over.
    expect([...a.heldDestinations(), ...b.heldDestinations()].sort()).toEqual([d2, d3]);
    expect([a.heldDestinations().length, b.heldDestinations().length]).toEqual([1, 1]);

    // Both let go; the other continues from the last interval written.
    await a.stop();
    await b.stop();
    const c = worker({ workerId: 'c' });
    for (let minute = 31n; minute <= 35n; minute++) await c.runOnce(T0 + minute * MINUTE + LAG);

    const keys = intervalKeys(puts.estimates);
    expect(duplicates(keys)).toEqual([]);
    expect(keys.sort()).toEqual(everyIntervalThrough(T0 + 35n * MINUTE));
  });

  it('stops writing as soon as its claim is lost', async () => {
    let putsBeforeLoss = 3;
    const repository = countingPuts(corridor.repository, puts);
    const losing = new TravelTimeWorker({
      repository: {
        ...repository,
        travelTimes: {
          ...repository.travelTimes,
          put: async (estimates) => {
            await repository.travelTimes.put(estimates);
            if (--putsBeforeLoss === 0) await leases.close();
          },
        },
      },
      leases,
      logger: silentLogger,
      leaseTtlSeconds: 3,
    });

    const report = await losing.runOnce(T0 + HOUR + LAG);
    // d2 holds one link: its 3 intervals, then nothing more for any destination.
    expect(intervalKeys(puts.estimates)).toEqual([
      `d1->d2@${T0 + 3n * MINUTE}`,
      `d1->d2@${T0 + 4n * MINUTE}`,
      `d1->d2@${T0 + 5n * MINUTE}`,
    ]);
    expect(report.held).toEqual([]);
  });

  it('runs on its own every interval until stopped, then releases its destinations', async () => {
    const now = () => BigInt(Date.now()) * 1_000_000n;
    const start = now();
    await corridor.repository.events.append(vehicleSightings(start - 20n * MINUTE, start + MINUTE));
    const running = worker({ intervalSeconds: 1, lagSeconds: 0, clock: now });
    running.start();
    await vi.waitFor(
      () => {
        const ends = new Set(puts.estimates.filter((e) => e.intervalEnd > start).map((e) => e.intervalEnd));
        expect(ends.size).toBeGreaterThanOrEqual(2);
      },
      { timeout: 10_000, interval: 100 },
    );
    await running.stop();

    expect(running.heldDestinations()).toEqual([]);
    expect(duplicates(intervalKeys(puts.estimates))).toEqual([]);
    const released = await Promise.all([
      leases.tryAcquire('traveltime/d2', 3),
      leases.tryAcquire('traveltime/d3', 3),
    ]);
    expect(released.map((lease) => lease?.name)).toEqual(['traveltime/d2', 'traveltime/d3']);
  });

  it('refuses options that cannot work, naming them', () => {
    expect(() => worker({ intervalSeconds: 0.5 })).toThrow(
      new RangeError('TravelTimeWorkerOptions.intervalSeconds must be a whole number ≥ 1, got 0.5'),
    );
    expect(() => worker({ leaseTtlSeconds: 2 })).toThrow(
      new RangeError('TravelTimeWorkerOptions.leaseTtlSeconds must be a whole number ≥ 3, got 2'),
    );
    expect(() => worker({ estimatorConfig: { windowSeconds: -1 } })).toThrow('windowSeconds');
  });
});

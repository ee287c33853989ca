import { distanceMeters, type TravelTimeEstimate } from '@message-bus/domain';
import { ServerMetrics } from '@message-bus/server-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  countingPuts,
  d1,
  d2,
  d3,
  duplicates,
  expectedKeys,
  HOUR,
  intervalKeys,
  MINUTE,
  openCorridor,
  SECONDS,
  silentLogger,
  T0,
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

    expect(report).toEqual({ lastDue: T0 + HOUR, held: [d2, d3], written: 58 + 57 + 57 });
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

  it('fills the intervals missed while no worker ran, at most maxCatchUpIntervals of them', async () => {
    const first = worker();
    await first.runOnce(T0 + 30n * MINUTE + LAG);
    await first.stop();
    const afterFirst = puts.estimates.length;

    const second = worker();
    await second.runOnce(T0 + 40n * MINUTE + LAG);
    await second.stop();
    expect(intervalKeys(puts.estimates.slice(afterFirst)).sort()).toEqual(
      everyIntervalThrough(T0 + 40n * MINUTE, { d2: T0 + 31n * MINUTE, d3: T0 + 31n * MINUTE }),
    );

    const metrics = new ServerMetrics({ processMetrics: false });
    const afterSecond = puts.estimates.length;
    await worker({ maxCatchUpIntervals: 3, metrics }).runOnce(T0 + 50n * MINUTE + LAG);
    expect(intervalKeys(puts.estimates.slice(afterSecond)).sort()).toEqual(
      everyIntervalThrough(T0 + 50n * MINUTE, { d2: T0 + 48n * MINUTE, d3: T0 + 48n * MINUTE }),
    );
    const scrape = await metrics.scrape();
    expect(scrape).toContain('travel_time_intervals_skipped_total 21'); // 41..47 on three links
    expect(scrape).toContain('travel_time_estimates_written_total{status="ok"} 9');
    expect(scrape).toContain('travel_time_destinations_held 2');
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
    // A short catch-up bound: the corridor's traffic of two hours ago is not the point here.
    const running = worker({ intervalSeconds: 1, lagSeconds: 0, clock: now, maxCatchUpIntervals: 5 });
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

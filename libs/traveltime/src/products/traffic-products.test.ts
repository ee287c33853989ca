import {
  parseRoute,
  type TravelTimeEstimate,
  type TypicalBin,
  type TypicalProfile,
} from '@message-bus/domain';
import { ServerMetrics } from '@message-bus/server-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  d1,
  d2,
  d3,
  HOUR,
  MINUTE,
  openCorridor,
  SECONDS,
  silentLogger,
  T0,
  travelTimesOnly,
  type Corridor,
} from '../../test/corridor';
import { InProcessWorkLeases } from '../in-process-work-leases';
import { TravelTimeWorker } from '../travel-time-worker';
import type { TravelTimeWorkerOptions } from '../travel-time-worker-options';

const LAG = 30n * SECONDS;
const ROUTE = parseRoute({ name: 'through', detectorIds: ['d1', 'd2', 'd3'] });
const D1_TO_D2 = { kind: 'link', source: d1, destination: d2 } as const;

let corridor: Corridor;
let leases: InProcessWorkLeases;

beforeEach(async () => {
  corridor = await openCorridor();
  leases = new InProcessWorkLeases();
  await corridor.repository.routes.put(ROUTE);
});
afterEach(async () => {
  await leases.close();
  await corridor.close();
});

function worker(overrides: Partial<TravelTimeWorkerOptions> = {}): TravelTimeWorker {
  return new TravelTimeWorker({
    repository: corridor.repository,
    leases,
    logger: silentLogger,
    leaseTtlSeconds: 3,
    ...overrides,
  });
}

async function routeEstimates(): Promise<TravelTimeEstimate[]> {
  return corridor.repository.routeTravelTimes.list({ routes: [ROUTE.name] });
}

/** Every 15-minute bin of the week at `medianSeconds`. */
function flatProfile(medianSeconds: number, computedAt: bigint): TypicalProfile {
  const bins: TypicalBin[] = [];
  for (let dayOfWeek = 1; dayOfWeek <= 7; dayOfWeek++) {
    for (let minuteOfDay = 0; minuteOfDay < 1440; minuteOfDay += 15) {
      bins.push({
        dayOfWeek,
        minuteOfDay,
        medianSeconds,
        p15Seconds: medianSeconds,
        p85Seconds: medianSeconds,
        samples: 4,
      });
    }
  }
  return {
    target: D1_TO_D2,
    computedAt,
    weeks: 4,
    binMinutes: 15,
    timeZone: 'UTC',
    freeFlowSeconds: 100,
    bins,
  };
}

/**
 * Minute estimates of d1 → d2 (120 s) and the route (210 s) ending T0 − 25 h … T0: more
 * than the day of history a profile needs, ending where the worker's live hour starts.
 */
async function storeHistory(): Promise<void> {
  const ends = Array.from({ length: 25 * 60 + 1 }, (_, index) => T0 - BigInt(index) * MINUTE);
  const base = { windowSeconds: 900, validSamples: 10, totalSamples: 10, status: 'ok' } as const;
  await corridor.repository.travelTimes.put(
    ends.map((intervalEnd) => ({ ...base, source: d1, destination: d2, intervalEnd, medianSeconds: 120 })),
  );
  await corridor.repository.routeTravelTimes.put(
    ends.map((intervalEnd) => ({
      ...base,
      source: d1,
      destination: d3,
      intervalEnd,
      medianSeconds: 210,
      route: ROUTE.name,
      routeMethod: 'sum_of_links' as const,
    })),
  );
}

describe('traffic products of the travel-time worker', () => {
  it('writes a route’s intervals end to end where enough devices cross it, else as the sum of its links', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    await worker({ metrics }).runOnce(T0 + HOUR + LAG);

    const estimates = await routeEstimates();
    // The newest hour live: ends T0 + 1 min … T0 + 60 min.
    expect(estimates.map((estimate) => estimate.intervalEnd)).toEqual(
      Array.from({ length: 60 }, (_, index) => T0 + BigInt(index + 1) * MINUTE),
    );
    // Every device crosses the whole route: end to end it is the d1 → d3 link's estimate.
    const [d1ToD3] = await corridor.repository.travelTimes.list({
      links: [{ source: d1, destination: d3 }],
      range: { after: T0 + HOUR, before: T0 + HOUR + 1n },
    });
    expect(travelTimesOnly([estimates.at(-1)!])).toEqual([
      { ...travelTimesOnly([d1ToD3!])[0], route: ROUTE.name, routeMethod: 'matched' },
    ]);
    expect(estimates.at(-1)).toMatchObject({ medianSeconds: 210, validSamples: 30, status: 'ok' });

    // While the first devices arrive, too few cross end to end: the links are summed.
    const summed = estimates.filter((estimate) => estimate.routeMethod === 'sum_of_links');
    const firstWithMedian = summed.find((estimate) => estimate.medianSeconds !== undefined)!;
    const links = await corridor.repository.travelTimes.list({
      links: [
        { source: d1, destination: d2 },
        { source: d2, destination: d3 },
      ],
      range: { after: firstWithMedian.intervalEnd, before: firstWithMedian.intervalEnd + 1n },
    });
    expect(firstWithMedian).toMatchObject({
      source: d1,
      destination: d3,
      intervalEnd: T0 + 4n * MINUTE,
      medianSeconds: links[0]!.medianSeconds! + links[1]!.medianSeconds!,
      status: 'insufficient_data',
    });
    const matched = estimates.length - summed.length;
    const scrape = await metrics.scrape();
    expect(scrape).toContain(`message_bus_travel_time_route_estimates_written_total{method="matched"} ${matched}`);
    expect(scrape).toContain(
      `message_bus_travel_time_route_estimates_written_total{method="sum_of_links"} ${summed.length}`,
    );
  });

  it('writes a route again over the interval ends recomputed for its last detector', async () => {
    const running = worker();
    await running.runOnce(T0 + HOUR + LAG);
    const put: bigint[] = [];
    const routeTravelTimes = corridor.repository.routeTravelTimes;
    const recording = worker({
      repository: {
        ...corridor.repository,
        routeTravelTimes: {
          ...routeTravelTimes,
          put: async (estimates) => {
            put.push(...estimates.map((estimate) => estimate.intervalEnd));
            await routeTravelTimes.put(estimates);
          },
        },
      },
    });
    await running.stop();
    await corridor.repository.recompute.add([
      { destination: d3, from: T0 + 10n * MINUTE, to: T0 + 15n * MINUTE, origin: 'request', id: 'r1' },
    ]);

    await recording.runOnce(T0 + HOUR + LAG + 2n * SECONDS);

    expect(put).toEqual([10n, 11n, 12n, 13n, 14n].map((minute) => T0 + minute * MINUTE));
    expect(await routeEstimates()).toHaveLength(60);
  });

  it('stores no profile from less than a day of estimates, so estimates get no figures', async () => {
    await worker().runOnce(T0 + HOUR + LAG);

    expect(await corridor.repository.profiles.get(D1_TO_D2)).toBeUndefined();
    expect(await corridor.repository.profiles.get({ kind: 'route', route: ROUTE.name })).toBeUndefined();
    const [linkEstimate] = await corridor.repository.travelTimes.latest([{ source: d1, destination: d2 }]);
    expect(linkEstimate).toMatchObject({ medianSeconds: 120, status: 'ok' });
    expect(linkEstimate!.typicalSeconds).toBeUndefined();
  });

  it('stores the profiles of held links and routes, and gives later estimates their congestion figures', async () => {
    await storeHistory();
    const running = worker();
    const firstRound = T0 + HOUR + LAG;
    await running.runOnce(firstRound);

    const linkProfile = await corridor.repository.profiles.get(D1_TO_D2);
    expect(linkProfile).toMatchObject({
      target: D1_TO_D2,
      computedAt: firstRound,
      weeks: 4,
      binMinutes: 15,
      timeZone: 'UTC',
      freeFlowSeconds: 120,
    });
    // Bins of the day of history and the hour of traffic at 120 s each.
    expect(linkProfile!.bins.map((bin) => bin.medianSeconds)).toEqual(linkProfile!.bins.map(() => 120));
    expect(linkProfile!.bins.length).toBeGreaterThanOrEqual(96);
    const routeProfile = await corridor.repository.profiles.get({ kind: 'route', route: ROUTE.name });
    expect(routeProfile).toMatchObject({ computedAt: firstRound, freeFlowSeconds: 210 });

    await running.runOnce(firstRound + MINUTE);

    const [linkEstimate] = await corridor.repository.travelTimes.latest([{ source: d1, destination: d2 }]);
    expect(linkEstimate).toMatchObject({
      intervalEnd: T0 + HOUR + MINUTE,
      medianSeconds: 120,
      typicalSeconds: 120,
      freeFlowSeconds: 120,
      ratioToTypical: 1,
      ratioToFreeFlow: 1,
      level: 'free',
    });
    const [routeEstimate] = await corridor.repository.routeTravelTimes.latest([ROUTE.name]);
    expect(routeEstimate).toMatchObject({
      intervalEnd: T0 + HOUR + MINUTE,
      routeMethod: 'matched',
      typicalSeconds: 210,
      ratioToTypical: 1,
      level: 'free',
    });
    // Not computed again within the hour a profile of less than a week of history is kept…
    expect((await corridor.repository.profiles.get(D1_TO_D2))?.computedAt).toBe(firstRound);
    // …but after it, well within profile_refresh (6 h).
    await running.runOnce(firstRound + HOUR);
    expect((await corridor.repository.profiles.get(D1_TO_D2))?.computedAt).toBe(firstRound + HOUR);
  });

  it('rates estimates against a stored profile with the configured thresholds, and computes it again once due', async () => {
    const now = T0 + HOUR + LAG;
    await storeHistory();
    await corridor.repository.profiles.put(flatProfile(60, now - 30n * MINUTE));

    const first = worker({ congestionThresholds: { severe: 2.5 }, profileRefreshSeconds: 3600 });
    await first.runOnce(now);

    const [newest] = await corridor.repository.travelTimes.latest([{ source: d1, destination: d2 }]);
    expect(newest).toMatchObject({
      medianSeconds: 120,
      typicalSeconds: 60,
      freeFlowSeconds: 100,
      ratioToTypical: 2,
      ratioToFreeFlow: 1.2,
      level: 'heavy',
    });
    // Computed 30 min ago: not yet due. An hour later it is, from the estimates stored.
    expect((await corridor.repository.profiles.get(D1_TO_D2))?.computedAt).toBe(now - 30n * MINUTE);
    await first.stop();
    await worker({ profileRefreshSeconds: 1800 }).runOnce(now + 2n * SECONDS);
    expect(await corridor.repository.profiles.get(D1_TO_D2)).toMatchObject({
      computedAt: now + 2n * SECONDS,
      freeFlowSeconds: 120,
    });
  });

  it('refuses profile and congestion options that cannot work, naming them', () => {
    expect(() => worker({ profileWeeks: 0 })).toThrow(
      new RangeError('TravelTimeWorkerOptions.profileWeeks must be a whole number ≥ 1, got 0'),
    );
    expect(() => worker({ profileTimeZone: 'Nowhere/City' })).toThrow(
      'TravelTimeWorkerOptions.profileTimeZone',
    );
    expect(() => worker({ congestionThresholds: { moderate: 1.7 } })).toThrow(
      'heavy: is 1.6; it must be greater than moderate (1.7)',
    );
  });
});

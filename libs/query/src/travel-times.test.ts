import { status } from '@grpc/grpc-js';
import { parseDetectorLink, type DetectorId, type TravelTimeEstimate } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allLinks,
  BASE_TIME,
  detector,
  estimate,
  estimateOnWire,
  expectStatus,
  intoDestination,
  oneLink,
  queryCalls,
  startQueryServer,
  withLimitedServer,
  storeCases,
  timestamp,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';

const MINUTE = 60_000_000_000n;
const minute = (n: number) => BASE_TIME + BigInt(n) * MINUTE;
const onWire = (estimates: readonly TravelTimeEstimate[]) => estimates.map(estimateOnWire);

describe.each(storeCases)('GetTravelTimes and GetLatestTravelTimes over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;

  /**
   * The only listed links of this store: d1 ← s1, d1 ← s2, d2 ← s1, and d2 ← s3, which
   * has no estimate. Every other test reads links it never lists, so `all` and
   * destination selections see exactly these.
   */
  const [d1, d2, s1, s2, s3] = ['d1', 'd2', 's1', 's2', 's3'].map(detector) as [
    DetectorId,
    DetectorId,
    DetectorId,
    DetectorId,
    DetectorId,
  ];
  const network = {
    d1s1: [estimate(s1, d1, minute(1)), estimate(s1, d1, minute(2), { medianSeconds: 130 })],
    d1s2: [estimate(s2, d1, minute(1), { medianSeconds: 200 })],
    d2s1: [estimate(s1, d2, minute(3), { status: 'stale' })],
  };
  /** Estimates into d1 from a source with no link record: readable only by naming the link. */
  const unlisted = [estimate(s3, d1, minute(2), { medianSeconds: 99 })];

  beforeAll(async () => {
    store = await storeCase.open();
    for (const [destination, source] of [
      [d1, s1],
      [d1, s2],
      [d2, s1],
      [d2, s3],
    ] as const) {
      await store.repository.links.put(parseDetectorLink({ destination, source, maxSeconds: 600 }));
    }
    await store.repository.travelTimes.put([...Object.values(network).flat(), ...unlisted]);
    server = await startQueryServer(store.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  it('carries every field, statistics left out by the estimator as absent, and each status', async () => {
    const [source, destination] = [detector('fields-s'), detector('fields-d')];
    await store.repository.travelTimes.put([
      estimate(source, destination, minute(1) + 7n, { speedKmh: 0 }),
      {
        source,
        destination,
        intervalEnd: minute(2),
        windowSeconds: 900,
        validSamples: 0,
        totalSamples: 2,
        status: 'insufficient_data',
      },
      estimate(source, destination, minute(3), { speedKmh: undefined, status: 'stale' }),
      ...(['no_samples', 'all_rejected'] as const).map((status, index) => ({
        source,
        destination,
        intervalEnd: minute(4 + index),
        windowSeconds: 900,
        validSamples: 0,
        totalSamples: status === 'no_samples' ? 0 : 4,
        status,
      })),
    ]);

    const response = await calls.getTravelTimes({ links: oneLink(source, destination) });

    const common = {
      sourceDetectorId: source,
      destDetectorId: destination,
      windowSeconds: 900n,
      // A link's estimate: no route, and no congestion figures before a profile exists.
      route: '',
      routeMethod: query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_UNSPECIFIED,
      level: query.CongestionLevel.CONGESTION_LEVEL_UNSPECIFIED,
    };
    const statistics = { medianSeconds: 120.5, p15Seconds: 101.25, p85Seconds: 150.75, meanSeconds: 123.125 };
    expect(response.estimates).toEqual([
      {
        ...common,
        ...statistics,
        intervalEnd: timestamp(minute(1) + 7n),
        validSamples: 7n,
        totalSamples: 9n,
        speedKmh: 0,
        status: query.EstimateStatus.ESTIMATE_STATUS_OK,
      },
      {
        ...common,
        intervalEnd: timestamp(minute(2)),
        validSamples: 0n,
        totalSamples: 2n,
        status: query.EstimateStatus.ESTIMATE_STATUS_INSUFFICIENT_DATA,
      },
      {
        ...common,
        ...statistics,
        intervalEnd: timestamp(minute(3)),
        validSamples: 7n,
        totalSamples: 9n,
        status: query.EstimateStatus.ESTIMATE_STATUS_STALE,
      },
      {
        ...common,
        intervalEnd: timestamp(minute(4)),
        validSamples: 0n,
        totalSamples: 0n,
        status: query.EstimateStatus.ESTIMATE_STATUS_NO_SAMPLES,
      },
      {
        ...common,
        intervalEnd: timestamp(minute(5)),
        validSamples: 0n,
        totalSamples: 4n,
        status: query.EstimateStatus.ESTIMATE_STATUS_ALL_REJECTED,
      },
    ]);
    // toEqual reads a missing property as undefined; these must also not be 0.
    const [withZeroSpeed, withoutStatistics] = response.estimates;
    expect(withZeroSpeed?.speedKmh).toBe(0);
    expect([withoutStatistics?.medianSeconds, withoutStatistics?.speedKmh]).toEqual([undefined, undefined]);
  });

  it('selects one link, the listed links into a destination, or every listed link', async () => {
    const intoD1 = await calls.getTravelTimes({ links: intoDestination(d1) });
    expect(intoD1.estimates).toEqual(onWire([...network.d1s1, ...network.d1s2]));

    const all = await calls.getTravelTimes({ links: allLinks });
    expect(all.estimates).toEqual(onWire([...network.d1s1, ...network.d1s2, ...network.d2s1]));

    const one = await calls.getTravelTimes({ links: oneLink(s1, d2) });
    expect(one.estimates).toEqual(onWire(network.d2s1));

    // A link without a link record (e.g. deleted since) is readable when named.
    const named = await calls.getTravelTimes({ links: oneLink(s3, d1) });
    expect(named.estimates).toEqual(onWire(unlisted));
  });

  it('answers links without estimates, and an unknown destination, with nothing', async () => {
    expect(await calls.getTravelTimes({ links: oneLink(s3, d2) })).toEqual({ estimates: [] });
    expect(await calls.getTravelTimes({ links: intoDestination(detector('nowhere')) })).toEqual({
      estimates: [],
    });
    expect(await calls.getLatestTravelTimes({ links: oneLink(s3, d2) })).toEqual({ estimates: [] });
  });

  it('gives the latest estimate of each selected link that has one', async () => {
    const latest = (links: query.DeepPartial<query.LinkSelector>) => calls.getLatestTravelTimes({ links });
    const newestOf = (estimates: TravelTimeEstimate[]) => estimates.at(-1)!;
    const [d1s1, d1s2, d2s1] = [newestOf(network.d1s1), newestOf(network.d1s2), newestOf(network.d2s1)];

    expect((await latest(allLinks)).estimates).toEqual(onWire([d1s1, d1s2, d2s1]));
    expect((await latest(intoDestination(d1))).estimates).toEqual(onWire([d1s1, d1s2]));
    expect((await latest(oneLink(s1, d1))).estimates).toEqual(onWire([d1s1]));
    expect((await latest(oneLink(s3, d1))).estimates).toEqual(onWire(unlisted));
  });

  it('honours the range of interval ends to the nanosecond: after inclusive, before exclusive', async () => {
    const [source, destination] = [detector('range-s'), detector('range-d')];
    const after = minute(10);
    const before = minute(20);
    const ends = [after - 1n, after, after + 1n, before - 1n, before, before + 1n];
    const estimates = ends.map((end) => estimate(source, destination, end));
    await store.repository.travelTimes.put(estimates);
    const within = (range: query.DeepPartial<query.Range>) =>
      calls.getTravelTimes({ links: oneLink(source, destination), range });

    expect((await within({ after: timestamp(after), before: timestamp(before) })).estimates).toEqual(
      onWire(estimates.slice(1, 4)),
    );
    expect((await within({ after: timestamp(before) })).estimates).toEqual(onWire(estimates.slice(4)));
    expect((await within({ before: timestamp(after) })).estimates).toEqual(onWire(estimates.slice(0, 1)));
    expect((await within({ after: timestamp(after), before: timestamp(after) })).estimates).toEqual([]);
  });

  it('limits per link, keeping each link’s newest, still oldest first', async () => {
    const [source, destination] = [detector('limit-s'), detector('limit-d')];
    const estimates = [1, 2, 3, 4, 5].map((n) => estimate(source, destination, minute(n)));
    await store.repository.travelTimes.put(estimates);

    const two = await calls.getTravelTimes({ links: oneLink(source, destination), limit: 2n });
    expect(two.estimates).toEqual(onWire(estimates.slice(3)));

    const twoInRange = await calls.getTravelTimes({
      links: oneLink(source, destination),
      range: { before: timestamp(minute(4)) },
      limit: 2n,
    });
    expect(twoInRange.estimates).toEqual(onWire(estimates.slice(1, 3)));

    const onePerLink = await calls.getTravelTimes({ links: intoDestination(d1), limit: 1n });
    expect(onePerLink.estimates).toEqual(onWire([network.d1s1[1]!, network.d1s2[0]!]));
  });

  it('returns the newest 1,440 per link when the limit is 0, and accepts the maximum, 100,000', async () => {
    const [source, destination] = [detector('default-s'), detector('default-d')];
    const estimates = Array.from({ length: 1_500 }, (_, index) =>
      estimate(source, destination, minute(index)),
    );
    await store.repository.travelTimes.put(estimates);
    const links = oneLink(source, destination);

    const byDefault = await calls.getTravelTimes({ links, limit: 0n });
    expect(byDefault.estimates.map((received) => received.intervalEnd)).toEqual(
      estimates.slice(60).map((expected) => timestamp(expected.intervalEnd)),
    );

    const atMaximum = await calls.getTravelTimes({ links, limit: 100_000n });
    expect(atMaximum.estimates).toHaveLength(1_500);
  });

  it('refuses an answer of more estimates than maxEstimatesPerAnswer, naming the way out', async () => {
    // The listed network holds 4 estimates: d1 ← s1 two, d1 ← s2 one, d2 ← s1 one.
    await withLimitedServer(store.repository, { maxEstimatesPerAnswer: 3 }, async (cappedCalls) => {
      const atTheCap = await cappedCalls.getTravelTimes({ links: intoDestination(d1) });
      expect(atTheCap.estimates).toEqual(onWire([...network.d1s1, ...network.d1s2]));
      await expectStatus(
        cappedCalls.getTravelTimes({ links: allLinks }),
        status.INVALID_ARGUMENT,
        'limit: selects more than 3 estimates in all, the most one GetTravelTimes answer holds; ' +
          'lower limit, narrow range, or select fewer links (links.dest_detector_id or links.link)',
      );
      const onePerLink = await cappedCalls.getTravelTimes({ links: allLinks, limit: 1n });
      expect(onePerLink.estimates).toHaveLength(3);
    });
  });
});

import { status } from '@grpc/grpc-js';
import {
  parseDetectorLink,
  parseRoute,
  type DetectorId,
  type Route,
  type TravelTimeEstimate,
} from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  allLinks,
  allRoutes,
  BASE_TIME,
  countingTrafficFollows,
  detector,
  estimate,
  estimateOnWire,
  expectStatus,
  oneRoute,
  queryCalls,
  startQueryServer,
  storeCases,
  StreamReader,
  timestamp,
  type OpenStore,
  type QueryServer,
} from '../../test/query-harness';

const MINUTE = 60_000_000_000n;
const minute = (n: number) => BASE_TIME + BigInt(n) * MINUTE;
const onWire = (estimates: readonly TravelTimeEstimate[]) => estimates.map(estimateOnWire);

describe.each(storeCases)('routes over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let counted: ReturnType<typeof countingTrafficFollows>;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;

  const [a, b, c] = ['a', 'b', 'c'].map(detector) as [DetectorId, DetectorId, DetectorId];
  /** The only routes of this store, by name: `corridor` a → b → c and `short` a → b. */
  const corridor = parseRoute({ name: 'corridor', detectorIds: [a, b, c] });
  const short = parseRoute({ name: 'short', detectorIds: [a, b] });
  const ofRoute = (route: Route, end: bigint, overrides: Partial<TravelTimeEstimate> = {}) =>
    estimate(route.detectorIds[0]!, route.detectorIds.at(-1)!, end, {
      route: route.name,
      routeMethod: 'matched',
      ...overrides,
    });
  const corridorEstimates = [
    ofRoute(corridor, minute(1), {
      medianSeconds: 412,
      typicalSeconds: 158,
      freeFlowSeconds: 120,
      ratioToTypical: 2.6,
      ratioToFreeFlow: 3.4,
      level: 'severe',
    }),
    ofRoute(corridor, minute(2), { routeMethod: 'sum_of_links', level: 'free', ratioToTypical: 0.9 }),
    ofRoute(corridor, minute(3)),
  ];
  const shortEstimates = [ofRoute(short, minute(2), { medianSeconds: 61 })];
  /** A link estimate of a → b: never part of a route selection. */
  const linkEstimate = estimate(a, b, minute(2));

  beforeAll(async () => {
    store = await storeCase.open();
    for (const [source, destination] of [
      [a, b],
      [b, c],
    ] as const) {
      await store.repository.links.put(parseDetectorLink({ source, destination, maxSeconds: 600 }));
    }
    await store.repository.routes.put(short);
    await store.repository.routes.put(corridor);
    await store.repository.routeTravelTimes.put([...corridorEstimates, ...shortEstimates]);
    await store.repository.travelTimes.put([linkEstimate]);
    counted = countingTrafficFollows(store.repository);
    server = await startQueryServer(counted.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  describe('ListRoutes', () => {
    it('lists every route by name, a page at a time', async () => {
      const routesOnWire = [
        { name: 'corridor', detectorIds: [a, b, c] },
        { name: 'short', detectorIds: [a, b] },
      ];
      expect(await calls.listRoutes()).toEqual({ routes: routesOnWire, nextPageToken: '' });

      const first = await calls.listRoutes({ pageSize: 1 });
      expect(first.routes).toEqual(routesOnWire.slice(0, 1));
      expect(first.nextPageToken).not.toBe('');
      const second = await calls.listRoutes({ pageSize: 1, pageToken: first.nextPageToken });
      expect(second).toEqual({ routes: routesOnWire.slice(1), nextPageToken: '' });
    });

    it("refuses another list's token and a page size out of range, naming the field", async () => {
      await store.repository.detectors.putCoordinates({
        detectorId: a,
        coordinates: { latitude: 0, longitude: 0 },
      });
      await store.repository.detectors.putCoordinates({
        detectorId: b,
        coordinates: { latitude: 0, longitude: 0 },
      });
      const detectorsToken = (await calls.listDetectors({ pageSize: 1 })).nextPageToken;
      expect(detectorsToken).not.toBe('');
      await expectStatus(
        calls.listRoutes({ pageToken: detectorsToken }),
        status.INVALID_ARGUMENT,
        'page_token: is not a next_page_token of ListRoutes; send one unchanged, or empty for the first page',
      );
      const routesToken = (await calls.listRoutes({ pageSize: 1 })).nextPageToken;
      await expectStatus(
        calls.listDetectors({ pageToken: routesToken }),
        status.INVALID_ARGUMENT,
        'page_token: is not a next_page_token of ListDetectors; send one unchanged, or empty for the first page',
      );
      await expectStatus(
        calls.listRoutes({ pageSize: -1 }),
        status.INVALID_ARGUMENT,
        'page_size: must be 0 (the default, 1000) to 1000, got -1',
      );
      await expectStatus(
        calls.listRoutes({ pageSize: 1_001 }),
        status.INVALID_ARGUMENT,
        'page_size: must be 0 (the default, 1000) to 1000, got 1001',
      );
    });
  });

  describe('GetTravelTimes and GetLatestTravelTimes of routes', () => {
    it('carries the route, its method and the congestion figures, absent figures left absent', async () => {
      const response = await calls.getTravelTimes({ links: oneRoute('corridor') });
      expect(response.estimates).toEqual(onWire(corridorEstimates));
      const [severe, summed, plain] = response.estimates;
      expect(severe).toMatchObject({
        sourceDetectorId: a,
        destDetectorId: c,
        route: 'corridor',
        routeMethod: query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_MATCHED,
        medianSeconds: 412,
        typicalSeconds: 158,
        freeFlowSeconds: 120,
        ratioToTypical: 2.6,
        ratioToFreeFlow: 3.4,
        level: query.CongestionLevel.CONGESTION_LEVEL_SEVERE,
      });
      expect(summed?.routeMethod).toBe(query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_SUM_OF_LINKS);
      expect([summed?.level, summed?.ratioToTypical, summed?.typicalSeconds]).toEqual([
        query.CongestionLevel.CONGESTION_LEVEL_FREE,
        0.9,
        undefined,
      ]);
      expect([plain?.level, plain?.typicalSeconds]).toEqual([
        query.CongestionLevel.CONGESTION_LEVEL_UNSPECIFIED,
        undefined,
      ]);
    });

    it('selects one route (listed or not), or every listed route by name, never a link’s estimates', async () => {
      const all = await calls.getTravelTimes({ links: allRoutes });
      expect(all.estimates).toEqual(onWire([...corridorEstimates, ...shortEstimates]));

      const limited = await calls.getTravelTimes({ links: allRoutes, limit: 1n });
      expect(limited.estimates).toEqual(onWire([corridorEstimates[2]!, ...shortEstimates]));

      const inRange = await calls.getTravelTimes({
        links: oneRoute('corridor'),
        range: { after: timestamp(minute(2)), before: timestamp(minute(3)) },
      });
      expect(inRange.estimates).toEqual(onWire([corridorEstimates[1]!]));

      expect(await calls.getTravelTimes({ links: oneRoute('nowhere') })).toEqual({ estimates: [] });
      // The links' selections see the link estimate only.
      const links = await calls.getTravelTimes({ links: allLinks });
      expect(links.estimates).toEqual(onWire([linkEstimate]));
    });

    it('gives the newest estimate of each selected route', async () => {
      expect((await calls.getLatestTravelTimes({ links: allRoutes })).estimates).toEqual(
        onWire([corridorEstimates[2]!, shortEstimates[0]!]),
      );
      expect((await calls.getLatestTravelTimes({ links: oneRoute('short') })).estimates).toEqual(
        onWire(shortEstimates),
      );
      expect(await calls.getLatestTravelTimes({ links: oneRoute('nowhere') })).toEqual({ estimates: [] });
    });
  });

  describe('StreamTravelTimes of routes', () => {
    const following = async (links: query.DeepPartial<query.LinkSelector>) => {
      const before = counted.activeFollows();
      const reader = new StreamReader(
        server.client.streamTravelTimes(query.StreamTravelTimesRequest.fromPartial({ links })),
      );
      await vi.waitFor(() => expect(counted.activeFollows()).toBe(before + 1), {
        timeout: 10_000,
        interval: 20,
      });
      return reader;
    };

    it('sends the selected routes’ estimates put after the call, until the client cancels', async () => {
      const one = await following(oneRoute('short'));
      const every = await following(allRoutes);
      const corridorLater = ofRoute(corridor, minute(10), { level: 'heavy' });
      const shortLater = ofRoute(short, minute(10));
      await store.repository.travelTimes.put([estimate(a, b, minute(10))]);
      await store.repository.routeTravelTimes.put([corridorLater]);
      await store.repository.routeTravelTimes.put([shortLater]);

      expect(await every.waitForCount(2)).toEqual(onWire([corridorLater, shortLater]));
      expect(await one.waitForCount(1)).toEqual(onWire([shortLater]));
      for (const reader of [one, every]) reader.call.cancel();
      expect((await one.ended)?.code).toBe(status.CANCELLED);
      await vi.waitFor(() => expect(counted.activeFollows()).toBe(0), { timeout: 10_000, interval: 20 });
      expect(one.received).toHaveLength(1);
    });
  });

  it('RecomputeTravelTimes refuses a route selection, naming the way to recompute its links', async () => {
    for (const [links, field] of [
      [oneRoute('corridor'), 'links.route'],
      [allRoutes, 'links.all_routes'],
    ] as const) {
      const reader = new StreamReader(
        server.client.recomputeTravelTimes(
          query.RecomputeTravelTimesRequest.fromPartial({
            links,
            range: { after: timestamp(minute(1)), before: timestamp(minute(2)) },
          }),
        ),
      );
      const ended = await reader.ended;
      expect({ code: ended?.code, details: ended?.details }).toEqual({
        code: status.INVALID_ARGUMENT,
        details:
          `${field}: RecomputeTravelTimes recomputes links, not routes; select the links of the route ` +
          '(links.link or links.dest_detector_id, or links.all)',
      });
    }
  });
});

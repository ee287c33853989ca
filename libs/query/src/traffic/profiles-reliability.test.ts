import { status } from '@grpc/grpc-js';
import {
  parseRouteName,
  type DetectorId,
  type TrafficTarget,
  type TravelTimeEstimate,
  type TypicalProfile,
} from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_TIME,
  detector,
  estimate,
  expectStatus,
  queryCalls,
  startQueryServer,
  storeCases,
  timestamp,
  withLimitedServer,
  type OpenStore,
  type QueryServer,
} from '../../test/query-harness';

const MINUTE = 60_000_000_000n;
const minute = (n: number) => BASE_TIME + BigInt(n) * MINUTE;

describe.each(storeCases)('GetTypicalProfile and GetReliability over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;
  const [source, destination, unprofiled] = ['s', 'd', 'u'].map(detector) as [
    DetectorId,
    DetectorId,
    DetectorId,
  ];
  const route = parseRouteName('corridor');
  const linkTarget: TrafficTarget = { kind: 'link', source, destination };
  const linkOnWire = {
    target: { $case: 'link' as const, value: { sourceDetectorId: source, destDetectorId: destination } },
  };
  const routeOnWire = { target: { $case: 'route' as const, value: 'corridor' } };
  const linkProfile: TypicalProfile = {
    target: linkTarget,
    computedAt: minute(30),
    weeks: 4,
    binMinutes: 15,
    timeZone: 'Europe/Warsaw',
    freeFlowSeconds: 100,
    bins: [
      { dayOfWeek: 1, minuteOfDay: 480, medianSeconds: 140, p15Seconds: 120, p85Seconds: 170, samples: 60 },
      { dayOfWeek: 7, minuteOfDay: 1425, medianSeconds: 101, p15Seconds: 99, p85Seconds: 104.5, samples: 12 },
    ],
  };
  /** A route's profile without a free-flow figure (as when it had no data). */
  const routeProfile: TypicalProfile = {
    target: { kind: 'route', route },
    computedAt: minute(31),
    weeks: 2,
    binMinutes: 60,
    timeZone: 'UTC',
    bins: [],
  };
  /** Medians 100, 110, …, 190 at minutes 1 to 10, and one estimate without a median. */
  const linkEstimates: TravelTimeEstimate[] = [
    ...Array.from({ length: 10 }, (_, n) =>
      estimate(source, destination, minute(n + 1), { medianSeconds: 100 + 10 * n }),
    ),
    {
      source,
      destination,
      intervalEnd: minute(11),
      windowSeconds: 900,
      validSamples: 0,
      totalSamples: 1,
      status: 'insufficient_data',
    },
  ];

  beforeAll(async () => {
    store = await storeCase.open();
    await store.repository.travelTimes.put(linkEstimates);
    await store.repository.routeTravelTimes.put([
      estimate(source, destination, minute(1), { route, medianSeconds: 300 }),
      estimate(source, destination, minute(2), { route, medianSeconds: 500 }),
    ]);
    server = await startQueryServer(store.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  const wholeRange = { after: timestamp(minute(0)), before: timestamp(minute(60)) };
  const noProfileYet = (what: string) =>
    `target: ${what} has no typical profile yet; the travel-time workers compute one from its stored ` +
    'estimates, so ask again once it has estimates over several days';

  it('GetTypicalProfile is NOT_FOUND before a profile exists, then answers it whole', async () => {
    await expectStatus(
      calls.getTypicalProfile({ target: linkOnWire }),
      status.NOT_FOUND,
      noProfileYet(`the link ${source} → ${destination}`),
    );
    await store.repository.profiles.put(linkProfile);
    await store.repository.profiles.put(routeProfile);

    expect(await calls.getTypicalProfile({ target: linkOnWire })).toEqual({
      target: linkOnWire,
      computedAt: timestamp(minute(30)),
      weeks: 4,
      binMinutes: 15,
      timeZone: 'Europe/Warsaw',
      freeFlowSeconds: 100,
      bins: [
        {
          dayOfWeek: 1,
          minuteOfDay: 480,
          medianSeconds: 140,
          p15Seconds: 120,
          p85Seconds: 170,
          samples: 60n,
        },
        {
          dayOfWeek: 7,
          minuteOfDay: 1425,
          medianSeconds: 101,
          p15Seconds: 99,
          p85Seconds: 104.5,
          samples: 12n,
        },
      ],
    });
    const ofRoute = await calls.getTypicalProfile({ target: routeOnWire });
    expect(ofRoute).toEqual({
      target: routeOnWire,
      computedAt: timestamp(minute(31)),
      weeks: 2,
      binMinutes: 60,
      timeZone: 'UTC',
      bins: [],
    });
    expect(ofRoute.freeFlowSeconds).toBeUndefined();
  });

  it('GetReliability without a profile gives the mean, p95 and buffer index, and no free-flow indices', async () => {
    await store.repository.travelTimes.put([
      estimate(unprofiled, destination, minute(1), { medianSeconds: 200 }),
      estimate(unprofiled, destination, minute(2), { medianSeconds: 300 }),
    ]);
    const unprofiledOnWire = {
      target: { $case: 'link' as const, value: { sourceDetectorId: unprofiled, destDetectorId: destination } },
    };
    const response = await calls.getReliability({ target: unprofiledOnWire, range: wholeRange });
    // mean 250, p95 295: buffer index (295 − 250) / 250
    expect(response).toMatchObject({ target: unprofiledOnWire, intervals: 2n, meanSeconds: 250 });
    expect(response.p95Seconds).toBeCloseTo(295, 9);
    expect(response.bufferIndex).toBeCloseTo(0.18, 12);
    expect([response.freeFlowSeconds, response.travelTimeIndex, response.planningTimeIndex]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('GetReliability gives the FHWA figures of the estimates in the range against the free flow', async () => {
    await store.repository.profiles.put(linkProfile);
    const response = await calls.getReliability({ target: linkOnWire, range: wholeRange });
    // mean 145; p95 at rank 9 × 0.95 = 8.55 between 180 and 190: 185.5
    expect(response).toMatchObject({
      target: linkOnWire,
      range: wholeRange,
      intervals: 10n,
      meanSeconds: 145,
    });
    expect(response.freeFlowSeconds).toBe(100);
    expect(response.p95Seconds).toBeCloseTo(185.5, 9);
    expect(response.travelTimeIndex).toBeCloseTo(1.45, 12);
    expect(response.planningTimeIndex).toBeCloseTo(1.855, 9);
    expect(response.bufferIndex).toBeCloseTo(40.5 / 145, 9);

    const firstTwo = await calls.getReliability({
      target: linkOnWire,
      range: { after: timestamp(minute(1)), before: timestamp(minute(3)) },
    });
    expect(firstTwo).toMatchObject({ intervals: 2n, meanSeconds: 105, travelTimeIndex: 1.05 });

    const empty = await calls.getReliability({
      target: linkOnWire,
      range: { after: timestamp(minute(40)), before: timestamp(minute(50)) },
    });
    expect(empty).toEqual({
      target: linkOnWire,
      range: { after: timestamp(minute(40)), before: timestamp(minute(50)) },
      intervals: 0n,
      freeFlowSeconds: 100,
    });
  });

  it('GetReliability of a route whose profile has no free flow leaves the free-flow indices out', async () => {
    await store.repository.profiles.put(routeProfile);
    const response = await calls.getReliability({ target: routeOnWire, range: wholeRange });
    // mean 400, p95 490: buffer index (490 − 400) / 400
    expect(response).toMatchObject({ target: routeOnWire, intervals: 2n, meanSeconds: 400, p95Seconds: 490 });
    expect(response.bufferIndex).toBeCloseTo(0.225, 12);
    expect([response.freeFlowSeconds, response.travelTimeIndex, response.planningTimeIndex]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('GetReliability refuses a range holding more estimates than maxEstimatesPerAnswer', async () => {
    await store.repository.profiles.put(linkProfile);
    await withLimitedServer(store.repository, { maxEstimatesPerAnswer: 10 }, async (capped) => {
      const atTheCap = await capped.getReliability({
        target: linkOnWire,
        range: { after: timestamp(minute(1)), before: timestamp(minute(11)) },
      });
      expect(atTheCap.intervals).toBe(10n);
      await expectStatus(
        capped.getReliability({ target: linkOnWire, range: wholeRange }),
        status.INVALID_ARGUMENT,
        'range: holds more than 10 estimates, the most one GetReliability reads; narrow it',
      );
    });
  });

  const badTargets: readonly {
    name: string;
    target?: query.DeepPartial<query.TrafficTarget>;
    details: string;
  }[] = [
    { name: 'no target', details: 'target: is not set; choose target.link or target.route' },
    {
      name: 'a target with no choice',
      target: {},
      details: 'target: is not set; choose target.link or target.route',
    },
    {
      name: 'a link from a detector to itself',
      target: { target: { $case: 'link', value: { sourceDetectorId: 'a', destDetectorId: 'a' } } },
      details:
        'target.link.source_detector_id: is the destination itself ("a"); a detector cannot link to itself',
    },
    {
      name: 'an empty destination',
      target: { target: { $case: 'link', value: { sourceDetectorId: 'a', destDetectorId: '' } } },
      details: 'target.link.dest_detector_id: is empty; an id has 1 to 64 characters',
    },
    {
      name: "a '/' in a route",
      target: { target: { $case: 'route', value: 'a/b' } },
      details:
        "target.route: has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
    },
  ];

  it.each(badTargets)('both refuse $name with INVALID_ARGUMENT', async ({ target, details }) => {
    await expectStatus(
      calls.getTypicalProfile({ ...(target ? { target } : {}) }),
      status.INVALID_ARGUMENT,
      details,
    );
    await expectStatus(
      calls.getReliability({ ...(target ? { target } : {}), range: wholeRange }),
      status.INVALID_ARGUMENT,
      details,
    );
  });

  it.each([
    {
      name: 'no range',
      range: undefined,
      details: 'range.after: is not set; give the start of the period (inclusive)',
    },
    {
      name: 'a range without before',
      range: { after: timestamp(minute(0)) },
      details: 'range.before: is not set; give the end of the period (exclusive)',
    },
    {
      name: 'after later than before',
      range: { after: { seconds: 1_700_000_001n }, before: { seconds: 1_700_000_000n } },
      details:
        'range: after (2023-11-14T22:13:21.000000000Z) is later than before (2023-11-14T22:13:20.000000000Z); ' +
        'after is inclusive and before exclusive, so after must not be later',
    },
  ])('GetReliability refuses $name with INVALID_ARGUMENT', async ({ range, details }) => {
    await expectStatus(
      calls.getReliability({ target: linkOnWire, ...(range ? { range } : {}) }),
      status.INVALID_ARGUMENT,
      details,
    );
  });
});

import { status } from '@grpc/grpc-js';
import type { DetectorId } from '@message-bus/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_TIME,
  detector,
  expectStatus,
  queryCalls,
  sighting,
  startQueryServer,
  storeCases,
  timestamp,
  withLimitedServer,
  type OpenStore,
  type QueryServer,
} from '../../test/query-harness';

const SECOND = 1_000_000_000n;
const at = (seconds: number) => BASE_TIME + BigInt(seconds) * SECOND;
const HOUR_RANGE = { after: timestamp(at(0)), before: timestamp(at(3600)) };

describe.each(storeCases)('GetOriginDestination over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;
  const [x, y, z, elsewhere] = ['x', 'y', 'z', 'elsewhere'].map(detector) as [
    DetectorId,
    DetectorId,
    DetectorId,
    DetectorId,
  ];

  beforeAll(async () => {
    store = await storeCase.open();
    await store.repository.events.append([
      // device-1: x → y → z, 250 s from first to last.
      sighting(x, 'device-1', at(0)),
      sighting(y, 'device-1', at(100)),
      sighting(z, 'device-1', at(250)),
      // device-2 and device-3: x → y in 120 s and 200 s; device-2 also passes a detector not asked.
      sighting(x, 'device-2', at(10)),
      sighting(elsewhere, 'device-2', at(60)),
      sighting(y, 'device-2', at(130)),
      sighting(x, 'device-3', at(20)),
      sighting(x, 'device-3', at(25)),
      sighting(y, 'device-3', at(220)),
      // device-4: only at y; device-5: after the range.
      sighting(y, 'device-4', at(0)),
      sighting(z, 'device-5', at(3600)),
      sighting(x, 'device-5', at(3700)),
    ]);
    server = await startQueryServer(store.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  it('counts trips from first to last detector with their median, and no device id', async () => {
    const response = await calls.getOriginDestination({ detectorIds: [x, y, z], range: HOUR_RANGE });
    expect(response).toEqual({
      detectorIds: [x, y, z],
      cells: [
        { originDetectorId: x, destinationDetectorId: y, trips: 2n, medianSeconds: 160 },
        { originDetectorId: x, destinationDetectorId: z, trips: 1n, medianSeconds: 250 },
      ],
      singleDetectorTrips: 1n,
    });
    expect(JSON.stringify(response, (_key, value: unknown) => String(value))).not.toContain('device');
  });

  it('keeps the detectors in the order asked, and splits trips at trip_gap_seconds', async () => {
    const reversed = await calls.getOriginDestination({ detectorIds: [z, y, x], range: HOUR_RANGE });
    expect(reversed.detectorIds).toEqual([z, y, x]);
    expect(reversed.cells.map((cell) => [cell.originDetectorId, cell.destinationDetectorId])).toEqual([
      [x, z],
      [x, y],
    ]);
    // With a 60 s gap no device is seen again soon enough: 8 trips at one detector each.
    const split = await calls.getOriginDestination({
      detectorIds: [x, y, z],
      range: HOUR_RANGE,
      tripGapSeconds: 60n,
    });
    expect(split).toEqual({ detectorIds: [x, y, z], cells: [], singleDetectorTrips: 8n });
    // Only y and z: device-1 y → z in 150 s; the others are single-detector trips at y.
    const pair = await calls.getOriginDestination({ detectorIds: [y, z], range: HOUR_RANGE });
    expect(pair).toEqual({
      detectorIds: [y, z],
      cells: [{ originDetectorId: y, destinationDetectorId: z, trips: 1n, medianSeconds: 150 }],
      singleDetectorTrips: 3n,
    });
  });

  it('answers a range without sightings with an empty matrix', async () => {
    const response = await calls.getOriginDestination({
      detectorIds: [x, y],
      range: { after: timestamp(at(-7200)), before: timestamp(at(-3600)) },
    });
    expect(response).toEqual({ detectorIds: [x, y], cells: [], singleDetectorTrips: 0n });
  });

  it.each([
    {
      name: 'one detector',
      request: { detectorIds: ['a'], range: HOUR_RANGE },
      details: 'detector_ids: has 1 ids; give 2 to 50 detector ids',
    },
    {
      name: '51 detectors',
      request: { detectorIds: Array.from({ length: 51 }, (_, n) => `d${n}`), range: HOUR_RANGE },
      details: 'detector_ids: has 51 ids; give 2 to 50 detector ids',
    },
    {
      name: 'a repeated detector',
      request: { detectorIds: ['a', 'b', 'a'], range: HOUR_RANGE },
      details: 'detector_ids[2]: repeats "a", already given at detector_ids[0]',
    },
    {
      name: "a '/' in a detector id",
      request: { detectorIds: ['a', 'b/c'], range: HOUR_RANGE },
      details:
        "detector_ids[1]: has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
    },
    {
      name: 'no range',
      request: { detectorIds: ['a', 'b'] },
      details: 'range.after: is not set; give the start of the period (inclusive)',
    },
    {
      name: 'a range without before',
      request: { detectorIds: ['a', 'b'], range: { after: timestamp(at(0)) } },
      details: 'range.before: is not set; give the end of the period (exclusive)',
    },
    {
      name: 'a range of more than 7 days',
      request: {
        detectorIds: ['a', 'b'],
        range: { after: { seconds: 1_700_000_000n }, before: { seconds: 1_700_000_000n + 604_801n } },
      },
      details:
        'range: spans more than 7 days (2023-11-14T22:13:20.000000000Z to 2023-11-21T22:13:21.000000000Z); ' +
        'ask for a week or less at a time',
    },
    {
      name: 'a negative trip gap',
      request: { detectorIds: ['a', 'b'], range: HOUR_RANGE, tripGapSeconds: -1n },
      details: 'trip_gap_seconds: is -1; it is 0 (the default, 3600) to 604800 seconds',
    },
  ])('refuses $name with INVALID_ARGUMENT naming the field', async ({ request, details }) => {
    await expectStatus(calls.getOriginDestination(request), status.INVALID_ARGUMENT, details);
  });

  it('refuses a request reading more than maxSightingsPerOriginDestination, naming the way out', async () => {
    await withLimitedServer(store.repository, { maxSightingsPerOriginDestination: 9 }, async (capped) => {
      // x, y and z hold 9 sightings in the hour: at the cap.
      const atTheCap = await capped.getOriginDestination({ detectorIds: [x, y, z], range: HOUR_RANGE });
      expect(atTheCap.singleDetectorTrips).toBe(1n);
      await expectStatus(
        capped.getOriginDestination({
          detectorIds: [x, y, z],
          range: { after: timestamp(at(0)), before: timestamp(at(7200)) },
        }),
        status.INVALID_ARGUMENT,
        'range: selects more than 9 sightings at these detectors, the most one GetOriginDestination reads; ' +
          'narrow range or detector_ids',
      );
    });
  });
});

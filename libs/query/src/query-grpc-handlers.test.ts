import { status } from '@grpc/grpc-js';
import { parseDetectorId, parseDetectorLink, parseDetectorStatus, type UnixNanos } from '@message-bus/domain';
import { collector, query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_TIME,
  detector,
  expectStatus,
  sighting,
  startQueryServer,
  withLimitedServer,
  storeCases,
  timestamp,
  queryCalls,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';

const SECOND = 1_000_000_000n;

describe.each(storeCases)('QueryService over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;
  const getEvents = (request: query.DeepPartial<query.GetEventsRequest>) => calls.getEvents(request);
  const getBatteryVoltage = (request: query.DeepPartial<query.GetBatteryVoltageRequest>) =>
    calls.getBatteryVoltage(request);

  beforeAll(async () => {
    store = await storeCase.open();
    server = await startQueryServer(store.repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  describe('GetEvents', () => {
    it('groups by (detector, device): detectors as asked, devices by newest sighting, times newest first', async () => {
      const a = detector('a');
      const b = detector('b');
      const t = (offset: bigint) => BASE_TIME + offset;
      await store.repository.events.append([
        sighting(a, 'device-1', t(1n)),
        sighting(a, 'device-2', t(2n)),
        sighting(a, 'device-1', t(3n * SECOND)),
        sighting(a, 'device-2', t(4n * SECOND + 7n)),
        sighting(a, 'device-1', t(5n * SECOND)),
        sighting(a, 'device-3', t(1n * SECOND)),
        sighting(b, 'device-1', t(6n * SECOND)),
      ]);

      const response = await getEvents({ detectorIds: [b, a] });

      expect(response.events).toEqual([
        { detectorId: b, deviceId: 'device-1', time: [timestamp(t(6n * SECOND))] },
        { detectorId: a, deviceId: 'device-1', time: [t(5n * SECOND), t(3n * SECOND), t(1n)].map(timestamp) },
        { detectorId: a, deviceId: 'device-2', time: [t(4n * SECOND + 7n), t(2n)].map(timestamp) },
        { detectorId: a, deviceId: 'device-3', time: [timestamp(t(1n * SECOND))] },
      ]);
    });

    it('honours the range to the nanosecond: after inclusive, before exclusive', async () => {
      const a = detector('range');
      const after = BASE_TIME + 10n * SECOND;
      const before = BASE_TIME + 20n * SECOND;
      const times = [after - 1n, after, after + 1n, before - 1n, before, before + 1n];
      await store.repository.events.append(times.map((time) => sighting(a, 'device-1', time)));

      const response = await getEvents({
        detectorIds: [a],
        range: { after: timestamp(after), before: timestamp(before) },
      });
      expect(response.events).toEqual([
        { detectorId: a, deviceId: 'device-1', time: [before - 1n, after + 1n, after].map(timestamp) },
      ]);

      const onlyAfter = await getEvents({ detectorIds: [a], range: { after: timestamp(before) } });
      expect(onlyAfter.events[0]?.time).toEqual([before + 1n, before].map(timestamp));
      const onlyBefore = await getEvents({ detectorIds: [a], range: { before: timestamp(after) } });
      expect(onlyBefore.events[0]?.time).toEqual([timestamp(after - 1n)]);
      const empty = await getEvents({
        detectorIds: [a],
        range: { after: timestamp(after), before: timestamp(after) },
      });
      expect(empty.events).toEqual([]);
    });

    it('limits per detector, keeping each detector’s newest', async () => {
      const a = detector('limit-a');
      const b = detector('limit-b');
      await store.repository.events.append([
        ...[1n, 2n, 3n, 4n, 5n].map((n) => sighting(a, `device-${n}`, BASE_TIME + n * SECOND)),
        ...[1n, 2n, 3n].map((n) => sighting(b, 'device-1', BASE_TIME + n * SECOND)),
      ]);

      const response = await getEvents({ detectorIds: [a, b], limit: 2n });

      expect(response.events).toEqual([
        { detectorId: a, deviceId: 'device-5', time: [timestamp(BASE_TIME + 5n * SECOND)] },
        { detectorId: a, deviceId: 'device-4', time: [timestamp(BASE_TIME + 4n * SECOND)] },
        { detectorId: b, deviceId: 'device-1', time: [3n, 2n].map((n) => timestamp(BASE_TIME + n * SECOND)) },
      ]);
    });

    it('returns the newest 1,000 per detector when the limit is 0, and accepts the maximum, 100,000', async () => {
      const a = detector('default-limit');
      const times = Array.from({ length: 1_200 }, (_, index) => BASE_TIME + BigInt(index) * 1_000_003n);
      await store.repository.events.append(times.map((time) => sighting(a, 'device-1', time)));
      const newestThousand = times.slice(200).reverse().map(timestamp);

      const byDefault = await getEvents({ detectorIds: [a], limit: 0n });
      expect(byDefault.events).toHaveLength(1);
      expect(byDefault.events[0]?.time).toEqual(newestThousand);

      const atMaximum = await getEvents({ detectorIds: [a], limit: 100_000n });
      expect(atMaximum.events[0]?.time).toHaveLength(1_200);
    });

    it('answers an unknown detector with no events', async () => {
      expect(await getEvents({ detectorIds: [detector('never-seen')] })).toEqual({ events: [] });
    });

    it('refuses an answer of more sightings than maxSightingsPerAnswer, naming the way out', async () => {
      const [a, b, c] = [detector('most-a'), detector('most-b'), detector('most-c')];
      const times = (count: number) =>
        Array.from({ length: count }, (_, n) => BASE_TIME + BigInt(n) * SECOND);
      await store.repository.events.append([
        ...times(3).map((time) => sighting(a, 'device-1', time)),
        ...times(3).map((time) => sighting(b, 'device-1', time)),
        ...times(2).map((time) => sighting(c, 'device-1', time)),
      ]);
      await withLimitedServer(store.repository, { maxSightingsPerAnswer: 5 }, async (cappedCalls) => {
        const atTheCap = await cappedCalls.getEvents({ detectorIds: [a, c] });
        expect(atTheCap.events.flatMap((event) => event.time)).toHaveLength(5);
        await expectStatus(
          cappedCalls.getEvents({ detectorIds: [a, b] }),
          status.INVALID_ARGUMENT,
          'limit: selects more than 5 sightings in all, the most one GetEvents answer holds; ' +
            'lower limit, narrow range or detector_ids, or read them with StreamEvents and range.before set',
        );
        const limited = await cappedCalls.getEvents({ detectorIds: [a, b], limit: 2n });
        expect(limited.events.flatMap((event) => event.time)).toHaveLength(4);
      });
    });
  });

  describe('GetBatteryVoltage', () => {
    it('reports per detector, in the order asked, the newest voltages in the range first, up to the limit', async () => {
      const a = detector('battery-a');
      const quiet = detector('battery-quiet');
      const times: UnixNanos[] = [1n, 2n, 3n, 4n].map((n) => BASE_TIME + n * SECOND);
      for (const [index, time] of times.entries()) {
        await store.repository.detectors.appendStatus(
          parseDetectorStatus({
            detectorId: a,
            time,
            batteryVoltage: 12 + index / 10,
            activeRadios: [2],
            detectionCounts: {},
          }),
        );
      }

      const all = await getBatteryVoltage({ detectorIds: [quiet, a] });
      expect(all.reports).toEqual([
        { detectorId: quiet, voltage: [] },
        { detectorId: a, voltage: [12.3, 12.2, 12.1, 12] },
      ]);

      const windowed = await getBatteryVoltage({
        detectorIds: [a],
        range: { after: timestamp(times[1]!), before: timestamp(times[3]!) },
      });
      expect(windowed.reports).toEqual([{ detectorId: a, voltage: [12.2, 12.1] }]);

      const limited = await getBatteryVoltage({ detectorIds: [a], limit: 1n });
      expect(limited.reports).toEqual([{ detectorId: a, voltage: [12.3] }]);
    });

    it('refuses an answer of more voltages than maxVoltagesPerAnswer, naming the way out', async () => {
      // Six detectors of two reports each: more than one batch of detectors read at once.
      const detectors = Array.from({ length: 6 }, (_, index) => detector(`battery-most-${index}`));
      for (const detectorId of detectors) {
        for (const seconds of [1n, 2n]) {
          await store.repository.detectors.appendStatus(
            parseDetectorStatus({
              detectorId,
              time: BASE_TIME + seconds * SECOND,
              batteryVoltage: 12,
              activeRadios: [2],
              detectionCounts: {},
            }),
          );
        }
      }
      await withLimitedServer(store.repository, { maxVoltagesPerAnswer: 10 }, async (cappedCalls) => {
        const atTheCap = await cappedCalls.getBatteryVoltage({ detectorIds: detectors.slice(0, 5) });
        expect(atTheCap.reports.map((report) => report.detectorId)).toEqual(detectors.slice(0, 5));
        expect(atTheCap.reports.flatMap((report) => report.voltage)).toHaveLength(10);
        await expectStatus(
          cappedCalls.getBatteryVoltage({ detectorIds: detectors }),
          status.INVALID_ARGUMENT,
          'limit: selects more than 10 voltages in all, the most one GetBatteryVoltage answer holds; ' +
            'lower limit, or narrow range or detector_ids',
        );
        const limited = await cappedCalls.getBatteryVoltage({ detectorIds: detectors, limit: 1n });
        expect(limited.reports.map((report) => report.voltage)).toEqual(detectors.map(() => [12]));
      });
    });
  });

  describe('ListDetectors and ListLinks', () => {
    it('lists every positioned detector with its latest status, by detector id', async () => {
      const prefix = detector('list');
      const [first, second] = [parseDetectorId(`${prefix}-1`), parseDetectorId(`${prefix}-2`)];
      await store.repository.detectors.putCoordinates({
        detectorId: second,
        coordinates: { latitude: 5_252_000, longitude: -1_340_500 },
      });
      await store.repository.detectors.putCoordinates({
        detectorId: first,
        coordinates: { latitude: -3_000_001, longitude: 17_999_999 },
      });
      for (const [time, volts] of [
        [BASE_TIME, 12.5],
        [BASE_TIME + SECOND, 11.9],
      ] as const) {
        await store.repository.detectors.appendStatus(
          parseDetectorStatus({
            detectorId: second,
            time,
            batteryVoltage: volts,
            activeRadios: [3, 1],
            detectionCounts: { 1: 4n, 3: 17n },
          }),
        );
      }

      const response = await calls.listDetectors();
      const ours = response.detectors.filter((summary) => summary.loc?.detectorId.startsWith(prefix));

      const secondLoc = { detectorId: second, latitude: 5_252_000n, longitude: -1_340_500n };
      expect(ours).toEqual([
        {
          loc: { detectorId: first, latitude: -3_000_001n, longitude: 17_999_999n },
          latestStatus: undefined,
        },
        {
          loc: secondLoc,
          latestStatus: {
            loc: secondLoc,
            activeDetectors: [collector.DEVICE.BLUETOOTH, collector.DEVICE.MOBILE],
            batteryVoltage: 11.9,
            detectionCount: { 1: 4n, 3: 17n },
            time: timestamp(BASE_TIME + SECOND),
          },
        },
      ]);
    });

    it('lists links grouped per destination, all or into one destination', async () => {
      const [d1, d2, s1, s2] = [detector('d1'), detector('d2'), detector('s1'), detector('s2')];
      for (const [destination, source, maxSeconds, minSeconds] of [
        [d1, s2, 600, 0],
        [d1, s1, 900, 45],
        [d2, s1, 120, 0],
      ] as const) {
        await store.repository.links.put(parseDetectorLink({ destination, source, maxSeconds, minSeconds }));
      }

      const all = await calls.listLinks();
      const ours = all.links.filter((link) => link.destDetectorId === d1 || link.destDetectorId === d2);
      const [first, second] = [d1, d2].sort();
      const byDestination = {
        [d1]: {
          destDetectorId: d1,
          srcDetectors: [s1, s2].sort().map((id) => ({
            detectorId: id,
            maxSeconds: id === s1 ? 900n : 600n,
            // 0 on the wire: no minimum configured, the worker derives one.
            minSeconds: id === s1 ? 45n : 0n,
          })),
        },
        [d2]: { destDetectorId: d2, srcDetectors: [{ detectorId: s1, maxSeconds: 120n, minSeconds: 0n }] },
      };
      expect(ours).toEqual([byDestination[first!], byDestination[second!]]);

      const intoOne = await calls.listLinks(d2);
      expect(intoOne.links).toEqual([byDestination[d2]]);

      await expectStatus(
        calls.listLinks('a/b'),
        status.INVALID_ARGUMENT,
        "dest_detector_id: has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
      );
    });
  });
});

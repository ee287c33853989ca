import { createServer } from 'node:net';
import { status } from '@grpc/grpc-js';
import {
  Pseudonymiser,
  type DetectorId,
  type RouteName,
  type DeviceKind,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import { collector } from '@message-bus/proto';
import type { Repository } from '@message-bus/repository';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CollectorHarness, eventLog, NOW, SECOND, statusOf, type EventSpec } from '../test/collector-harness';
import { InstrumentedRepository } from '../test/instrumented-repository';
import { openTestStore, type StoreKind, type TestStore } from '../test/test-stores';

const T0: UnixNanos = NOW - 3_600n * SECOND;
/** The `--retention` default, 168 h. */
const WEEK_SECONDS = 604_800;
const ALLOWED_DETECTOR_CHARACTERS = "allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'";

/** Every raw device id any test sends; none may ever reach the store or the logs. */
const rawIdsSent = new Set<string>();
let nextDevice = 0;

/** A fresh raw device id of `kind`, remembered for the privacy scan. */
function rawId(kind: DeviceKind): string {
  nextDevice += 1;
  const serial = String(nextDevice).padStart(6, '0');
  const id = kind === 'mobile' ? `imsi-26001${serial}` : `${kind}-AA:BB:CC:${serial}`;
  rawIdsSent.add(id);
  return id;
}

function sighting(kind: DeviceKind, times: readonly UnixNanos[] = [T0]): EventSpec {
  return { kind, id: rawId(kind), times };
}

async function storedSightings(repository: Repository, detectorId: string): Promise<Sighting[]> {
  const sightings: Sighting[] = [];
  const query = { detectorIds: [detectorId as DetectorId], order: 'oldest_first' as const };
  for await (const stored of repository.events.list(query)) sightings.push(stored);
  return sightings;
}

describe.each<StoreKind>(['embedded', 'etcd'])('CollectorService over gRPC on the %s store', (kind) => {
  let store: TestStore;
  let harness: CollectorHarness;
  let pseudonymiser: Pseudonymiser;
  let detectorSerial = 0;
  const detector = (): string => `${kind}-det-${(detectorSerial += 1)}`;

  beforeAll(async () => {
    store = await openTestStore(kind);
    pseudonymiser = new Pseudonymiser({
      masterSecret: new Uint8Array(32).fill(7),
      rotation: { kind: 'daily', utcHour: 0 },
      overlapSeconds: 600,
    });
    harness = await CollectorHarness.start({ repository: store.repository, pseudonymiser });
  });
  afterAll(async () => {
    await harness?.close();
    await store?.close();
  });

  describe('CreateEventLog', () => {
    it('stores every (event, time) pair under its pseudonym at the exact nanosecond', async () => {
      const detectorId = detector();
      const wifi = sighting('wifi', [T0 + 123_456_789n, T0 + 2n * SECOND + 1n]);
      const bluetooth = sighting('bluetooth', [T0 + 999_999_999n]);
      const mobile = sighting('mobile', [T0 + 5n]);
      const sameWifiAgain = { ...wifi, times: [T0 + 60n * SECOND] };
      await harness.createEventLog(eventLog(detectorId, [wifi, bluetooth, mobile, sameWifiAgain]));

      const stored = await storedSightings(store.repository, detectorId);
      const expected = [
        { kind: 'mobile', id: mobile.id, time: T0 + 5n },
        { kind: 'wifi', id: wifi.id, time: T0 + 123_456_789n },
        { kind: 'bluetooth', id: bluetooth.id, time: T0 + 999_999_999n },
        { kind: 'wifi', id: wifi.id, time: T0 + 2n * SECOND + 1n },
        { kind: 'wifi', id: wifi.id, time: T0 + 60n * SECOND },
      ] as const;
      expect(stored).toEqual(
        expected.map(({ kind: deviceKind, id, time }) => ({
          detectorId,
          deviceId: pseudonymiser.pseudonymsAt(deviceKind, id as never, time).current,
          time,
        })),
      );
      for (const { deviceId } of stored) expect(deviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const [, firstWifi, , secondWifi, thirdWifi] = stored;
      expect(secondWifi?.deviceId).toBe(firstWifi?.deviceId);
      expect(thirdWifi?.deviceId).toBe(firstWifi?.deviceId);
      expect(new Set(stored.map((entry) => entry.deviceId)).size).toBe(3);
      expect(stored.map((entry) => entry.deviceId)).not.toContain(wifi.id);
    });

    it('gives sightings inside the overlap after a rotation boundary the previous pseudonym too', async () => {
      const detectorId = detector();
      const boundary = 1_699_920_000n * SECOND; // 2023-11-14T00:00:00Z, a daily boundary
      const device = sighting('bluetooth', [
        boundary - SECOND,
        boundary + 599n * SECOND,
        boundary + 600n * SECOND,
      ]);
      await harness.createEventLog(eventLog(detectorId, [device]));

      const stored = await storedSightings(store.repository, detectorId);
      const before = pseudonymiser.pseudonymsAt('bluetooth', device.id as never, boundary - SECOND);
      const inOverlap = pseudonymiser.pseudonymsAt('bluetooth', device.id as never, boundary + 599n * SECOND);
      expect(inOverlap.previous).toBe(before.current);
      expect(stored.map((entry) => [entry.deviceId, entry.previousDeviceId])).toEqual([
        [before.current, undefined],
        [inOverlap.current, before.current],
        [inOverlap.current, undefined],
      ]);
    });

    it('accepts exactly 10,000 sightings in one log', async () => {
      const detectorId = detector();
      const times = Array.from({ length: 10_000 }, (_, index) => T0 + BigInt(index) * 1_000n);
      await harness.createEventLog(eventLog(detectorId, [sighting('wifi', times)]));
      expect((await storedSightings(store.repository, detectorId)).length).toBe(10_000);
    });

    it('stores a resent log once', async () => {
      const detectorId = detector();
      const log = eventLog(detectorId, [sighting('wifi', [T0, T0 + 1n]), sighting('mobile')]);
      await harness.createEventLog(log);
      const first = await storedSightings(store.repository, detectorId);
      await harness.createEventLog(log);
      expect(await storedSightings(store.repository, detectorId)).toEqual(first);
      expect(first.length).toBe(3);
    });
  });

  describe('StreamEventLog', () => {
    function streamLogs(detectorId: string, count: number): collector.EventLog[] {
      return Array.from({ length: count }, () =>
        eventLog(detectorId, [
          sighting('wifi', [T0, T0 + SECOND]),
          sighting('bluetooth'),
          sighting('mobile', [T0, T0 + 1n, T0 + 2n]),
        ]),
      );
    }

    it('answers the sightings stored per kind, and a resent stream is stored once', async () => {
      const detectorId = detector();
      const logs = streamLogs(detectorId, 20);
      const expectedCounts = { wifi: 40n, bluetooth: 20n, mobile: 60n };

      expect(await harness.streamEventLogs(logs)).toEqual(expectedCounts);
      const stored = await storedSightings(store.repository, detectorId);
      expect(stored.length).toBe(120);

      expect(await harness.streamEventLogs(logs)).toEqual(expectedCounts);
      expect(await storedSightings(store.repository, detectorId)).toEqual(stored);
    });

    it('answers zero counts for a stream without logs', async () => {
      expect(await harness.streamEventLogs([])).toEqual({ wifi: 0n, bluetooth: 0n, mobile: 0n });
    });

    it('ends at an invalid log with its position; the logs before it are stored, none after', async () => {
      const detectorId = detector();
      const logs = streamLogs(detectorId, 20);
      const invalid = eventLog(detectorId, [
        sighting('wifi'),
        sighting('wifi'),
        sighting('wifi'),
        sighting('wifi', [946_684_799n * SECOND]),
      ]);
      logs.splice(12, 1, invalid);

      expect(await statusOf(harness.streamEventLogs(logs))).toEqual({
        code: status.INVALID_ARGUMENT,
        details:
          'log 12: events[3].time[0]: 1999-12-31T23:59:59.000000000Z is before 2000-01-01T00:00:00Z, the earliest accepted time',
      });
      const stored = await storedSightings(store.repository, detectorId);
      expect(stored.length).toBe(12 * 6);
      const storedDevices = new Set(stored.map((entry) => entry.deviceId));
      for (const log of logs.slice(12)) {
        for (const event of log.events) {
          const { $case, value } = event.deviceId ?? { $case: 'wifi', value: '' };
          const pseudonym = pseudonymiser.pseudonymsAt($case, value as never, T0).current;
          expect(storedDevices.has(pseudonym)).toBe(false);
        }
      }
    });
  });

  describe('CreateDetectorLink, DeleteDetectorLink, CreateCoordinates, CreateDetectorStatus', () => {
    it('stores one link per source detector, with its minimum travel time when set', async () => {
      const destination = detector();
      const [near, far] = [detector(), detector()];
      await harness.createDetectorLink({
        destDetectorId: destination,
        srcDetectors: [
          { detectorId: far, maxSeconds: 3_600n, minSeconds: 0n },
          { detectorId: near, maxSeconds: 600n, minSeconds: 40n },
        ],
      });
      const links = await store.repository.links.list(destination as DetectorId);
      expect(links).toEqual(
        [
          { destination, source: far, maxSeconds: 3_600 },
          { destination, source: near, maxSeconds: 600, minSeconds: 40 },
        ].sort((a, b) => (a.source < b.source ? -1 : 1)),
      );
    });

    it("deletes one link and leaves the destination's other links; NOT_FOUND once it is gone", async () => {
      const destination = detector();
      const [kept, removed] = [detector(), detector()];
      await harness.createDetectorLink({
        destDetectorId: destination,
        srcDetectors: [
          { detectorId: kept, maxSeconds: 600n, minSeconds: 0n },
          { detectorId: removed, maxSeconds: 900n, minSeconds: 0n },
        ],
      });
      await harness.deleteDetectorLink({ destDetectorId: destination, srcDetectorId: removed });
      expect(await store.repository.links.list(destination as DetectorId)).toEqual([
        { destination, source: kept, maxSeconds: 600 },
      ]);

      const notFound = {
        code: status.NOT_FOUND,
        details: `no link from "${removed}" to "${destination}"`,
      };
      expect(
        await statusOf(harness.deleteDetectorLink({ destDetectorId: destination, srcDetectorId: removed })),
      ).toEqual(notFound);
      // The reverse direction is another link, which was never created.
      expect(
        await statusOf(harness.deleteDetectorLink({ destDetectorId: kept, srcDetectorId: destination })),
      ).toEqual({ code: status.NOT_FOUND, details: `no link from "${destination}" to "${kept}"` });
      expect(await store.repository.links.list(destination as DetectorId)).toHaveLength(1);
    });

    it("stores a detector's coordinates", async () => {
      const detectorId = detector();
      await harness.createCoordinates({ detectorId, latitude: 5_252_000n, longitude: -1_340_512n });
      expect(await store.repository.detectors.getCoordinates(detectorId as DetectorId)).toEqual({
        latitude: 5_252_000,
        longitude: -1_340_512,
      });
    });

    it('stores a status report at its own time, and at the receive time when it has none', async () => {
      const detectorId = detector();
      const report = {
        loc: { detectorId, latitude: 0n, longitude: 0n },
        activeDetectors: [collector.DEVICE.WIFI, collector.DEVICE.MOBILE],
        batteryVoltage: 12.6,
        detectionCount: { [collector.DEVICE.WIFI]: 42n, [collector.DEVICE.MOBILE]: 0n },
      };
      await harness.createDetectorStatus({ ...report, time: { seconds: 1_699_990_000n, nanos: 5 } });
      await harness.createDetectorStatus({ ...report, batteryVoltage: 12.1, time: undefined });

      const statuses = await store.repository.detectors.listStatus({
        detectorId: detectorId as DetectorId,
        order: 'oldest_first',
      });
      const common = {
        detectorId,
        activeRadios: ['wifi', 'mobile'],
        detectionCounts: { wifi: 42n, mobile: 0n },
      };
      expect(statuses).toEqual([
        { ...common, time: 1_699_990_000n * SECOND + 5n, batteryVoltage: 12.6 },
        { ...common, time: NOW, batteryVoltage: 12.1 },
      ]);
    });
  });

  describe('CreateRoute, DeleteRoute', () => {
    /** A chain of linked detectors, upstream first. */
    async function linkedChain(length: number): Promise<string[]> {
      const ids = Array.from({ length }, () => detector());
      for (let i = 1; i < ids.length; i += 1) {
        await harness.createDetectorLink({
          destDetectorId: ids[i]!,
          srcDetectors: [{ detectorId: ids[i - 1]!, maxSeconds: 600n, minSeconds: 0n }],
        });
      }
      return ids;
    }

    it('stores a route whose every consecutive pair is a link, and replaces its detectors', async () => {
      const ids = await linkedChain(4);
      const name = `${kind}-route-${detector()}`;
      await harness.createRoute({ name, detectorIds: ids.slice(0, 3) });
      expect(await store.repository.routes.get(name as RouteName)).toEqual({
        name,
        detectorIds: ids.slice(0, 3),
      });
      await harness.createRoute({ name, detectorIds: ids });
      expect(await store.repository.routes.get(name as RouteName)).toEqual({ name, detectorIds: ids });
    });

    it('answers FAILED_PRECONDITION naming the first pair that is not a link, and stores nothing', async () => {
      const [a, b, c] = await linkedChain(3);
      const name = `${kind}-route-${detector()}`;
      // c → b is the reverse of a link, which is no link.
      expect(
        await statusOf(harness.createRoute({ name, detectorIds: [a!, b!, c!, b!.concat('-x')] })),
      ).toEqual({
        code: status.FAILED_PRECONDITION,
        details: `detector_ids[2], detector_ids[3]: no link from "${c}" to "${b}-x"; create it with CreateDetectorLink first`,
      });
      expect(await statusOf(harness.createRoute({ name, detectorIds: [b!, a!] }))).toEqual({
        code: status.FAILED_PRECONDITION,
        details: `detector_ids[0], detector_ids[1]: no link from "${b}" to "${a}"; create it with CreateDetectorLink first`,
      });
      expect(await store.repository.routes.get(name as RouteName)).toBeUndefined();
    });

    it('deletes a route; NOT_FOUND once it is gone', async () => {
      const ids = await linkedChain(2);
      const name = `${kind}-route-${detector()}`;
      await harness.createRoute({ name, detectorIds: ids });
      await harness.deleteRoute({ name });
      expect(await store.repository.routes.get(name as RouteName)).toBeUndefined();
      expect(await statusOf(harness.deleteRoute({ name }))).toEqual({
        code: status.NOT_FOUND,
        details: `no route "${name}"`,
      });
    });
  });

  describe('rejections', () => {
    // A namespace and server of their own, so "nothing stored" scans only what these cases could write.
    let rejectionStore: TestStore;
    let rejecting: CollectorHarness;
    beforeAll(async () => {
      rejectionStore = await openTestStore(kind);
      rejecting = await CollectorHarness.start({
        repository: rejectionStore.repository,
        eventRetentionSeconds: WEEK_SECONDS,
      });
    });
    afterAll(async () => {
      await rejecting?.close();
      await rejectionStore?.close();
    });

    const valid = (): EventSpec => sighting('wifi');
    const log = (events: EventSpec[], detectorId = 'rejected-det'): collector.EventLog =>
      eventLog(detectorId, events);
    const withTime = (timestamp: { seconds: bigint; nanos: number }): collector.EventLog => ({
      loc: { detectorId: 'rejected-det', latitude: 0n, longitude: 0n },
      events: [{ time: [timestamp], deviceId: { $case: 'wifi', value: rawId('wifi') } }],
    });
    const statusReport = (overrides: Partial<collector.DetectorStatus>): collector.DetectorStatus => ({
      loc: { detectorId: 'rejected-det', latitude: 0n, longitude: 0n },
      activeDetectors: [collector.DEVICE.WIFI],
      batteryVoltage: 12,
      detectionCount: {},
      time: undefined,
      ...overrides,
    });
    const links = (...sources: [string, bigint, bigint?][]): collector.DetectorLink => ({
      destDetectorId: 'link-dest',
      srcDetectors: sources.map(([detectorId, maxSeconds, minSeconds = 0n]) => ({
        detectorId,
        maxSeconds,
        minSeconds,
      })),
    });
    const timestampOf = (seconds: bigint) => ({ seconds, nanos: 0 });

    const catalogue: [string, (h: CollectorHarness) => Promise<void>, string][] = [
      [
        'a detector id with a slash',
        (h) => h.createEventLog(log([valid()], 'det/1')),
        `loc.detector_id: has U+002F '/' at character 4; ${ALLOWED_DETECTOR_CHARACTERS}`,
      ],
      [
        'a detector id with a control character',
        (h) => h.createEventLog(log([valid()], 'det\u00071')),
        `loc.detector_id: has U+0007 at character 4; ${ALLOWED_DETECTOR_CHARACTERS}`,
      ],
      [
        'an empty detector id',
        (h) => h.createEventLog(log([valid()], '')),
        'loc.detector_id: is empty; an id has 1 to 64 characters',
      ],
      [
        'a 65-character detector id',
        (h) => h.createEventLog(log([valid()], 'd'.repeat(65))),
        'loc.detector_id: is 65 characters long; the limit is 64',
      ],
      [
        'a log without loc',
        (h) => h.createEventLog({ ...log([valid()]), loc: undefined }),
        'loc: is missing; a log names its detector in loc.detector_id',
      ],
      [
        'an empty log',
        (h) => h.createEventLog(log([])),
        'events: is empty; a log carries 1 to 10000 sightings',
      ],
      [
        'a log of 10,001 sightings',
        (h) =>
          h.createEventLog(
            log([
              sighting(
                'wifi',
                Array.from({ length: 10_000 }, (_, i) => T0 + BigInt(i)),
              ),
              valid(),
            ]),
          ),
        'events: hold 10001 sightings (one per event and time); the limit is 10000 per log',
      ],
      [
        'an event without a device id after three valid ones',
        (h) => {
          const request = log([valid(), valid(), valid(), valid()]);
          const missing = request.events[3];
          if (missing !== undefined) missing.deviceId = undefined;
          return h.createEventLog(request);
        },
        'events[3]: device id missing: set one of wifi, bluetooth, mobile',
      ],
      [
        'an empty raw device id',
        (h) => h.createEventLog(log([{ kind: 'wifi', id: '', times: [T0] }])),
        'events[0].wifi: is empty; a device id has 1 to 128 characters',
      ],
      [
        'a 129-character raw device id',
        (h) => h.createEventLog(log([valid(), { kind: 'bluetooth', id: 'b'.repeat(129), times: [T0] }])),
        'events[1].bluetooth: is 129 characters long; the limit is 128',
      ],
      [
        'a control character in a raw device id',
        (h) => h.createEventLog(log([{ kind: 'mobile', id: 'imsi\u00001', times: [T0] }])),
        'events[0].mobile: has control character U+0000 at character 5; a device id must be printable',
      ],
      [
        'an event without a time',
        (h) => h.createEventLog(log([valid(), sighting('wifi', [])])),
        'events[1].time: is empty; an event needs at least one time',
      ],
      [
        'a time before 2000',
        (h) => h.createEventLog(log([valid(), valid(), sighting('wifi', [T0, 946_684_799n * SECOND])])),
        'events[2].time[1]: 1999-12-31T23:59:59.000000000Z is before 2000-01-01T00:00:00Z, the earliest accepted time',
      ],
      [
        'a time more than 300 s ahead',
        (h) => h.createEventLog(log([sighting('wifi', [NOW + 301n * SECOND])])),
        'events[0].time[0]: 2023-11-14T22:18:21.000000000Z is 301 s ahead of now (2023-11-14T22:13:20.000000000Z); at most 300 s is accepted',
      ],
      [
        // Older than the store keeps: it would expire at once, and it would let a writer
        // pick a past day's pseudonym key to test candidate devices against.
        'a sighting 8 days old under a 7-day retention',
        (h) => h.createEventLog(log([valid(), sighting('bluetooth', [T0, NOW - 8n * 86_400n * SECOND])])),
        'events[1].time[1]: 2023-11-06T22:13:20.000000000Z is 691200 s before now (2023-11-14T22:13:20.000000000Z); at most 604800 s old is accepted, what the store keeps',
      ],
      [
        'nanos of a second or more',
        (h) => h.createEventLog(withTime({ seconds: 1_699_990_000n, nanos: 1_000_000_000 })),
        'events[0].time[0].nanos: is 1000000000; nanos must be 0 to 999999999',
      ],
      [
        'negative nanos',
        (h) => h.createEventLog(withTime({ seconds: 1_699_990_000n, nanos: -1 })),
        'events[0].time[0].nanos: is -1; nanos must be 0 to 999999999',
      ],
      [
        'seconds beyond year 9999',
        (h) => h.createEventLog(withTime({ seconds: 253_402_300_800n, nanos: 0 })),
        'events[0].time[0].seconds: is 253402300800; a Timestamp is between -62135596800 (0001-01-01T00:00:00Z) and 253402300799 (9999-12-31T23:59:59Z)',
      ],
      [
        'a latitude beyond 90°',
        (h) => h.createCoordinates({ detectorId: 'rejected-det', latitude: 9_000_001n, longitude: 0n }),
        'latitude: is 9000001 units of 1e-5°; latitude must be within ±9000000 (±90°)',
      ],
      [
        'a longitude beyond -180°',
        (h) => h.createCoordinates({ detectorId: 'rejected-det', latitude: 0n, longitude: -18_000_001n }),
        'longitude: is -18000001 units of 1e-5°; longitude must be within ±18000000 (±180°)',
      ],
      [
        'an int64-max latitude',
        (h) => h.createCoordinates({ detectorId: 'rejected-det', latitude: 2n ** 63n - 1n, longitude: 0n }),
        'latitude: is 9223372036854775807 units of 1e-5°; latitude must be within ±9000000 (±90°)',
      ],
      [
        'coordinates of a detector id with a slash',
        (h) => h.createCoordinates({ detectorId: 'a/b', latitude: 0n, longitude: 0n }),
        `detector_id: has U+002F '/' at character 2; ${ALLOWED_DETECTOR_CHARACTERS}`,
      ],
      [
        'a NaN battery voltage',
        (h) => h.createDetectorStatus(statusReport({ batteryVoltage: Number.NaN })),
        'battery_voltage: is NaN; expected volts between 0 and 60',
      ],
      [
        'an infinite battery voltage',
        (h) => h.createDetectorStatus(statusReport({ batteryVoltage: Number.POSITIVE_INFINITY })),
        'battery_voltage: is Infinity; expected volts between 0 and 60',
      ],
      [
        'a 61 V battery',
        (h) => h.createDetectorStatus(statusReport({ batteryVoltage: 61 })),
        'battery_voltage: is 61 V; a detector battery reads between 0 and 60 V',
      ],
      [
        'a radio listed twice',
        (h) =>
          h.createDetectorStatus(
            statusReport({
              activeDetectors: [collector.DEVICE.WIFI, collector.DEVICE.BLUETOOTH, collector.DEVICE.WIFI],
            }),
          ),
        'active_detectors[2]: repeats wifi, already listed at active_detectors[0]',
      ],
      [
        'a DEVICE_UNKNOWN radio',
        (h) => h.createDetectorStatus(statusReport({ activeDetectors: [collector.DEVICE.DEVICE_UNKNOWN] })),
        'active_detectors[0]: is DEVICE_UNKNOWN (0); expected MOBILE (1), WIFI (2) or BLUETOOTH (3)',
      ],
      [
        'a negative detection count',
        (h) => h.createDetectorStatus(statusReport({ detectionCount: { [collector.DEVICE.WIFI]: -1n } })),
        'detection_count[2]: is -1; a count is 0 to 9223372036854775807',
      ],
      [
        'a detection count of no device kind',
        (h) => h.createDetectorStatus(statusReport({ detectionCount: { 7: 1n } })),
        'detection_count[7]: is 7, not a device kind; expected MOBILE (1), WIFI (2) or BLUETOOTH (3)',
      ],
      [
        'a status time before 2000',
        (h) => h.createDetectorStatus(statusReport({ time: timestampOf(946_684_799n) })),
        'time: 1999-12-31T23:59:59.000000000Z is before 2000-01-01T00:00:00Z, the earliest accepted time',
      ],
      [
        'a status time more than 300 s ahead',
        (h) => h.createDetectorStatus(statusReport({ time: timestampOf(1_700_000_301n) })),
        'time: 2023-11-14T22:18:21.000000000Z is 301 s ahead of now (2023-11-14T22:13:20.000000000Z); at most 300 s is accepted',
      ],
      [
        'a status report at latitude 90.00001°',
        (h) =>
          h.createDetectorStatus(
            statusReport({ loc: { detectorId: 'rejected-det', latitude: 9_000_001n, longitude: 0n } }),
          ),
        'loc.latitude: is 9000001 units of 1e-5°; latitude must be within ±9000000 (±90°)',
      ],
      [
        'a status report at an int64-min longitude',
        (h) =>
          h.createDetectorStatus(
            statusReport({ loc: { detectorId: 'rejected-det', latitude: 0n, longitude: -(2n ** 63n) } }),
          ),
        'loc.longitude: is -9223372036854775808 units of 1e-5°; longitude must be within ±18000000 (±180°)',
      ],
      [
        'a status report without loc',
        (h) => h.createDetectorStatus(statusReport({ loc: undefined })),
        'loc: is missing; a status report names its detector in loc.detector_id',
      ],
      [
        'a self link after a valid source',
        (h) => h.createDetectorLink(links(['link-src', 600n], ['link-dest', 600n])),
        'src_detectors[1].detector_id: is the destination itself ("link-dest"); a detector cannot link to itself',
      ],
      [
        'max_seconds 0',
        (h) => h.createDetectorLink(links(['link-src', 0n])),
        "src_detectors[0].max_seconds: is 0; a link's maximum travel time is 1 to 86400 seconds",
      ],
      [
        'max_seconds 86401',
        (h) => h.createDetectorLink(links(['link-src', 600n], ['link-src-2', 86_401n])),
        "src_detectors[1].max_seconds: is 86401; a link's maximum travel time is 1 to 86400 seconds",
      ],
      [
        'min_seconds at max_seconds',
        (h) => h.createDetectorLink(links(['link-src', 600n, 0n], ['link-src-2', 60n, 60n])),
        "src_detectors[1].min_seconds: is 60; a link's minimum travel time is 1 to 59 seconds (below its maximum of 60), or 0 to derive it from the link's length",
      ],
      [
        'a link without sources',
        (h) => h.createDetectorLink(links()),
        'src_detectors: is empty; name at least one source detector',
      ],
      [
        'a source listed twice',
        (h) => h.createDetectorLink(links(['link-src', 600n], ['link-src', 900n])),
        'src_detectors[1].detector_id: repeats "link-src", already listed at src_detectors[0]',
      ],
      [
        'a destination with a control character',
        (h) => h.createDetectorLink({ ...links(['link-src', 600n]), destDetectorId: 'dest\t1' }),
        `dest_detector_id: has U+0009 at character 5; ${ALLOWED_DETECTOR_CHARACTERS}`,
      ],
      [
        '1,001 sources',
        (h) =>
          h.createDetectorLink(
            links(...Array.from({ length: 1_001 }, (_, i): [string, bigint] => [`link-src-${i}`, 600n])),
          ),
        'src_detectors: lists 1001 source detectors; the limit is 1000 per request',
      ],
      [
        'a link deletion without a destination',
        (h) => h.deleteDetectorLink({ destDetectorId: '', srcDetectorId: 'link-src' }),
        'dest_detector_id: is empty; an id has 1 to 64 characters',
      ],
      [
        'a link deletion of a source with a slash',
        (h) => h.deleteDetectorLink({ destDetectorId: 'link-dest', srcDetectorId: 'src/1' }),
        `src_detector_id: has U+002F '/' at character 4; ${ALLOWED_DETECTOR_CHARACTERS}`,
      ],
      [
        'a link deletion of a self link',
        (h) => h.deleteDetectorLink({ destDetectorId: 'link-dest', srcDetectorId: 'link-dest' }),
        'src_detector_id: is the destination itself ("link-dest"); a detector cannot link to itself',
      ],
      [
        'a route name with a slash',
        (h) => h.createRoute({ name: 'north/1', detectorIds: ['a', 'b'] }),
        `name: has U+002F '/' at character 6; ${ALLOWED_DETECTOR_CHARACTERS}`,
      ],
      [
        'a route of one detector',
        (h) => h.createRoute({ name: 'north', detectorIds: ['a'] }),
        'detector_ids: has 1 detectors; a route has 2 to 51',
      ],
      [
        'a route of 52 detectors',
        (h) => h.createRoute({ name: 'north', detectorIds: Array.from({ length: 52 }, (_, i) => `d${i}`) }),
        'detector_ids: has 52 detectors; a route has 2 to 51',
      ],
      [
        'a route with an invalid detector id',
        (h) => h.createRoute({ name: 'north', detectorIds: ['a', 'b', 'c\u00071'] }),
        `detector_ids[2]: has U+0007 at character 2; ${ALLOWED_DETECTOR_CHARACTERS}`,
      ],
      [
        'a route through one detector twice',
        (h) => h.createRoute({ name: 'north', detectorIds: ['a', 'b', 'a'] }),
        'detector_ids[2]: "a" is already in the route',
      ],
      [
        'a route deletion without a name',
        (h) => h.deleteRoute({ name: '' }),
        'name: is empty; an id has 1 to 64 characters',
      ],
    ];

    it.each(catalogue)(
      'refuses %s with INVALID_ARGUMENT and stores nothing',
      async (_name, send, details) => {
        expect(await statusOf(send(rejecting))).toEqual({ code: status.INVALID_ARGUMENT, details });
        expect(await rejectionStore.allEntries()).toEqual([]);
      },
    );

    it('counts the refused sightings by reason', async () => {
      const metric = await rejecting.metrics.sightingsRejected.get();
      const byReason = Object.fromEntries(
        metric.values.map((value) => [value.labels['reason'], value.value]),
      );
      // A refused log counts all its sightings, valid ones included (an empty log none).
      expect(byReason).toEqual({
        empty_log: 0,
        invalid_detector_id: 4,
        missing_detector: 1,
        too_many_sightings: 10_001,
        missing_device_id: 4,
        invalid_device_id: 4,
        missing_time: 1,
        invalid_time: 4 + 3 + 1 + 1 + 1 + 1,
      });
    });
  });

  describe('group commit', () => {
    it('groups concurrent calls into shared appends and acknowledges each once committed', async () => {
      const instrumented = new InstrumentedRepository(store.repository);
      const grouped = await CollectorHarness.start({ repository: instrumented, pseudonymiser });
      try {
        const detectorId = detector();
        instrumented.hold();
        const calls = Array.from({ length: 64 }, () =>
          grouped.createEventLog(eventLog(detectorId, [sighting('wifi')])),
        );
        // Two appends (the default) start at once and are held; the other 62 calls wait for them.
        await vi.waitFor(() => expect(grouped.useCases.pendingWrites.requests).toBe(64), { timeout: 10_000 });
        expect(instrumented.appendSizes).toEqual([1, 1]);
        instrumented.release();
        await Promise.all(calls);

        expect(instrumented.appendSizes).toEqual([1, 1, 62]);
        expect((await storedSightings(store.repository, detectorId)).length).toBe(64);
      } finally {
        await grouped.close();
      }
    });

    it('needs far fewer appends than calls when 64 calls arrive together', async () => {
      const instrumented = new InstrumentedRepository(store.repository);
      const grouped = await CollectorHarness.start({ repository: instrumented, pseudonymiser });
      try {
        const detectorId = detector();
        await Promise.all(
          Array.from({ length: 64 }, () =>
            grouped.createEventLog(eventLog(detectorId, [sighting('mobile')])),
          ),
        );
        expect(instrumented.appendSizes.reduce((sum, size) => sum + size, 0)).toBe(64);
        expect(instrumented.appendSizes.length).toBeLessThanOrEqual(16);
        expect((await storedSightings(store.repository, detectorId)).length).toBe(64);
      } finally {
        await grouped.close();
      }
    });
  });

  describe('backpressure', () => {
    it('stops reading a stream once its uncommitted sightings reach the limit, then stores every log', async () => {
      const instrumented = new InstrumentedRepository(store.repository);
      const slowed = await CollectorHarness.start({
        repository: instrumented,
        pseudonymiser,
        limits: { maxSightingsInFlightPerStream: 8 },
      });
      try {
        const detectorId = detector();
        // Logs of 2 sightings: the fourth reaches the limit of 8.
        const logs = Array.from({ length: 300 }, () =>
          eventLog(detectorId, [sighting('wifi'), sighting('wifi')]),
        );
        instrumented.hold();
        const response = slowed.streamEventLogs(logs);

        await vi.waitFor(() => expect(slowed.clockReads).toBe(4), { timeout: 10_000 });
        // Give the sender time to push more; the server must not read on while the store is held.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(slowed.clockReads).toBe(4);
        expect(slowed.useCases.pendingWrites).toEqual({ requests: 4, sightings: 8 });

        instrumented.release();
        expect(await response).toEqual({ wifi: 600n, bluetooth: 0n, mobile: 0n });
        expect(slowed.clockReads).toBe(300);
        expect((await storedSightings(store.repository, detectorId)).length).toBe(600);
        expect(instrumented.appendSizes.length).toBeLessThan(300);
        const ingested = await slowed.metrics.sightingsIngested.get();
        expect(ingested.values.map(({ labels, value }) => [labels['kind'], value])).toEqual([
          ['wifi', 600],
          ['bluetooth', 0],
          ['mobile', 0],
        ]);
      } finally {
        await slowed.close();
      }
    });
  });

  describe('privacy', () => {
    it('never stores or logs a raw device id', async () => {
      const entries = await store.allEntries();
      expect(entries.length).toBeGreaterThan(10_000);
      const decoder = new TextDecoder();
      const stored = entries.map(({ key, value }) => {
        const text = decoder.decode(value);
        return `${key}\n${text}\n${Buffer.from(text, 'base64').toString('utf8')}`;
      });
      const files = (await store.files?.()) ?? [];
      const logged = harness.logLines.join('\n');
      expect(rawIdsSent.size).toBeGreaterThan(100);
      for (const raw of rawIdsSent) {
        expect(stored.some((text) => text.includes(raw))).toBe(false);
        expect(logged.includes(raw)).toBe(false);
        for (const file of files) expect(file.includes(raw)).toBe(false);
      }
    });
  });
});

describe('an unreachable store', () => {
  let harness: CollectorHarness;
  let repository: KvRepository;

  beforeAll(async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const backend = new EtcdBackend({
      hosts: `http://127.0.0.1:${closedPort}`,
      callTimeoutMs: 1_000,
      healthTimeoutMs: 500,
    });
    repository = new KvRepository(backend, { prefix: 'unreachable' });
    harness = await CollectorHarness.start({ repository });
  });
  afterAll(async () => {
    await harness?.close();
    await repository?.close();
  });

  const unavailable = { code: status.UNAVAILABLE, details: 'store unavailable, try again later' };

  it('answers UNAVAILABLE to CreateEventLog, StreamEventLog, CreateCoordinates and DeleteDetectorLink', async () => {
    const log = eventLog('det-1', [sighting('wifi')]);
    expect(await statusOf(harness.createEventLog(log))).toEqual(unavailable);
    expect(await statusOf(harness.streamEventLogs([log, log]))).toEqual(unavailable);
    expect(
      await statusOf(harness.createCoordinates({ detectorId: 'det-1', latitude: 1n, longitude: 1n })),
    ).toEqual(unavailable);
    expect(
      await statusOf(harness.deleteDetectorLink({ destDetectorId: 'det-2', srcDetectorId: 'det-1' })),
    ).toEqual(unavailable);
  });

  it('answers UNAVAILABLE to CreateRoute and DeleteRoute', async () => {
    expect(await statusOf(harness.createRoute({ name: 'north', detectorIds: ['det-1', 'det-2'] }))).toEqual(
      unavailable,
    );
    expect(await statusOf(harness.deleteRoute({ name: 'north' }))).toEqual(unavailable);
  });
});

import { status, type ServiceError } from '@grpc/grpc-js';
import {
  alertId,
  parseRouteName,
  type Alert,
  type AlertKind,
  type AlertSeverity,
  type AlertSubject,
  type DetectorHealth,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import { query } from '@message-bus/proto';
import type { Repository } from '@message-bus/repository';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BASE_TIME,
  countingTrafficFollows,
  detector,
  expectStatus,
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
const { AlertKind: Kind, AlertSeverity: Severity } = query;

function alert(
  kind: AlertKind,
  severity: AlertSeverity,
  subject: AlertSubject,
  start: UnixNanos,
  more: Partial<Alert> = {},
): Alert {
  return {
    id: alertId(kind, subject, start),
    kind,
    severity,
    subject,
    start,
    updated: start,
    evidence: `${kind} on ${subject.kind}`,
    figures: {},
    ...more,
  };
}

describe.each(storeCases)('alerts and detector health over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let counted: ReturnType<typeof countingTrafficFollows>;
  let healthReads = 0;
  let server: QueryServer;
  let calls: ReturnType<typeof queryCalls>;
  const [source, destination, x] = ['s', 'd', 'x'].map(detector) as [DetectorId, DetectorId, DetectorId];
  const congestion = alert('congestion', 'warning', { kind: 'link', source, destination }, minute(1), {
    evidence: 'travel time 412 s is 2.6x the typical 158 s for 4 of the last 5 intervals',
    figures: { ratio_to_typical: 2.6, intervals_over: 4 },
    updated: minute(2),
  });
  const battery = alert('battery_low', 'info', { kind: 'detector', detectorId: x }, minute(3));
  const silent = alert('detector_silent', 'critical', { kind: 'detector', detectorId: x }, minute(5), {
    end: minute(8),
    updated: minute(8),
  });
  const routeCongestion = alert(
    'congestion',
    'critical',
    { kind: 'route', route: parseRouteName('corridor') },
    minute(5),
  );
  /** Newest start first; the two of minute 5 by id. */
  const newestFirst = [
    ...[silent, routeCongestion].sort((a, b) => (a.id < b.id ? -1 : 1)),
    battery,
    congestion,
  ];
  const ids = (response: query.ListAlertsResponse) => response.alerts.map((each) => each.id);

  beforeAll(async () => {
    store = await storeCase.open();
    await store.repository.alerts.put([congestion, battery, silent, routeCongestion]);
    counted = countingTrafficFollows(store.repository);
    const health = store.repository.detectorHealth;
    const repository: Repository = {
      ...counted.repository,
      detectorHealth: {
        put: (records) => health.put(records),
        list: () => {
          healthReads += 1;
          return health.list();
        },
      },
    };
    server = await startQueryServer(repository);
    calls = queryCalls(server.client);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  describe('ListAlerts', () => {
    it('lists every alert newest start first, each field on the wire', async () => {
      const all = await calls.listAlerts();
      expect(ids(all)).toEqual(newestFirst.map((each) => each.id));
      expect(all.nextPageToken).toBe('');
      expect(all.alerts.find((each) => each.id === congestion.id)).toEqual({
        id: congestion.id,
        kind: Kind.ALERT_KIND_CONGESTION,
        severity: Severity.ALERT_SEVERITY_WARNING,
        start: timestamp(minute(1)),
        end: undefined,
        subject: { $case: 'link', value: { sourceDetectorId: source, destDetectorId: destination } },
        evidence: 'travel time 412 s is 2.6x the typical 158 s for 4 of the last 5 intervals',
        figures: { ratio_to_typical: 2.6, intervals_over: 4 },
        updated: timestamp(minute(2)),
      });
      expect(all.alerts.find((each) => each.id === silent.id)).toMatchObject({
        kind: Kind.ALERT_KIND_DETECTOR_SILENT,
        severity: Severity.ALERT_SEVERITY_CRITICAL,
        end: timestamp(minute(8)),
        subject: { $case: 'detectorId', value: x },
      });
      expect(all.alerts.find((each) => each.id === routeCongestion.id)?.subject).toEqual({
        $case: 'route',
        value: 'corridor',
      });
    });

    it('filters by kinds, least severity, open only and range', async () => {
      const byKind = await calls.listAlerts({ kinds: [Kind.ALERT_KIND_CONGESTION] });
      expect(ids(byKind)).toEqual([routeCongestion.id, congestion.id]);
      const twoKinds = await calls.listAlerts({
        kinds: [Kind.ALERT_KIND_BATTERY_LOW, Kind.ALERT_KIND_DETECTOR_SILENT],
      });
      expect(ids(twoKinds)).toEqual([silent.id, battery.id]);
      const critical = await calls.listAlerts({ minSeverity: Severity.ALERT_SEVERITY_CRITICAL });
      expect(ids(critical)).toEqual(
        newestFirst.filter((each) => each.severity === 'critical').map((each) => each.id),
      );
      const warningUp = await calls.listAlerts({ minSeverity: Severity.ALERT_SEVERITY_WARNING });
      expect(ids(warningUp)).toEqual(newestFirst.filter((each) => each !== battery).map((each) => each.id));
      const open = await calls.listAlerts({ openOnly: true });
      expect(ids(open)).toEqual(newestFirst.filter((each) => each !== silent).map((each) => each.id));
      // Open at some time in [minute 9, …): the silent alert ended at minute 8.
      const lately = await calls.listAlerts({ range: { after: timestamp(minute(9)) } });
      expect(ids(lately)).toEqual(ids(open));
      const early = await calls.listAlerts({ range: { before: timestamp(minute(2)) } });
      expect(ids(early)).toEqual([congestion.id]);
    });

    it('pages by position, and refuses another list’s token and bad enums, naming the field', async () => {
      const walked: string[] = [];
      let pageToken = '';
      do {
        const page = await calls.listAlerts({ pageSize: 1, pageToken });
        walked.push(...ids(page));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      expect(walked).toEqual(newestFirst.map((each) => each.id));

      const twoOfThree = await calls.listAlerts({ pageSize: 2, openOnly: true });
      expect(ids(twoOfThree)).toEqual(ids(await calls.listAlerts({ openOnly: true })).slice(0, 2));
      const rest = await calls.listAlerts({
        pageSize: 2,
        openOnly: true,
        pageToken: twoOfThree.nextPageToken,
      });
      expect(ids(rest)).toEqual([congestion.id]);

      const routesToken = Buffer.from('routes:1:corridor').toString('base64url');
      await expectStatus(
        calls.listAlerts({ pageToken: routesToken }),
        status.INVALID_ARGUMENT,
        'page_token: is not a next_page_token of ListAlerts; send one unchanged, or empty for the first page',
      );
      await expectStatus(
        calls.listRoutes({ pageToken: twoOfThree.nextPageToken }),
        status.INVALID_ARGUMENT,
        'page_token: is not a next_page_token of ListRoutes; send one unchanged, or empty for the first page',
      );
      const kinds =
        'ALERT_KIND_CONGESTION, ALERT_KIND_DETECTOR_SILENT, ALERT_KIND_BATTERY_LOW, ALERT_KIND_CLOCK_SKEW, ' +
        'ALERT_KIND_NEVER_MATCHES';
      await expectStatus(
        calls.listAlerts({ kinds: [Kind.ALERT_KIND_CONGESTION, Kind.ALERT_KIND_UNSPECIFIED] }),
        status.INVALID_ARGUMENT,
        `kinds[1]: is ALERT_KIND_UNSPECIFIED; leave kinds empty for every kind, or choose ${kinds}`,
      );
      await expectStatus(
        calls.listAlerts({ kinds: [9 as query.AlertKind] }),
        status.INVALID_ARGUMENT,
        `kinds[0]: is 9, not a known alert kind; choose ${kinds}`,
      );
      await expectStatus(
        calls.listAlerts({ minSeverity: 4 as query.AlertSeverity }),
        status.INVALID_ARGUMENT,
        'min_severity: is 4, not a known severity; choose ALERT_SEVERITY_INFO, _WARNING or _CRITICAL, or leave it unspecified',
      );
      await expectStatus(
        calls.listAlerts({ pageSize: 1_001 }),
        status.INVALID_ARGUMENT,
        'page_size: must be 0 (the default, 1000) to 1000, got 1001',
      );
    });
  });

  describe('StreamAlerts', () => {
    const following = async (request: query.DeepPartial<query.StreamAlertsRequest>) => {
      const before = counted.activeFollows();
      const reader = new StreamReader(
        server.client.streamAlerts(query.StreamAlertsRequest.fromPartial(request)),
      );
      await vi.waitFor(() => expect(counted.activeFollows()).toBe(before + 1), {
        timeout: 10_000,
        interval: 20,
      });
      return reader;
    };

    it('sends alerts raised, updated or cleared after the call, filtered, until the client cancels', async () => {
      const every = await following({});
      const batteryWarnings = await following({
        kinds: [Kind.ALERT_KIND_BATTERY_LOW],
        minSeverity: Severity.ALERT_SEVERITY_WARNING,
      });
      const other = detector('stream');
      const raised = alert('battery_low', 'info', { kind: 'detector', detectorId: other }, minute(20));
      const worse = { ...raised, severity: 'critical' as const, updated: minute(21) };
      const cleared = { ...worse, end: minute(22), updated: minute(22) };
      const clock = alert('clock_skew', 'critical', { kind: 'detector', detectorId: other }, minute(20));
      for (const each of [raised, clock, worse, cleared]) await store.repository.alerts.put([each]);

      const received = await every.waitForCount(4);
      expect(received.map((each) => [each.id, each.severity, each.end])).toEqual([
        [raised.id, Severity.ALERT_SEVERITY_INFO, undefined],
        [clock.id, Severity.ALERT_SEVERITY_CRITICAL, undefined],
        [raised.id, Severity.ALERT_SEVERITY_CRITICAL, undefined],
        [raised.id, Severity.ALERT_SEVERITY_CRITICAL, timestamp(minute(22))],
      ]);
      expect((await batteryWarnings.waitForCount(2)).map((each) => each.updated)).toEqual([
        timestamp(minute(21)),
        timestamp(minute(22)),
      ]);
      for (const reader of [every, batteryWarnings]) reader.call.cancel();
      expect((await every.ended)?.code).toBe(status.CANCELLED);
      await vi.waitFor(() => expect(counted.activeFollows()).toBe(0), { timeout: 10_000, interval: 20 });
      expect([every.received.length, batteryWarnings.received.length]).toEqual([4, 2]);
    });

    it('refuses a bad filter before following the store', async () => {
      const stream = server.client.streamAlerts(
        query.StreamAlertsRequest.fromPartial({ minSeverity: 9 as query.AlertSeverity }),
      );
      const error = await new Promise<ServiceError>((resolve, reject) => {
        stream.on('error', resolve);
        stream.on('data', () => reject(new Error('the stream sent an alert')));
        stream.on('end', () => reject(new Error('the stream ended without an error')));
      });
      expect({ code: error.code, details: error.details, follows: counted.activeFollows() }).toEqual({
        code: status.INVALID_ARGUMENT,
        details:
          'min_severity: is 9, not a known severity; choose ALERT_SEVERITY_INFO, _WARNING or _CRITICAL, or leave it unspecified',
        follows: 0,
      });
    });
  });

  it('ListDetectors carries each detector’s health, read once per page', async () => {
    const [healthy, troubled] = ['h1', 'h2'].map(detector) as [DetectorId, DetectorId];
    for (const detectorId of [healthy, troubled]) {
      await store.repository.detectors.putCoordinates({
        detectorId,
        coordinates: { latitude: 1, longitude: 2 },
      });
    }
    const troubledHealth: DetectorHealth = {
      detectorId: troubled,
      checkedAt: minute(30),
      lastSeen: minute(29),
      problems: ['battery_low', 'clock_skew'],
      clockSkewSeconds: 4.5,
      batteryVoltsPerDay: -0.25,
    };
    await store.repository.detectorHealth.put([
      troubledHealth,
      { detectorId: healthy, checkedAt: minute(30), problems: [] },
    ]);
    const readsBefore = healthReads;

    const first = await calls.listDetectors({ pageSize: 1 });
    const second = await calls.listDetectors({ pageSize: 1, pageToken: first.nextPageToken });
    const byId = new Map(
      [...first.detectors, ...second.detectors].map((each) => [each.loc?.detectorId, each.health]),
    );
    expect(healthReads - readsBefore).toBe(2);
    expect(byId.get(troubled)).toEqual({
      lastSeen: timestamp(minute(29)),
      problems: [Kind.ALERT_KIND_BATTERY_LOW, Kind.ALERT_KIND_CLOCK_SKEW],
      clockSkewSeconds: 4.5,
      batteryVoltsPerDay: -0.25,
      checkedAt: timestamp(minute(30)),
    });
    expect(byId.get(healthy)).toEqual({
      lastSeen: undefined,
      problems: [],
      checkedAt: timestamp(minute(30)),
    });
  });
});

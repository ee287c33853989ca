import { status } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BASE_TIME,
  detector,
  expectStatus,
  queryCalls,
  startQueryServer,
  storeCases,
  StreamReader,
  timestamp,
  withEvents,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';
import { eventLoopTurns, PAGE, PagedEvents } from '../test/paged-events';

const [embedded] = storeCases;
const SCANS =
  'GetEvents, GetBatteryVoltage, GetTravelTimes, GetOriginDestination, GetReliability and StreamEvents replays';
const CONNECTION_BOUND =
  'the most one connection may (maxConcurrentScansPerConnection); wait for one to end or cancel it, then retry';

describe('scans over gRPC: admitted under a bound, stopped and released on cancel', () => {
  let store: OpenStore;
  let endless: PagedEvents;
  let server: QueryServer;
  const endlessDetector = detector('endless');
  const quietDetector = detector('quiet');

  beforeAll(async () => {
    store = await embedded!.open();
  });
  afterAll(() => store.close());
  afterEach(() => server.stop());

  async function serve(limits: { maxConcurrentScans: number; maxConcurrentScansPerConnection: number }) {
    endless = new PagedEvents(endlessDetector, Infinity, store.repository.events);
    server = await startQueryServer(withEvents(store.repository, endless), limits);
    return queryCalls(server.client);
  }

  /** Asserts the endless scan has stopped: the store hands out at most one more page. */
  async function expectScanStopped(): Promise<void> {
    const readNow = endless.read();
    await eventLoopTurns(50);
    expect(endless.read() - readNow).toBeLessThanOrEqual(PAGE);
  }

  it('refuses a scan beyond the connection’s bound while a StreamEvents replays, and admits it once that is cancelled', async () => {
    const calls = await serve({ maxConcurrentScans: 4, maxConcurrentScansPerConnection: 1 });
    const replaying = new StreamReader(
      server.client.streamEvents(
        query.GetEventsRequest.fromPartial({ detectorIds: [endlessDetector], limit: 100_000n }),
      ),
    );
    await vi.waitFor(() => expect(endless.read()).toBeGreaterThan(2 * PAGE), { interval: 5 });

    await expectStatus(
      calls.getEvents({ detectorIds: [quietDetector] }),
      status.RESOURCE_EXHAUSTED,
      `GetEvents: this connection already runs 1 scans (${SCANS}), ${CONNECTION_BOUND}`,
    );

    replaying.call.cancel();
    await vi.waitFor(() => calls.getEvents({ detectorIds: [quietDetector] }), {
      timeout: 10_000,
      interval: 20,
    });
    await expectScanStopped();
  });

  it('stops reading the store for a cancelled GetEvents and frees its slot on the server', async () => {
    const calls = await serve({ maxConcurrentScans: 1, maxConcurrentScansPerConnection: 1 });
    const cancelled = server.client.getEvents(
      query.GetEventsRequest.fromPartial({ detectorIds: [endlessDetector], limit: 100_000n }),
      () => undefined,
    );
    await vi.waitFor(() => expect(endless.read()).toBeGreaterThan(2 * PAGE), { interval: 5 });
    await expectStatus(
      calls.getBatteryVoltage({ detectorIds: [quietDetector] }),
      status.RESOURCE_EXHAUSTED,
      `GetBatteryVoltage: this connection already runs 1 scans (${SCANS}), ${CONNECTION_BOUND}`,
    );

    cancelled.cancel();
    await vi.waitFor(() => calls.getEvents({ detectorIds: [quietDetector] }), {
      timeout: 10_000,
      interval: 20,
    });
    await expectScanStopped();
  });

  it('frees a StreamEvents’ slot once its replay is sent, while it goes on following', async () => {
    const calls = await serve({ maxConcurrentScans: 1, maxConcurrentScansPerConnection: 1 });
    const following = new StreamReader(
      server.client.streamEvents(query.GetEventsRequest.fromPartial({ detectorIds: [quietDetector] })),
    );
    await vi.waitFor(() => calls.getEvents({ detectorIds: [quietDetector] }), {
      timeout: 10_000,
      interval: 20,
    });
    following.call.cancel();
  });

  it('admits GetOriginDestination and GetReliability as scans, and stops a cancelled one’s reading', async () => {
    // Oldest first, as the trip count reads, needs a finite store: far more than it gets through.
    endless = new PagedEvents(endlessDetector, 100_000_000, store.repository.events);
    server = await startQueryServer(withEvents(store.repository, endless), {
      maxConcurrentScans: 1,
      maxConcurrentScansPerConnection: 1,
    });
    const calls = queryCalls(server.client);
    const range = { after: timestamp(BASE_TIME - 86_400_000_000_000n), before: timestamp(BASE_TIME) };
    const cancelled = server.client.getOriginDestination(
      query.GetOriginDestinationRequest.fromPartial({ detectorIds: [endlessDetector, quietDetector], range }),
      () => undefined,
    );
    await vi.waitFor(() => expect(endless.read()).toBeGreaterThan(2 * PAGE), { interval: 5 });
    const link = { sourceDetectorId: quietDetector, destDetectorId: endlessDetector };
    await expectStatus(
      calls.getReliability({ target: { target: { $case: 'link', value: link } }, range }),
      status.RESOURCE_EXHAUSTED,
      `GetReliability: this connection already runs 1 scans (${SCANS}), ${CONNECTION_BOUND}`,
    );

    cancelled.cancel();
    const quietPair = [quietDetector, detector('quiet-too')];
    await vi.waitFor(() => calls.getOriginDestination({ detectorIds: quietPair, range }), {
      timeout: 10_000,
      interval: 20,
    });
    await expectScanStopped();
  });
});

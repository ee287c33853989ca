import { status } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  detector,
  expectStatus,
  queryCalls,
  startQueryServer,
  storeCases,
  StreamReader,
  withEvents,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';
import { eventLoopTurns, PAGE, PagedEvents } from '../test/paged-events';

const [embedded] = storeCases;

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
      'GetEvents: this connection already runs 1 scans (GetEvents, GetBatteryVoltage, GetTravelTimes, ' +
        'GetOriginDestination, GetReliability and StreamEvents replays), the most one connection may (maxConcurrentScansPerConnection); wait for one ' +
        'to end or cancel it, then retry',
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
      'GetBatteryVoltage: this connection already runs 1 scans (GetEvents, GetBatteryVoltage, GetTravelTimes, ' +
        'GetOriginDestination, GetReliability and StreamEvents replays), the most one connection may (maxConcurrentScansPerConnection); wait for ' +
        'one to end or cancel it, then retry',
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
});

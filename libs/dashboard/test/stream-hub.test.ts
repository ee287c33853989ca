import { parseDetectorId } from '@message-bus/domain';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../src';
import {
  EventStreamReader,
  openTestStore,
  startQueryServer,
  startTestDashboard,
  writeTestPages,
  type TestDashboard,
  type TestQueryServer,
  type TestStore,
} from './dashboard-harness';

const [source, destination] = [parseDetectorId('hub-src'), parseDetectorId('hub-dst')];
const estimate = (minute: number) => ({
  source,
  destination,
  intervalEnd: (BigInt(Date.now()) - 600_000n + BigInt(minute) * 60_000n) * 1_000_000n,
  windowSeconds: 300,
  medianSeconds: 100 + minute,
  validSamples: 3,
  totalSamples: 3,
  status: 'ok' as const,
});

describe('/api/stream', () => {
  let store: TestStore;
  let queryServer: TestQueryServer;
  let pages: Awaited<ReturnType<typeof writeTestPages>>;
  let dashboard: TestDashboard;

  beforeAll(async () => {
    store = await openTestStore();
    await store.repository.detectors.putCoordinates({
      detectorId: source,
      coordinates: { latitude: 1, longitude: 1 },
    });
    queryServer = await startQueryServer(store.repository);
    pages = await writeTestPages();
    dashboard = await startTestDashboard({
      query: createQueryClient({ address: queryServer.address }),
      webRoot: pages.webRoot,
      streamTimings: { detectorsEveryMs: 100, heartbeatEveryMs: 50, backoff: { initialMs: 20, maxMs: 200 } },
    });
  });
  afterAll(async () => {
    await dashboard?.server.close();
    await queryServer?.stop();
    await store?.close();
    await pages?.remove();
  });

  it('sends heartbeats and the detectors periodically', async () => {
    const reader = new EventStreamReader(await dashboard.get('/api/stream'));
    await vi.waitFor(
      () => {
        expect(reader.comments.filter((comment) => comment === 'heartbeat').length).toBeGreaterThanOrEqual(2);
        expect(reader.events).toContainEqual({
          type: 'detectors',
          data: { type: 'detectors', detectors: [expect.objectContaining({ id: source })] },
        });
      },
      { timeout: 10_000, interval: 20 },
    );
    reader.close();
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(0), { timeout: 10_000, interval: 20 });
  });

  it('reopens the upstream stream after the query service comes back', async () => {
    const reader = new EventStreamReader(await dashboard.get('/api/stream'));
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(1), { timeout: 10_000, interval: 20 });
    const port = Number(queryServer.address.split(':')[1]);
    await queryServer.stop();
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(0), { timeout: 10_000, interval: 20 });
    queryServer = await startQueryServer(store.repository, port);
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(1), { timeout: 10_000, interval: 20 });
    await store.repository.travelTimes.put([estimate(1)]);
    await vi.waitFor(
      () =>
        expect(reader.events).toContainEqual({
          type: 'link',
          data: expect.objectContaining({
            source,
            destination,
            estimate: expect.objectContaining({ medianSeconds: 101 }),
          }),
        }),
      { timeout: 10_000, interval: 20 },
    );
    reader.close();
  });

  it('ends every browser stream when the server closes', async () => {
    const reader = new EventStreamReader(await dashboard.get('/api/stream'));
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(1), { timeout: 10_000, interval: 20 });
    await dashboard.server.close();
    await reader.done;
    await vi.waitFor(() => expect(store.activeLinkFollows()).toBe(0), { timeout: 10_000, interval: 20 });
  });
});

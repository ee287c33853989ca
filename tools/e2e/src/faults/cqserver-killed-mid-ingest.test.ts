import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cleanup } from '@message-bus/tools/cleanup';
import { startCqserver, type TestStore } from '../support/cqserver';
import { queryClient } from '../support/grpc-clients';
import { RetryingStreamSender } from '../support/retrying-stream-sender';
import { SightingPlan } from '../support/sighting-plan';
import { readStoredSightings } from '../support/stored-sightings';

const sightings = 20_000;

interface StoreCase {
  readonly name: string;
  /** Prepares an empty store for one test; what it creates is undone by `cleanup`. */
  open(cleanup: Cleanup): Promise<TestStore>;
}

const embedded: StoreCase = {
  name: 'embedded store',
  async open(cleanup) {
    const dataDir = await mkdtemp(join(tmpdir(), 'e2e-cqserver-kill-'));
    cleanup.add('remove the data directory', dataDir, (dir) => rm(dir, { recursive: true, force: true }));
    return { kind: 'embedded', dataDir };
  },
};

const etcd: StoreCase = {
  name: 'etcd',
  async open(cleanup) {
    const [endpoint] = etcdEndpoints();
    const prefix = `faults-${randomUUID()}`;
    const client = cleanup.add('close the etcd client', new Etcd3({ hosts: endpoint! }), (client) =>
      client.close(),
    );
    cleanup.add('delete the keys of this test', prefix, (prefix) => client.delete().prefix(`/${prefix}/`));
    return { kind: 'etcd', endpoint: endpoint!, prefix };
  },
};

describe.each([embedded, etcd])('cqserver SIGKILLed mid-ingest and restarted, on the $name', (storeCase) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('holds each sighting exactly once after the client resends what was not acknowledged', async () => {
    const store = await storeCase.open(cleanup);
    const cqserver = cleanup.add('kill cqserver', await startCqserver(store), (cqserver) => cqserver.kill());
    const plan = new SightingPlan({
      tag: `cq-kill-${store.kind}`,
      sightings,
      sightingsPerLog: 100,
      detectors: 5,
      firstTimeMs: Date.now() - 3_600_000,
    });
    const sender = new RetryingStreamSender(plan.streams(5), {
      collectorAddress: () => cqserver.address('collector'),
      concurrency: 4,
      giveUpAfterMs: 150_000,
    });
    const sending = sender.run();
    sending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

    await vi.waitFor(() => expect(sender.ackedSightings).toBeGreaterThanOrEqual(sightings * 0.4), {
      timeout: 90_000,
      interval: 10,
    });
    const ackedBeforeKill = sender.ackedSightings;
    await cqserver.kill('SIGKILL');
    // Meanwhile the sender's attempts fail against the dead port; after the restart it
    // finds the new port and resends every stream that was not acknowledged.
    await cqserver.start();
    const report = await sending;

    const query = cleanup.add('close the query client', queryClient(cqserver.address('query')), (client) =>
      client.close(),
    );
    const stored = await readStoredSightings(query, plan);
    console.log(
      `cqserver SIGKILL mid-stream (${storeCase.name}): sent ${plan.sightingCount} in ${report.streams} streams, ` +
        `acked ${report.sightings} (${ackedBeforeKill} before the kill), stored ${stored.stored}, ` +
        `distinct ${stored.distinct}, duplicates ${stored.duplicates}, missing ${stored.missing}, ` +
        `resent streams ${report.attempts - report.streams} ${JSON.stringify(report.failures)}, cqserver restarts 1`,
    );
    expect(ackedBeforeKill).toBeLessThan(sightings);
    expect(report.attempts).toBeGreaterThan(report.streams);
    expect(report.sightings).toBe(sightings);
    expect(stored).toMatchObject({
      stored: sightings,
      distinct: sightings,
      duplicates: 0,
      missing: 0,
      unexpected: 0,
    });
  }, 240_000);
});

import { startThrowawayEtcd } from '@message-bus/tools/etcd';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cleanup } from '@message-bus/tools/cleanup';
import { startCqserver } from '../support/cqserver';
import { queryClient } from '../support/grpc-clients';
import { RetryingStreamSender } from '../support/retrying-stream-sender';
import { SightingPlan } from '../support/sighting-plan';
import { readStoredSightings } from '../support/stored-sightings';

const sightings = 100_000;

describe('etcd SIGKILLed in the middle of a streamed ingest through cqserver, and restarted', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  // The limits bound a hang, not a speed: the test took 29 s on a quiet machine, 61–171 s
  // at a load average of 28–40 (of 240 s then).
  it('ends with exactly the acknowledged sightings stored: none lost, none duplicated', async () => {
    const etcd = cleanup.add('remove etcd', await startThrowawayEtcd(), (etcd) => etcd.remove());
    const cqserver = cleanup.add(
      'kill cqserver',
      await startCqserver({ kind: 'etcd', endpoint: etcd.endpoint, prefix: 'faults' }),
      (cqserver) => cqserver.kill(),
    );
    const plan = new SightingPlan({
      tag: 'etcd-kill',
      sightings,
      sightingsPerLog: 100,
      detectors: 10,
      firstTimeMs: Date.now() - 3_600_000,
    });
    // 100 streams of 10 logs of 100 sightings, 4 in flight.
    const sender = new RetryingStreamSender(plan.streams(10), {
      collectorAddress: () => cqserver.address('collector'),
      concurrency: 4,
      giveUpAfterMs: 300_000,
    });
    const sending = sender.run();
    sending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

    await vi.waitFor(() => expect(sender.ackedSightings).toBeGreaterThanOrEqual(sightings * 0.3), {
      timeout: 180_000,
      interval: 10,
    });
    const ackedBeforeKill = sender.ackedSightings;
    await etcd.kill('SIGKILL');
    // Down until a stream in flight has failed, as in a real crash: the server retries a
    // call within its deadline, so an etcd back within a few seconds would hide the kill.
    await vi.waitFor(() => expect(sender.failedAttempts).toBeGreaterThan(0), {
      timeout: 120_000,
      interval: 50,
    });
    await etcd.start();
    const report = await sending;

    const query = cleanup.add('close the query client', queryClient(cqserver.address('query')), (client) =>
      client.close(),
    );
    const stored = await readStoredSightings(query, plan);
    console.log(
      `etcd SIGKILL mid-stream: sent ${plan.sightingCount} in ${report.streams} streams, ` +
        `acked ${report.sightings} (${ackedBeforeKill} before the kill), stored ${stored.stored}, ` +
        `distinct ${stored.distinct}, duplicates ${stored.duplicates}, missing ${stored.missing}, ` +
        `resent streams ${report.attempts - report.streams} ${JSON.stringify(report.failures)}, etcd restarts 1`,
    );
    expect(ackedBeforeKill).toBeLessThan(sightings); // the kill came mid-ingest...
    expect(report.attempts).toBeGreaterThan(report.streams); // ...and failed streams in flight, which were resent
    expect(report.sightings).toBe(sightings);
    expect(stored).toMatchObject({
      stored: sightings,
      distinct: sightings,
      duplicates: 0,
      missing: 0,
      unexpected: 0,
    });
  }, 400_000);
});

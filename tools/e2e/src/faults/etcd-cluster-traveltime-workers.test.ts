import { randomUUID } from 'node:crypto';
import { parseDetectorId } from '@message-bus/domain';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';
import { Cleanup } from '@message-bus/tools/cleanup';
import { startEtcdCluster } from '@message-bus/tools/etcd';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  attributeEstimates,
  countBy,
  KeyChangeLog,
  startTraveltimeWorker,
  tripMaker,
} from '../support/travel-time-writes';

const intervalSeconds = 1;
const leaseTtlSeconds = 3;
const NANOS_PER_SECOND = 1_000_000_000n;

const source = parseDetectorId('tt-source');
const destination = parseDetectorId('tt-destination');

describe('two travel-time workers on a three-member etcd cluster whose leader is SIGKILLed', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('go on writing every interval exactly once, each by the holder of the destination', async () => {
    const cluster = cleanup.add(
      'remove the etcd cluster',
      await startEtcdCluster({ members: 3 }),
      (cluster) => cluster.remove(),
    );
    const prefix = `tt-cluster-${randomUUID()}`;
    const etcd = cleanup.add(
      'close the etcd client',
      new Etcd3({ hosts: [...cluster.endpoints] }),
      (client) => client.close(),
    );
    const repository = cleanup.add(
      'close the repository',
      // Trips are appended once complete, so their sightings read as stored data, not late.
      new KvRepository(new EtcdBackend({ hosts: cluster.endpoints }), { prefix, lateAfterSeconds: 3600 }),
      (repository) => repository.close(),
    );

    // Every put under the prefix: an estimate written twice shows as two puts of its key.
    const changeLog = cleanup.add('cancel the watch', await KeyChangeLog.start(etcd, prefix), (log) =>
      log.cancel(),
    );
    const { changes } = changeLog;

    await repository.links.put({ source, destination, maxSeconds: 300 });
    const trip = tripMaker(source, destination);
    const nowNanos = () => BigInt(Date.now()) * 1_000_000n;
    const feeder = cleanup.add(
      'stop the sighting feeder',
      setInterval(() => void repository.events.append(trip(nowNanos())).catch(() => undefined), 500),
      (timer) => clearInterval(timer),
    );
    feeder.unref();

    const startWorker = () =>
      startTraveltimeWorker({ endpoints: cluster.endpoints, prefix, intervalSeconds, leaseTtlSeconds });
    const workers = await Promise.all([startWorker(), startWorker()]);
    for (const worker of workers) cleanup.add('stop a worker', worker, (worker) => worker.kill());

    const lockKey = `/${prefix}/locks/traveltime/${destination}`;
    const estimatePrefix = `/${prefix}/traveltimes/${destination}/${source}/`;
    const estimates = () => attributeEstimates(changes, lockKey, estimatePrefix);
    await vi.waitFor(() => expect(estimates().length).toBeGreaterThanOrEqual(3), {
      timeout: 60_000,
      interval: 50,
    });

    const leader = await cluster.waitForLeader();
    await cluster.member(leader).kill();
    const writtenBeforeElection = estimates().length;
    await cluster.waitForLeader(60_000);
    // A few intervals after the election, written by whoever holds the destination then.
    await vi.waitFor(() => expect(estimates().length).toBeGreaterThanOrEqual(writtenBeforeElection + 5), {
      timeout: 60_000,
      interval: 50,
    });
    await Promise.all(workers.map((worker) => worker.stop()));
    changeLog.stop();

    const written = estimates();
    const ends = written.map((estimate) => estimate.intervalEnd);
    const interval = BigInt(intervalSeconds) * NANOS_PER_SECOND;
    const steps = ends.slice(1).map((end, i) => (end - ends[i]!) / interval);
    const putsPerKey = countBy(written.map((estimate) => estimate.key));
    const stored = await repository.travelTimes.list({ links: [{ source, destination }] });

    expect(written.filter((estimate) => estimate.holder === undefined)).toEqual([]); // each put by a holder
    expect([...putsPerKey.values()].filter((puts) => puts > 1)).toEqual([]); // no interval twice
    expect(steps.filter((step) => step !== 1n)).toEqual([]); // none skipped
    expect(stored.map((estimate) => estimate.intervalEnd)).toEqual(ends);
  }, 150_000);
});

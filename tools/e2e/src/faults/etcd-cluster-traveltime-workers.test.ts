import { randomUUID } from 'node:crypto';
import { parseDetectorId, type Sighting } from '@message-bus/domain';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';
import { AppProcess } from '@message-bus/tools/app-process';
import { Cleanup } from '@message-bus/tools/cleanup';
import { startEtcdCluster } from '@message-bus/tools/etcd';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';

const intervalSeconds = 1;
const leaseTtlSeconds = 3;
const NANOS_PER_SECOND = 1_000_000_000n;

const source = parseDetectorId('tt-source');
const destination = parseDetectorId('tt-destination');

/** One put or delete seen by the watch on the deployment's prefix. */
interface KeyChange {
  readonly revision: bigint;
  readonly kind: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
}

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
    const changes: KeyChange[] = [];
    const watcher = cleanup.add(
      'cancel the watch',
      await etcd.watch().prefix(`/${prefix}/`).create(),
      (watcher) => watcher.cancel(),
    );
    watcher.on('put', (kv) => changes.push(keyChange('put', kv)));
    watcher.on('delete', (kv) => changes.push(keyChange('delete', kv)));

    await repository.links.put({ source, destination, maxSeconds: 300 });
    let trips = 0;
    const trip = (arrivalNanos: bigint): Sighting[] => {
      const deviceId = `tt-device-${trips++}`;
      return [
        { detectorId: source, deviceId, time: arrivalNanos - 30n * NANOS_PER_SECOND },
        { detectorId: destination, deviceId, time: arrivalNanos },
      ];
    };
    const nowNanos = () => BigInt(Date.now()) * 1_000_000n;
    const feeder = cleanup.add(
      'stop the sighting feeder',
      setInterval(() => void repository.events.append(trip(nowNanos())).catch(() => undefined), 500),
      (timer) => clearInterval(timer),
    );
    feeder.unref();

    const startWorker = () =>
      AppProcess.start('traveltime', {
        args: [
          '--store=etcd',
          `--etcd.endpoints=${cluster.endpoints.join(',')}`,
          `--etcd.prefix=${prefix}`,
          '--healthcheck_port=127.0.0.1:0',
          '--metrics_port=',
          `--traveltime.interval=${intervalSeconds}s`,
          '--traveltime.lag=0s',
          `--traveltime.lease_ttl=${leaseTtlSeconds}s`,
          '--log_level=info',
        ],
      });
    const workers = await Promise.all([startWorker(), startWorker()]);
    for (const worker of workers) cleanup.add('stop a worker', worker, (worker) => worker.kill());

    const lockKey = `/${prefix}/locks/traveltime/${destination}`;
    const estimatePrefix = `/${prefix}/traveltimes/${destination}/${source}/`;
    const estimates = () => attribute(changes, lockKey, estimatePrefix);
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
    watcher.removeAllListeners('put');
    watcher.removeAllListeners('delete');

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

function keyChange(
  kind: KeyChange['kind'],
  kv: { key: Buffer; value: Buffer; mod_revision: string },
): KeyChange {
  return { kind, revision: BigInt(kv.mod_revision), key: kv.key.toString(), value: kv.value.toString() };
}

interface AttributedEstimate {
  readonly key: string;
  readonly intervalEnd: bigint;
  /** Who held the destination's lock when etcd applied the put; undefined: no one. */
  readonly holder: string | undefined;
}

/** The estimate puts in revision order, each with the lock's holder at its revision. */
function attribute(
  changes: readonly KeyChange[],
  lockKey: string,
  estimatePrefix: string,
): AttributedEstimate[] {
  let holder: string | undefined;
  const estimates: AttributedEstimate[] = [];
  for (const change of [...changes].sort((a, b) => (a.revision < b.revision ? -1 : 1))) {
    if (change.key === lockKey) holder = change.kind === 'put' ? change.value : undefined;
    if (change.kind !== 'put' || !change.key.startsWith(estimatePrefix)) continue;
    estimates.push({ key: change.key, intervalEnd: BigInt(change.key.slice(estimatePrefix.length)), holder });
  }
  return estimates;
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

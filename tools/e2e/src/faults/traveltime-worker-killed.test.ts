import { randomUUID } from 'node:crypto';
import { parseDetectorId } from '@message-bus/domain';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';
import { AppProcess } from '@message-bus/tools/app-process';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cleanup } from '@message-bus/tools/cleanup';
import {
  attributeEstimates,
  countBy,
  KeyChangeLog,
  startTraveltimeWorker,
  tripMaker,
} from '../support/travel-time-writes';

const intervalSeconds = 1;
const leaseTtlSeconds = 3;
/**
 * Scheduling delay a loaded machine may add to a takeover, on top of the TTL and one
 * interval: the killed worker's round, the survivor's round and etcd's lease expiry check.
 */
const slackSeconds = 4;
const NANOS_PER_SECOND = 1_000_000_000n;

const source = parseDetectorId('tt-source');
const destination = parseDetectorId('tt-destination');

describe('the travel-time worker holding a destination is SIGKILLed', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('another worker takes over within the lease TTL; no interval is written twice or skipped', async () => {
    const [endpoint] = etcdEndpoints();
    const prefix = `tt-faults-${randomUUID()}`;
    const etcd = cleanup.add('close the etcd client', new Etcd3({ hosts: endpoint! }), (client) =>
      client.close(),
    );
    cleanup.add('delete the keys of this test', prefix, (prefix) => etcd.delete().prefix(`/${prefix}/`));
    const repository = cleanup.add(
      'close the repository',
      // Its trips are appended once complete, so their source sightings are 30 s old: as data
      // stored before the workers run, not late data, so nothing is recomputed and every
      // interval is written exactly once.
      new KvRepository(new EtcdBackend({ hosts: endpoint! }), { prefix, lateAfterSeconds: 3600 }),
      (repository) => repository.close(),
    );

    // Every put and delete under the prefix, from before the workers start: a watch sees
    // each write, so an estimate written twice would show as two puts of its key.
    const changeLog = cleanup.add('cancel the watch', await KeyChangeLog.start(etcd, prefix), (log) =>
      log.cancel(),
    );
    const { changes } = changeLog;

    // Devices seen at the source and 30 s later at the destination: half a minute of
    // history, then a new trip every half second while the test runs.
    await repository.links.put({ source, destination, maxSeconds: 300 });
    const trip = tripMaker(source, destination);
    const nowNanos = () => BigInt(Date.now()) * 1_000_000n;
    await repository.events.append(
      Array.from({ length: 30 }, (_, i) => trip(nowNanos() - BigInt(30 - i) * NANOS_PER_SECOND)).flat(),
    );
    const feeder = cleanup.add(
      'stop the sighting feeder',
      setInterval(() => void repository.events.append(trip(nowNanos())).catch(() => undefined), 500),
      (timer) => clearInterval(timer),
    );
    feeder.unref();

    const startWorker = () =>
      startTraveltimeWorker({ endpoints: [endpoint!], prefix, intervalSeconds, leaseTtlSeconds });
    const workers = await Promise.all([startWorker(), startWorker()]);
    for (const worker of workers) cleanup.add('stop a worker', worker, (worker) => worker.kill());

    const lockKey = `/${prefix}/locks/traveltime/${destination}`;
    const estimatePrefix = `/${prefix}/traveltimes/${destination}/${source}/`;
    const holderOf = (worker: AppProcess) => new RegExp(`^traveltime@.+:${worker.pid}$`);
    const estimatesBy = (holder: RegExp) =>
      attributeEstimates(changes, lockKey, estimatePrefix).filter((estimate) =>
        holder.test(estimate.holder ?? ''),
      );
    /**
     * How far `worker`'s first catch-up round (after taking the destination) wrote: its `through` interval
     * end, an RFC 3339 time on a whole second, so milliseconds hold it exactly.
     */
    const caughtUpThrough = (worker: AppProcess) => {
      const line = worker.logLines.find(
        (line) => line['msg'] === 'caught up on missed intervals' && line['destination'] === destination,
      );
      return line === undefined ? undefined : BigInt(Date.parse(String(line['through']))) * 1_000_000n;
    };

    // The first holder catches up on the history, writes a few live intervals, then dies
    // without releasing anything.
    const firstLock = await vi.waitFor(
      () => {
        const lock = changes.find((change) => change.key === lockKey && change.kind === 'put');
        if (lock === undefined) throw new Error('no worker holds the destination yet');
        return lock;
      },
      { timeout: 30_000, interval: 50 },
    );
    const killed = workers.find((worker) => holderOf(worker).test(firstLock.value));
    const survivor = workers.find((worker) => worker !== killed);
    if (killed === undefined || survivor === undefined) throw new Error(`unknown holder ${firstLock.value}`);
    await vi.waitFor(
      () => {
        const through = caughtUpThrough(killed);
        if (through === undefined) throw new Error('the first holder has not caught up yet');
        const live = estimatesBy(holderOf(killed)).filter((estimate) => estimate.intervalEnd > through);
        expect(live.length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 60_000, interval: 20 },
    );
    await killed.kill('SIGKILL');

    // The survivor takes the destination over and writes a few intervals of its own.
    await vi.waitFor(() => expect(estimatesBy(holderOf(survivor)).length).toBeGreaterThanOrEqual(5), {
      timeout: 60_000,
      interval: 50,
    });
    await survivor.stop();
    changeLog.stop();

    const estimates = attributeEstimates(changes, lockKey, estimatePrefix);
    const ends = estimates.map((estimate) => estimate.intervalEnd);
    const interval = BigInt(intervalSeconds) * NANOS_PER_SECOND;
    const steps = ends.slice(1).map((end, i) => (end - ends[i]!) / interval);
    const putsPerKey = countBy(estimates.map((estimate) => estimate.key));
    const byKilled = estimates.filter((estimate) => holderOf(killed).test(estimate.holder ?? ''));
    const bySurvivor = estimates.filter((estimate) => holderOf(survivor).test(estimate.holder ?? ''));
    const lastOfKilled = byKilled.at(-1)!.intervalEnd;
    // Where the survivor's first round got to: the `through` of its catch-up, or the one interval it wrote.
    const takeoverEnd = caughtUpThrough(survivor) ?? bySurvivor[0]!.intervalEnd;
    const takeoverSeconds = Number(takeoverEnd - lastOfKilled) / Number(NANOS_PER_SECOND);
    const stored = await repository.travelTimes.list({ links: [{ source, destination }] });
    console.log(
      `travel-time takeover: ${estimates.length} estimate puts (${byKilled.length} by the killed worker, ` +
        `${bySurvivor.length} by the survivor, ${estimates.length - byKilled.length - bySurvivor.length} unheld), ` +
        `interval ends ${ends.length} contiguous from ${ends[0]} to ${ends.at(-1)} ` +
        `(steps other than 1 interval: ${steps.filter((step) => step !== 1n).length}), keys put twice ` +
        `${[...putsPerKey.values()].filter((n) => n > 1).length}, stored ${stored.length}; survivor's first round ` +
        `reached ${takeoverSeconds}s of interval time past the killed worker's last interval ` +
        `(bound: ttl ${leaseTtlSeconds}s + interval ${intervalSeconds}s + slack ${slackSeconds}s); ` +
        `survivor estimates with samples ${bySurvivor.filter((e) => e.totalSamples > 0).length}`,
    );

    expect(byKilled.length + bySurvivor.length).toBe(estimates.length); // every put was by the holder of the moment
    expect([...putsPerKey.values()].every((puts) => puts === 1)).toBe(true);
    expect(steps.every((step) => step === 1n)).toBe(true);
    expect(bySurvivor[0]!.intervalEnd).toBe(lastOfKilled + interval);
    expect(takeoverSeconds).toBeLessThanOrEqual(leaseTtlSeconds + intervalSeconds + slackSeconds);
    expect(stored.map((estimate) => estimate.intervalEnd)).toEqual(ends);
    expect(bySurvivor.some((estimate) => estimate.totalSamples > 0)).toBe(true);
  }, 180_000);
});

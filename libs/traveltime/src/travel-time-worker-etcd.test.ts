import type { WorkLeases } from '@message-bus/repository';
import { EtcdWorkLeases } from '@message-bus/store-etcd';
import { etcdEndpoints, startSeverableProxy } from '@message-bus/tools/etcd';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  countingPuts,
  d1,
  d2,
  d3,
  duplicates,
  expectedKeys,
  intervalKeys,
  MINUTE,
  openCorridor,
  SECONDS,
  silentLogger,
  T0,
  type Corridor,
  type CountedPuts,
} from '../test/corridor';
import { TravelTimeWorker } from './travel-time-worker';

const LAG = 30n * SECONDS;
const LEASE_TTL_SECONDS = 3;

let corridor: Corridor;
let puts: CountedPuts;
let prefix: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  corridor = await openCorridor();
  puts = { estimates: [] };
  prefix = `tt-${randomUUID().slice(0, 8)}`;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await corridor.close();
});

/** Leases of one worker process on the shared etcd (optionally through `hosts`). */
function etcdLeases(holder: string, hosts: string = etcdEndpoints()[0]!): EtcdWorkLeases {
  const leases = new EtcdWorkLeases({ hosts, prefix, holder, callTimeoutMs: 1_000 });
  cleanups.push(() => leases.close());
  return leases;
}

function worker(workerId: string, leases: WorkLeases): TravelTimeWorker {
  return new TravelTimeWorker({
    repository: countingPuts(corridor.repository, puts),
    leases,
    logger: silentLogger,
    workerId,
    leaseTtlSeconds: LEASE_TTL_SECONDS,
  });
}

function everyIntervalThrough(last: bigint): string[] {
  return expectedKeys([
    { source: d1, destination: d2, first: T0 + 3n * MINUTE, last },
    { source: d1, destination: d3, first: T0 + 4n * MINUTE, last },
    { source: d2, destination: d3, first: T0 + 4n * MINUTE, last },
  ]);
}

describe('TravelTimeWorker on etcd leases', () => {
  it('lets two workers with their own etcd clients split the destinations and write every interval exactly once', async () => {
    const a = worker('a', etcdLeases('a'));
    const b = worker('b', etcdLeases('b'));
    for (let minute = 20n; minute <= 25n; minute++) {
      const now = T0 + minute * MINUTE + LAG;
      await Promise.all([a.runOnce(now), b.runOnce(now)]);
    }

    expect([...a.heldDestinations(), ...b.heldDestinations()].sort()).toEqual([d2, d3]);
    expect([a.heldDestinations().length, b.heldDestinations().length]).toEqual([1, 1]);
    const keys = intervalKeys(puts.estimates);
    expect(duplicates(keys)).toEqual([]);
    expect(keys.sort()).toEqual(everyIntervalThrough(T0 + 25n * MINUTE));
    await a.stop();
    await b.stop();
  });

  it("takes over a vanished worker's destinations within the lease TTL and continues without a gap", async () => {
    const proxy = await startSeverableProxy(etcdEndpoints()[0]!);
    cleanups.push(() => proxy.close());
    const a = worker('a', etcdLeases('a', proxy.endpoint));
    const b = worker('b', etcdLeases('b'));
    expect((await a.runOnce(T0 + 20n * MINUTE + LAG)).held).toEqual([d2, d3]);
    expect((await b.runOnce(T0 + 20n * MINUTE + LAG)).held).toEqual([]);
    const writtenByA = puts.estimates.length;

    // A vanishes without releasing anything (its process is gone, as far as etcd can tell).
    proxy.sever();
    await vi.waitFor(async () => expect((await b.runOnce(T0 + 24n * MINUTE + LAG)).held).toEqual([d2, d3]), {
      timeout: LEASE_TTL_SECONDS * 1000 + 2_000,
      interval: 200,
    });

    expect(intervalKeys(puts.estimates.slice(writtenByA)).sort()).toEqual(
      expectedKeys([
        { source: d1, destination: d2, first: T0 + 21n * MINUTE, last: T0 + 24n * MINUTE },
        { source: d1, destination: d3, first: T0 + 21n * MINUTE, last: T0 + 24n * MINUTE },
        { source: d2, destination: d3, first: T0 + 21n * MINUTE, last: T0 + 24n * MINUTE },
      ]),
    );
    // A learned of the loss before B could take over: it writes nothing more.
    expect(await a.runOnce(T0 + 25n * MINUTE + LAG)).toMatchObject({ held: [], written: 0 });
    const keys = intervalKeys(puts.estimates);
    expect(duplicates(keys)).toEqual([]);
    expect(keys.sort()).toEqual(everyIntervalThrough(T0 + 24n * MINUTE));
    await b.stop();
  });
});

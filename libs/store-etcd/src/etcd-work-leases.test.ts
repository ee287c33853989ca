import { randomUUID } from 'node:crypto';
import { StoreInvalidArgumentError, StoreUnavailableError, type WorkLease } from '@message-bus/repository';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  etcdEndpoints,
  startSeverableProxy,
  startThrowawayEtcd,
  type ThrowawayEtcd,
} from '@message-bus/tools/etcd';
import { EtcdWorkLeases } from './etcd-work-leases';

/** Short enough for a test, long enough that etcd (min TTL ~2 s by default) honours it. */
const TTL_SECONDS = 2;

let raw: Etcd3;
let prefix: string;
const opened: EtcdWorkLeases[] = [];

function workLeases(holder: string): EtcdWorkLeases {
  const leases = new EtcdWorkLeases({ hosts: etcdEndpoints(), prefix, holder });
  opened.push(leases);
  return leases;
}

async function holderOf(name: string): Promise<string | null> {
  return raw.get(`/${prefix}/locks/${name}`).string();
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

beforeAll(() => {
  raw = new Etcd3({ hosts: etcdEndpoints() });
});
afterAll(() => raw.close());
beforeEach(() => {
  prefix = `leases-${randomUUID().slice(0, 8)}`;
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((leases) => leases.close()));
});

describe('EtcdWorkLeases', () => {
  it('lets exactly one of two clients hold a name, and stores who holds it', async () => {
    const a = workLeases('worker-a');
    const b = workLeases('worker-b');
    const names = Array.from({ length: 20 }, (_, i) => `traveltime/det-${i}`);

    const [fromA, fromB] = await Promise.all([
      Promise.all(names.map((name) => a.tryAcquire(name, TTL_SECONDS))),
      Promise.all(names.map((name) => b.tryAcquire(name, TTL_SECONDS))),
    ]);

    for (const [i, name] of names.entries()) {
      const winners = [fromA[i], fromB[i]].filter((lease) => lease !== undefined);
      expect(winners.map((lease) => lease.name)).toEqual([name]);
      expect(await holderOf(name)).toBe(fromA[i] ? 'worker-a' : 'worker-b');
    }
    expect(await a.claimed('traveltime/')).toEqual([...names].sort());
    expect(await b.claimed('traveltime/det-1/')).toEqual([]);
    // Holding is not re-entrant: the holder itself is refused too.
    const held = fromA[0] ? a : b;
    expect(await held.tryAcquire(names[0]!, TTL_SECONDS)).toBeUndefined();
  });

  it('keeps a claim past its TTL while the holder lives, and release frees it at once', async () => {
    const a = workLeases('worker-a');
    const b = workLeases('worker-b');
    const lease = await a.tryAcquire('traveltime/det-1', TTL_SECONDS);
    expect(lease?.name).toBe('traveltime/det-1');

    await sleep(TTL_SECONDS * 1000 * 2);
    expect(lease?.lost.aborted).toBe(false);
    expect(await b.tryAcquire('traveltime/det-1', TTL_SECONDS)).toBeUndefined();

    await lease?.release();
    expect(lease?.lost.aborted).toBe(true);
    expect(await holderOf('traveltime/det-1')).toBeNull();
    const taken = await b.tryAcquire('traveltime/det-1', TTL_SECONDS);
    expect(taken?.name).toBe('traveltime/det-1');
    expect(await holderOf('traveltime/det-1')).toBe('worker-b');
    await lease?.release(); // a second release changes nothing
    expect(await holderOf('traveltime/det-1')).toBe('worker-b');
  });

  it('hands the claim of a holder that died to another once the TTL has passed', async () => {
    const proxy = await startSeverableProxy(etcdEndpoints()[0]!);
    const a = new EtcdWorkLeases({ hosts: proxy.endpoint, prefix, holder: 'worker-a', callTimeoutMs: 1_000 });
    const b = workLeases('worker-b');
    const lease = await a.tryAcquire('traveltime/det-1', TTL_SECONDS);
    expect(lease).toBeDefined();

    // The holder vanishes without a release: no more renewals reach etcd.
    proxy.sever();
    expect(await b.tryAcquire('traveltime/det-1', TTL_SECONDS)).toBeUndefined();
    let taken: WorkLease | undefined;
    await vi.waitFor(
      async () => {
        taken = await b.tryAcquire('traveltime/det-1', TTL_SECONDS);
        expect(taken).toBeDefined();
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(await holderOf('traveltime/det-1')).toBe('worker-b');
    // The vanished holder's side learned of the loss too, before the new holder could take over.
    expect(lease?.lost.aborted).toBe(true);
    await a.close();
    await proxy.close();
  });

  it('refuses names that cannot be a key and TTLs etcd cannot keep, naming the field', async () => {
    const a = workLeases('worker-a');
    await expect(a.tryAcquire('traveltime/has space', TTL_SECONDS)).rejects.toThrow(
      new StoreInvalidArgumentError(
        `name segment 2: "has space" has U+0020 ' ' at character 4; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'`,
      ),
    );
    await expect(a.tryAcquire('traveltime/det-1', 0.5)).rejects.toThrow(
      new StoreInvalidArgumentError('ttlSeconds: 0.5 is not a whole number of seconds ≥ 1'),
    );
  });
});

describe('EtcdWorkLeases when etcd stops', () => {
  let etcd: ThrowawayEtcd;

  beforeAll(async () => {
    etcd = await startThrowawayEtcd();
  });
  afterAll(async () => {
    await etcd.remove();
  });

  it('aborts lost once renewals have failed for most of the TTL, and acquiring fails as unavailable', async () => {
    const leases = new EtcdWorkLeases({
      hosts: etcd.endpoint,
      prefix: 'stopping',
      holder: 'worker-a',
      callTimeoutMs: 1_000,
    });
    try {
      const lease = await leases.tryAcquire('traveltime/det-1', TTL_SECONDS);
      const lostAt = new Promise<Error>((done) =>
        lease?.lost.addEventListener('abort', () => done(lease.lost.reason as Error), { once: true }),
      );
      await etcd.stop();

      expect((await lostAt).message).toBe('work lease traveltime/det-1 was lost');
      const attempt = leases.tryAcquire('traveltime/det-2', TTL_SECONDS);
      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(`etcd at ${etcd.endpoint} is unreachable`);
    } finally {
      await leases.close();
      await etcd.start();
    }
  });
});

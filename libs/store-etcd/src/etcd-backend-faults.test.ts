import { StoreQuotaExhaustedError, StoreUnavailableError } from '@message-bus/repository';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startThrowawayEtcd, type ThrowawayEtcd } from '@message-bus/tools/etcd';
import { EtcdBackend } from './etcd-backend';

const text = (value: string) => new TextEncoder().encode(value);
const key = (n: number) => `/faults/watched/${String(n).padStart(3, '0')}`;

describe('EtcdBackend when etcd stops and starts again', () => {
  let etcd: ThrowawayEtcd;
  let backend: EtcdBackend;
  let raw: Etcd3;

  beforeAll(async () => {
    etcd = await startThrowawayEtcd();
    backend = new EtcdBackend({ hosts: etcd.endpoint, callTimeoutMs: 2_000 });
    raw = new Etcd3({ hosts: etcd.endpoint });
  });
  afterAll(async () => {
    await backend.close();
    raw.close();
    await etcd.remove();
  });

  it('resumes a watch across a restart without missing or repeating a put', async () => {
    const controller = new AbortController();
    const iterator = backend.watch('/faults/watched/', controller.signal)[Symbol.asyncIterator]();
    const received: string[] = [];
    const receive = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const next = await iterator.next();
        if (next.done) throw new Error('the watch ended early');
        received.push(next.value.key);
      }
    };

    for (let n = 0; n < 50; n += 10) {
      await backend.put(Array.from({ length: 10 }, (_, i) => ({ key: key(n + i), value: text('before') })));
    }
    await receive(50);

    await etcd.stop();
    await etcd.start();
    // Written by another client while the watch is still reconnecting, so it must catch up.
    for (let n = 50; n < 100; n++) await raw.put(key(n)).value('after');
    await receive(50);

    // Nothing is delivered twice: the next put is the next thing the watch yields.
    await raw.put('/faults/watched/sentinel').value('last');
    await receive(1);
    expect(received).toEqual([...Array.from({ length: 100 }, (_, n) => key(n)), '/faults/watched/sentinel']);
    controller.abort();
  });

  it('reports unavailable and fails puts while etcd is down, and recovers when it is back', async () => {
    expect(await backend.health()).toEqual({ reachable: true });
    await etcd.stop();

    await vi.waitFor(
      async () => {
        const health = await backend.health();
        expect(health.reachable).toBe(false);
        expect(!health.reachable && health.reason).toContain(`etcd at ${etcd.endpoint} is unreachable`);
      },
      { timeout: 5_000, interval: 200 },
    );
    const failed = backend.put([{ key: '/faults/while-down', value: text('lost') }]);
    await expect(failed).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(failed).rejects.toThrow(`etcd at ${etcd.endpoint} is unreachable`);

    await etcd.start();
    await vi.waitFor(async () => expect(await backend.health()).toEqual({ reachable: true }), {
      timeout: 15_000,
      interval: 250,
    });
    await backend.put([{ key: '/faults/after-restart', value: text('kept') }]);
    expect(await raw.get('/faults/after-restart').string()).toBe('kept');
  });
});

describe('EtcdBackend when etcd runs out of space', () => {
  let etcd: ThrowawayEtcd;
  let backend: EtcdBackend;

  beforeAll(async () => {
    etcd = await startThrowawayEtcd({ quotaBackendBytes: 2 * 1024 * 1024 });
    backend = new EtcdBackend({ hosts: etcd.endpoint });
  });
  afterAll(async () => {
    await backend.close();
    await etcd.remove();
  });

  it('fails puts with StoreQuotaExhaustedError once the NOSPACE alarm is raised, and still reads', async () => {
    const value = new Uint8Array(64 * 1024).fill(1);
    let failure: unknown;
    for (let batch = 0; batch < 40 && failure === undefined; batch++) {
      const records = Array.from({ length: 8 }, (_, i) => ({ key: `/full/${batch}/${i}`, value }));
      failure = await backend.put(records).catch((error: unknown) => error);
    }
    expect(failure).toBeInstanceOf(StoreQuotaExhaustedError);
    expect(String(failure)).toContain('database space exceeded');
    expect(await backend.get('/full/0/0')).toEqual(value);
  });

  it('reports writes refused while the alarm stands, and accepted again once it is disarmed', async () => {
    expect(await backend.health()).toEqual({
      reachable: true,
      writesRefused: `etcd at ${etcd.endpoint} is out of space (NOSPACE alarm; compact, defragment and disarm it)`,
    });
    const admin = new Etcd3({ hosts: etcd.endpoint });
    try {
      await admin.delete().prefix('/full/');
      const { header } = await admin.kv.range({ key: Buffer.from('/'), count_only: true });
      await admin.kv.compact({ revision: header.revision, physical: true });
      await admin.maintenance.defragment();
      for (const { memberID, alarm } of (await admin.maintenance.alarm({ action: 'Get' })).alarms) {
        await admin.maintenance.alarm({ action: 'Deactivate', memberID, alarm });
      }
    } finally {
      admin.close();
    }
    expect(await backend.health()).toEqual({ reachable: true });
    await backend.put([{ key: '/after-disarm', value: new Uint8Array([1]) }]);
    expect(await backend.get('/after-disarm')).toEqual(new Uint8Array([1]));
  });
});

describe('EtcdBackend when etcd compacts history a scan still reads', () => {
  let etcd: ThrowawayEtcd;
  let raw: Etcd3;

  beforeAll(async () => {
    etcd = await startThrowawayEtcd();
    raw = new Etcd3({ hosts: etcd.endpoint });
  });
  afterAll(async () => {
    raw.close();
    await etcd.remove();
  });

  it('fails the scan with a retryable StoreUnavailableError naming the compaction', async () => {
    const backend = new EtcdBackend({ hosts: etcd.endpoint, pageSize: 2 });
    try {
      await backend.put(['a', 'b', 'c', 'd'].map((k) => ({ key: `/compacted/${k}`, value: text(k) })));
      const iterator = backend.scan({ start: '/compacted/', end: '/compacted0' })[Symbol.asyncIterator]();
      expect((await iterator.next()).value?.key).toBe('/compacted/a');
      expect((await iterator.next()).value?.key).toBe('/compacted/b');

      // The first page pinned the scan to its revision; compact past it before page two.
      const { header } = await raw.kv.put({ key: Buffer.from('/compacted/e'), value: Buffer.from('e') });
      await raw.kv.compact({ revision: header.revision });

      const failure = await iterator.next().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(String(failure)).toContain('required revision has been compacted');
    } finally {
      await backend.close();
    }
  });
});

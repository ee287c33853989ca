import { randomUUID } from 'node:crypto';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import type { KvEntry, KvRecord } from '@message-bus/store-kv';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { EtcdBackend } from './etcd-backend';

const text = (value: string) => new TextEncoder().encode(value);
const decode = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : new TextDecoder().decode(value);

let raw: Etcd3;
let backend: EtcdBackend;
let prefix: string;

beforeAll(() => {
  raw = new Etcd3({ hosts: etcdEndpoints() });
  backend = new EtcdBackend({ hosts: etcdEndpoints() });
});
afterAll(async () => {
  await backend.close();
  raw.close();
});
beforeEach(() => {
  prefix = `/store-etcd-test/${randomUUID()}/`;
});

async function collect(iterable: AsyncIterable<KvEntry>): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of iterable) keys.push(entry.key);
  return keys;
}

/** Our keys by the revision that wrote them: one revision per committed txn. */
async function keysByRevision(): Promise<Map<string, string[]>> {
  const response = await raw.kv.range({ key: Buffer.from(prefix), range_end: Buffer.from(`${prefix}\xff`) });
  const groups = new Map<string, string[]>();
  for (const kv of response.kvs) {
    const group = groups.get(kv.mod_revision) ?? [];
    group.push(kv.key.toString());
    groups.set(kv.mod_revision, group);
  }
  return groups;
}

describe('EtcdBackend put', () => {
  it('splits 1,000 records into txns of at most 128 puts, all readable', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({
      key: `${prefix}${String(i).padStart(4, '0')}`,
      value: text(`value-${i}`),
    }));
    await backend.put(records);

    const groups = await keysByRevision();
    expect([...groups.values()].map((group) => group.length).sort((a, b) => b - a)).toEqual([
      128, 128, 128, 128, 128, 128, 128, 104,
    ]);
    expect(decode(await backend.get(`${prefix}0000`))).toBe('value-0');
    expect(decode(await backend.get(`${prefix}0999`))).toBe('value-999');
    expect(await collect(backend.scan({ start: prefix, end: `${prefix}\xff` }))).toHaveLength(1000);
  });

  it('keeps each txn under maxTxnBytes', async () => {
    const value = new Uint8Array(100 * 1024).fill(7);
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: `${prefix}${String(i).padStart(2, '0')}`,
      value,
    }));
    await backend.put(records);

    const sizes = [...(await keysByRevision()).values()].map((group) => group.length);
    // 10 × (100 KiB + key) fits in 1 MiB, 11 do not.
    expect(sizes).toEqual([10, 10, 10]);
  });

  it('keeps the last value of a key repeated in one batch', async () => {
    await backend.put([
      { key: `${prefix}a`, value: text('first') },
      { key: `${prefix}b`, value: text('b') },
      { key: `${prefix}a`, value: text('last') },
    ]);
    expect(decode(await backend.get(`${prefix}a`))).toBe('last');
    expect(decode(await backend.get(`${prefix}b`))).toBe('b');
  });

  it('writes the same batch twice harmlessly', async () => {
    const records = [{ key: `${prefix}k`, value: text('v') }];
    await backend.put(records);
    await backend.put(records);
    expect(await collect(backend.scan({ start: prefix, end: `${prefix}\xff` }))).toEqual([`${prefix}k`]);
  });

  it('rejects a record larger than etcd accepts as an invalid argument', async () => {
    const huge = { key: `${prefix}huge`, value: new Uint8Array(1700 * 1024) };
    await expect(backend.put([huge])).rejects.toBeInstanceOf(StoreInvalidArgumentError);
    await expect(backend.put([huge])).rejects.toThrow(/request is too large/);
  });
});

describe('EtcdBackend get and deleteRange', () => {
  it('gets a value as bytes, or undefined when absent', async () => {
    await backend.put([{ key: `${prefix}k`, value: new Uint8Array([0, 255, 1]) }]);
    expect(await backend.get(`${prefix}k`)).toEqual(new Uint8Array([0, 255, 1]));
    expect(await backend.get(`${prefix}missing`)).toBeUndefined();
  });

  it('deletes start <= key < end and counts what it deleted', async () => {
    await backend.put(['a', 'b', 'c', 'd'].map((k) => ({ key: `${prefix}${k}`, value: text(k) })));
    expect(await backend.deleteRange(`${prefix}b`, `${prefix}d`)).toBe(2);
    expect(await collect(backend.scan({ start: prefix, end: `${prefix}\xff` }))).toEqual([
      `${prefix}a`,
      `${prefix}d`,
    ]);
    expect(await backend.deleteRange(`${prefix}d`, `${prefix}d`)).toBe(0);
    expect(await backend.get(`${prefix}d`)).toBeDefined();
  });
});

describe('EtcdBackend scan', () => {
  const names = Array.from({ length: 25 }, (_, i) => String(i).padStart(2, '0'));
  let paged: EtcdBackend;
  beforeAll(() => {
    paged = new EtcdBackend({ hosts: etcdEndpoints(), pageSize: 7 });
  });
  afterAll(() => paged.close());
  beforeEach(async () => {
    await paged.put(names.map((name) => ({ key: `${prefix}${name}`, value: text(name) })));
  });
  const all = () => ({ start: prefix, end: `${prefix}\xff` });
  const keys = (list: string[]) => list.map((name) => `${prefix}${name}`);

  it('reads every key in ascending order across page boundaries', async () => {
    const entries: KvEntry[] = [];
    for await (const entry of paged.scan(all())) entries.push(entry);
    expect(entries.map((entry) => entry.key)).toEqual(keys(names));
    expect(entries.map((entry) => decode(entry.value))).toEqual(names);
  });

  it('reads in descending order when reversed', async () => {
    expect(await collect(paged.scan({ ...all(), reverse: true }))).toEqual(keys([...names].reverse()));
  });

  it('honours limit in both directions, including limits on and across page edges', async () => {
    expect(await collect(paged.scan({ ...all(), limit: 10 }))).toEqual(keys(names.slice(0, 10)));
    expect(await collect(paged.scan({ ...all(), limit: 14 }))).toEqual(keys(names.slice(0, 14)));
    expect(await collect(paged.scan({ ...all(), limit: 10, reverse: true }))).toEqual(
      keys(names.slice(15).reverse()),
    );
    expect(await collect(paged.scan({ ...all(), limit: 0 }))).toHaveLength(25);
  });

  it('reads the newest entries first for every limit: one descending request, several, or ascending pages reversed', async () => {
    // With 25 keys in pages of 7, limits up to ten pages (70) take one descending request,
    // larger ones ascending pages, newest kept. In pages of 1, descending requests ask
    // for 10 keys: limits a request or two long take descending requests.
    const single = new EtcdBackend({ hosts: etcdEndpoints(), pageSize: 1 });
    try {
      for (const [backend, most] of [
        [paged, 80],
        [single, 30],
      ] as const) {
        for (let limit = 1; limit <= most; limit += 1) {
          expect(await collect(backend.scan({ ...all(), limit, reverse: true }))).toEqual(
            keys([...names].reverse().slice(0, limit)),
          );
        }
      }
    } finally {
      await single.close();
    }
  });

  it('hands out pages of at most pageSize entries, never empty, holding what scan yields', async () => {
    for (const range of [all(), { ...all(), reverse: true }, { ...all(), reverse: true, limit: 20 }]) {
      const pages: KvEntry[][] = [];
      for await (const page of paged.scanPages(range)) pages.push([...page]);
      expect(pages.every((page) => page.length > 0 && page.length <= 7)).toBe(true);
      expect(pages.flat().map((entry) => entry.key)).toEqual(await collect(paged.scan(range)));
    }
  });

  it('includes start and excludes end', async () => {
    const range = { start: `${prefix}05`, end: `${prefix}12` };
    expect(await collect(paged.scan(range))).toEqual(keys(names.slice(5, 12)));
    expect(await collect(paged.scan({ ...range, reverse: true }))).toEqual(
      keys(names.slice(5, 12).reverse()),
    );
    expect(await collect(paged.scan({ start: `${prefix}12`, end: `${prefix}05` }))).toEqual([]);
  });

  it('orders keys by their UTF-8 bytes, not by UTF-16 code units', async () => {
    // U+1F600 sorts before U+FF21 in UTF-16 (0xD83D < 0xFF21) but after it in UTF-8 (0xF0 > 0xEF).
    await paged.put([
      { key: `${prefix}x\u{1F600}`, value: text('emoji') },
      { key: `${prefix}x\uFF21`, value: text('fullwidth') },
    ]);
    expect(await collect(paged.scan({ start: `${prefix}x`, end: `${prefix}y` }))).toEqual([
      `${prefix}x\uFF21`,
      `${prefix}x\u{1F600}`,
    ]);
  });
});

describe('EtcdBackend scans of records larger than their pages were sized for', () => {
  // 100 records of 5 kB, then 800 of 10 kB: a newest-first scan's read-ahead page, sized
  // by the first 100, asks for the other 800, about 8 MB, twice gRPC's default 4 MiB
  // receive limit.
  const small = 100;
  const large = 800;
  const expectedKeys = () =>
    Array.from({ length: small + large }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`).reverse();
  beforeEach(async () => {
    const record = (i: number) => ({
      key: `${prefix}${String(i).padStart(4, '0')}`,
      value: new Uint8Array(i < small ? 5_000 : 10_000).fill(0x61 + (i % 26)),
    });
    await backend.put(Array.from({ length: small + large }, (_, i) => record(i)));
  });
  const newestFirst = () => ({ start: prefix, end: `${prefix}\xff`, limit: small + large, reverse: true });

  it('reads them with a client it created, which accepts responses over 4 MiB', async () => {
    const scanning = new EtcdBackend({ hosts: etcdEndpoints(), pageSize: small });
    try {
      const entries: KvEntry[] = [];
      for await (const entry of scanning.scan(newestFirst())) entries.push(entry);
      expect(entries.map((entry) => entry.key)).toEqual(expectedKeys());
      expect(entries.map((entry) => entry.value.length)).toEqual(
        expectedKeys().map((_, i) => (i < large ? 10_000 : 5_000)),
      );
    } finally {
      await scanning.close();
    }
  });

  it("reads them with a client it was given, which keeps gRPC's default 4 MiB limit", async () => {
    const client = new Etcd3({ hosts: etcdEndpoints() });
    const scanning = new EtcdBackend({ hosts: etcdEndpoints(), client, pageSize: small });
    try {
      expect(await collect(scanning.scan(newestFirst()))).toEqual(expectedKeys());
    } finally {
      await scanning.close();
      client.close();
    }
  });

  it('asks for fewer keys when a page of 1,000 would exceed what the client accepts', async () => {
    // With the default page size, the first page asks for all 900 records, about 8.5 MB.
    const client = new Etcd3({ hosts: etcdEndpoints() });
    const scanning = new EtcdBackend({ hosts: etcdEndpoints(), client });
    try {
      const oldestFirst = [...expectedKeys()].reverse();
      expect(await collect(scanning.scan({ start: prefix, end: `${prefix}\xff` }))).toEqual(oldestFirst);
      expect(await collect(scanning.scan(newestFirst()))).toEqual(expectedKeys());
      expect(await collect(scanning.scan({ ...newestFirst(), limit: 10 }))).toEqual(
        expectedKeys().slice(0, 10),
      );
    } finally {
      await scanning.close();
      client.close();
    }
  });
});

describe('EtcdBackend expiry', () => {
  const expiringAt = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

  it('attaches one shared lease per expiry time, and none without expiry', async () => {
    const soon = expiringAt(600);
    const later = soon + 100;
    const records: KvRecord[] = [
      { key: `${prefix}a`, value: text('a'), expiry: { atUnixSeconds: soon, prefix } },
      { key: `${prefix}b`, value: text('b'), expiry: { atUnixSeconds: soon, prefix } },
      { key: `${prefix}c`, value: text('c'), expiry: { atUnixSeconds: later, prefix } },
      { key: `${prefix}d`, value: text('d') },
    ];
    await backend.put(records);
    const lease = async (key: string) => (await raw.kv.range({ key: Buffer.from(key) })).kvs[0]!.lease;

    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((k) => lease(`${prefix}${k}`)));
    expect(a).not.toBe('0');
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(d).toBe('0');
    const ttl = await raw.leaseClient.leaseTimeToLive({ ID: a! });
    expect(Number(ttl.grantedTTL)).toBeGreaterThan(590);
    expect(Number(ttl.grantedTTL)).toBeLessThanOrEqual(601);
  });

  it('lets etcd drop a record once its expiry has passed', async () => {
    const key = `${prefix}expiring`;
    await backend.put([
      { key, value: text('short-lived'), expiry: { atUnixSeconds: expiringAt(2), prefix } },
    ]);
    expect(await raw.get(key).string()).toBe('short-lived');
    await vi.waitFor(async () => expect(await raw.get(key).string()).toBeNull(), {
      timeout: 10_000,
      interval: 250,
    });
  });

  it('grants a new lease when etcd no longer has the cached one', async () => {
    const at = expiringAt(900);
    await backend.put([{ key: `${prefix}first`, value: text('1'), expiry: { atUnixSeconds: at, prefix } }]);
    const revoked = (await raw.kv.range({ key: Buffer.from(`${prefix}first`) })).kvs[0]!.lease;
    await raw.leaseClient.leaseRevoke({ ID: revoked });

    await backend.put([{ key: `${prefix}second`, value: text('2'), expiry: { atUnixSeconds: at, prefix } }]);
    const second = (await raw.kv.range({ key: Buffer.from(`${prefix}second`) })).kvs[0]!;
    expect(second.value.toString()).toBe('2');
    expect(second.lease).not.toBe('0');
    expect(second.lease).not.toBe(revoked);
  });
});

describe('EtcdBackend watch', () => {
  it('delivers puts made after it started, in commit order, and not earlier ones', async () => {
    await backend.put([{ key: `${prefix}before`, value: text('before') }]);
    const controller = new AbortController();
    const iterator = backend.watch(prefix, controller.signal)[Symbol.asyncIterator]();

    await backend.put([{ key: `${prefix}one`, value: text('1') }]);
    await backend.deleteRange(`${prefix}before`, `${prefix}before\0`);
    await raw.put(`${prefix}two`).value('2');
    await raw.put('/elsewhere/not-watched').value('x');

    const first = await iterator.next();
    const second = await iterator.next();
    expect([first.value?.key, decode(first.value?.value)]).toEqual([`${prefix}one`, '1']);
    expect([second.value?.key, decode(second.value?.value)]).toEqual([`${prefix}two`, '2']);

    controller.abort();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('marks a put that replaced a stored value, so a sighting written again can be told apart', async () => {
    const controller = new AbortController();
    const iterator = backend.watch(prefix, controller.signal)[Symbol.asyncIterator]();

    await backend.put([{ key: `${prefix}resent`, value: text('same') }]);
    await backend.put([{ key: `${prefix}resent`, value: text('same') }]);
    await backend.put([{ key: `${prefix}fresh`, value: text('new') }]);

    const seen = [await iterator.next(), await iterator.next(), await iterator.next()].map(({ value }) => [
      value?.key,
      value?.replaced,
    ]);
    expect(seen).toEqual([
      [`${prefix}resent`, false],
      [`${prefix}resent`, true],
      [`${prefix}fresh`, false],
    ]);
    controller.abort();
  });

  it('ends when aborted while waiting for the next put', async () => {
    const controller = new AbortController();
    const iterator = backend.watch(prefix, controller.signal)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('ends all its watches on close', async () => {
    const own = new EtcdBackend({ hosts: etcdEndpoints() });
    const iterator = own.watch(prefix, new AbortController().signal)[Symbol.asyncIterator]();
    await own.put([{ key: `${prefix}k`, value: text('v') }]);
    expect((await iterator.next()).value?.key).toBe(`${prefix}k`);
    await own.close();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});

describe('EtcdBackend client ownership and options', () => {
  it('leaves a client it was given open after close', async () => {
    const client = new Etcd3({ hosts: etcdEndpoints() });
    try {
      const borrowing = new EtcdBackend({ hosts: etcdEndpoints(), client });
      await borrowing.put([{ key: `${prefix}k`, value: text('v') }]);
      await borrowing.close();
      expect(await client.get(`${prefix}k`).string()).toBe('v');
    } finally {
      client.close();
    }
  });

  it('reports health as reachable', async () => {
    expect(await backend.health()).toEqual({ reachable: true });
  });

  it('rejects options that cannot work, naming the option', () => {
    expect(() => new EtcdBackend({ hosts: [] })).toThrow('EtcdBackendOptions.hosts must name at least one');
    expect(() => new EtcdBackend({ hosts: 'http://127.0.0.1:2379', maxOpsPerTxn: 0 })).toThrow(
      'EtcdBackendOptions.maxOpsPerTxn must be a positive integer, got 0',
    );
    expect(() => new EtcdBackend({ hosts: 'http://127.0.0.1:2379', pageSize: 1.5 })).toThrow(
      'EtcdBackendOptions.pageSize must be a positive integer, got 1.5',
    );
  });
});

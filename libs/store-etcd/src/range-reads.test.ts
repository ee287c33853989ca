import { loadSync } from '@grpc/proto-loader';
import { startThrowawayEtcd, type ThrowawayEtcd } from '@message-bus/tools/etcd';
import { Etcd3 } from 'etcd3';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdBackend } from './etcd-backend';
import { decodeRangeResponse, RangeResponseError } from './range-reads';

/** etcd3's own encoder for RangeResponse (the one an etcd server's bytes must match). */
const encodeRangeResponse = (() => {
  const protoDir = join(dirname(createRequire(__filename).resolve('etcd3/package.json')), 'proto');
  const definition = loadSync(join(protoDir, 'rpc.proto'), { keepCase: true, longs: String, defaults: true });
  const kv = definition['etcdserverpb.KV'] as unknown as {
    Range: { responseSerialize(response: unknown): Buffer };
  };
  return (response: unknown) => kv.Range.responseSerialize(response);
})();

const response = {
  header: {
    cluster_id: '14841639068965178418',
    member_id: '10276657743932975437',
    revision: '1099511627779',
    raft_term: '7',
  },
  kvs: [
    {
      key: Buffer.from('/tdc/a'),
      create_revision: '5',
      mod_revision: '9',
      version: '2',
      value: Buffer.from('one'),
      lease: '7587869417489123456',
    },
    {
      key: Buffer.from('/tdc/b'),
      create_revision: '6',
      mod_revision: '6',
      version: '1',
      value: Buffer.alloc(0),
      lease: '0',
    },
    {
      key: Buffer.from('/tdc/é'),
      create_revision: '8',
      mod_revision: '8',
      version: '1',
      value: Buffer.from([0, 255, 10]),
      lease: '0',
    },
  ],
  more: true,
  count: '12345',
};

describe('decodeRangeResponse', () => {
  it('reads keys, values, more, count and the revision of what etcd3 encodes', () => {
    const page = decodeRangeResponse(encodeRangeResponse(response));
    expect(page.entries.map(({ key, value }) => [key, [...value]])).toEqual([
      ['/tdc/a', [...Buffer.from('one')]],
      ['/tdc/b', []],
      ['/tdc/é', [0, 255, 10]],
    ]);
    expect(page).toMatchObject({ more: true, count: 12345, revision: '1099511627779' });
    expect(page.lastKey).toEqual(Buffer.from('/tdc/é'));
  });

  it("keeps the last key's exact bytes for the next page, even when they are not UTF-8", () => {
    const notUtf8 = Buffer.from([0x2f, 0x61, 0xff, 0x01]);
    const page = decodeRangeResponse(
      encodeRangeResponse({ kvs: [{ key: notUtf8, value: Buffer.from('v') }] }),
    );
    expect(page.entries[0]!.key).toBe('/a\ufffd\u0001');
    expect([...page.lastKey!]).toEqual([0x2f, 0x61, 0xff, 0x01]);
  });

  it('hands out values and the last key as views of the received bytes, not copies', () => {
    const bytes = encodeRangeResponse(response);
    const page = decodeRangeResponse(bytes);
    expect(page.entries[0]!.value.buffer).toBe(bytes.buffer);
    expect(page.entries[0]!.value).toBeInstanceOf(Uint8Array);
    expect(page.lastKey!.buffer).toBe(bytes.buffer);
  });

  it('reads an empty response as no entries at revision 0', () => {
    expect(decodeRangeResponse(Buffer.alloc(0))).toEqual({
      entries: [],
      more: false,
      count: 0,
      revision: '0',
    });
  });

  it('skips fields it does not know, of every wire type', () => {
    const unknown = Buffer.from([
      (12 << 3) | 0,
      0x96,
      0x01, // varint
      (13 << 3) | 1,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // fixed64
      (14 << 3) | 2,
      3,
      0x61,
      0x62,
      0x63, // length-delimited
      (15 << 3) | 5,
      1,
      2,
      3,
      4, // fixed32
    ]);
    const page = decodeRangeResponse(Buffer.concat([unknown, encodeRangeResponse(response), unknown]));
    expect(page.entries.map(({ key }) => key)).toEqual(['/tdc/a', '/tdc/b', '/tdc/é']);
    expect(page.count).toBe(12345);
  });

  it('refuses truncated bytes and a key-value without a key, naming the problem', () => {
    const bytes = encodeRangeResponse(response);
    expect(() => decodeRangeResponse(bytes.subarray(0, 60))).toThrow(RangeResponseError);
    expect(() => decodeRangeResponse(bytes.subarray(0, 60))).toThrow(
      'malformed etcd RangeResponse: a field runs past the end of the message',
    );
    expect(() => decodeRangeResponse(bytes.subarray(0, bytes.length - 1))).toThrow(
      'malformed etcd RangeResponse: a varint runs past the end',
    );
    const keyless = encodeRangeResponse({ kvs: [{ value: Buffer.from('v') }] });
    expect(() => decodeRangeResponse(keyless)).toThrow(
      'malformed etcd RangeResponse: a key-value without a key',
    );
    expect(() => decodeRangeResponse(Buffer.from([(2 << 3) | 3]))).toThrow('unexpected wire type 3');
  });
});

describe('reads and writes with etcd authentication', () => {
  const password = 'range-reads-test';
  let etcd: ThrowawayEtcd;
  let root: Etcd3;

  beforeAll(async () => {
    // Tokens that expire after a second, so a read can meet an expired one.
    etcd = await startThrowawayEtcd({ extraArgs: ['--auth-token=simple', '--auth-token-ttl=1'] });
    root = new Etcd3({ hosts: etcd.endpoint });
    await root.user('root').create(password);
    await root.user('root').addRole('root');
    await root.auth.authEnable();
  });
  afterAll(async () => {
    root.close();
    await etcd.remove();
  });

  /** Runs `use` with a backend that authenticates as root, closing it afterwards. */
  async function withAuthenticatedBackend(use: (backend: EtcdBackend) => Promise<void>): Promise<void> {
    const backend = new EtcdBackend({
      hosts: etcd.endpoint,
      clientOptions: { auth: { username: 'root', password } },
    });
    try {
      await use(backend);
    } finally {
      await backend.close();
    }
  }

  /** etcd drops simple tokens unused for the TTL; the next call's token is unknown to it. */
  const untilTheTokenExpires = () => new Promise((resolve) => setTimeout(resolve, 2_500));

  it('reads with the auth token, and renews an expired token instead of failing', async () => {
    await withAuthenticatedBackend(async (backend) => {
      await backend.put([
        { key: '/auth/a', value: Buffer.from('1') },
        { key: '/auth/b', value: Buffer.from('2') },
      ]);
      const keys = async () => {
        const read: string[] = [];
        for await (const entry of backend.scan({ start: '/auth/', end: '/auth0' })) read.push(entry.key);
        return read;
      };
      expect(await keys()).toEqual(['/auth/a', '/auth/b']);
      await untilTheTokenExpires();
      expect(await keys()).toEqual(['/auth/a', '/auth/b']);
      expect(await keys()).toEqual(['/auth/a', '/auth/b']);
    });
  });

  it('writes with the auth token, and renews an expired token instead of failing', async () => {
    await withAuthenticatedBackend(async (backend) => {
      await backend.put([{ key: '/auth-writes/a', value: Buffer.from('1') }]);
      await untilTheTokenExpires();
      await backend.put([
        { key: '/auth-writes/b', value: Buffer.from('2') },
        { key: '/auth-writes/c', value: Buffer.from('3') },
      ]);
      await backend.put([{ key: '/auth-writes/d', value: Buffer.from('4') }]);
      const entries: [string, string][] = [];
      for await (const { key, value } of backend.scan({ start: '/auth-writes/', end: '/auth-writes0' }))
        entries.push([key, Buffer.from(value).toString()]);
      expect(entries).toEqual([
        ['/auth-writes/a', '1'],
        ['/auth-writes/b', '2'],
        ['/auth-writes/c', '3'],
        ['/auth-writes/d', '4'],
      ]);
    });
  });
});

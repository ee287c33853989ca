import { loadSync } from '@grpc/proto-loader';
import type { KvRecord } from '@message-bus/store-kv';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeTxn, encodeTxns, PutLease, putOps, type LeaseOf } from './txn-batches';

/** etcd3's own coding of TxnRequest, which the request bytes must match exactly. */
const etcd3Txn = (() => {
  const protoDir = join(dirname(createRequire(__filename).resolve('etcd3/package.json')), 'proto');
  const definition = loadSync(join(protoDir, 'rpc.proto'), { keepCase: true, longs: String, defaults: true });
  return definition['etcdserverpb.KV'] as unknown as {
    Txn: { requestSerialize(request: unknown): Buffer; requestDeserialize(bytes: Buffer): DecodedTxn };
  };
})().Txn;

interface DecodedTxn {
  readonly compare: unknown[];
  readonly success: { request_put: { key: Buffer; value: Buffer; lease: string } }[];
}

/** Lease ids as etcd grants them: positive int64s, up to the largest. */
const leaseIds = new Map<number, PutLease>([
  [1_700_000_000, new PutLease('7587869417489123456')],
  [1_700_000_100, new PutLease('1')],
  [1_700_000_200, new PutLease('9223372036854775807')],
]);
const leaseOf: LeaseOf = (atUnixSeconds) => leaseIds.get(atUnixSeconds)!;

/** The puts of each txn as etcd decodes them, after checking the bytes are etcd3's. */
const splitIntoTxns = (records: readonly KvRecord[], maxOps: number, maxBytes: number) =>
  [...encodeTxns(records, maxOps, maxBytes, leaseOf)].map((txn) => {
    expect(txn.request).toEqual(etcd3Txn.requestSerialize({ success: putOps(txn.records, leaseOf) }));
    const decoded = etcd3Txn.requestDeserialize(txn.request);
    expect(decoded.compare).toEqual([]);
    return decoded.success.map(({ request_put: { key, value, lease } }) => ({ key, value, lease }));
  });

const record = (key: string, size = 1, fill = 0) => ({ key, value: new Uint8Array(size).fill(fill) });

describe('encodeTxns', () => {
  it('cuts after maxOps operations', () => {
    const records = Array.from({ length: 300 }, (_, i) => record(`k${i}`));
    expect(splitIntoTxns(records, 128, 1 << 20).map((txn) => txn.length)).toEqual([128, 128, 44]);
  });

  it('cuts before a txn would exceed maxBytes, counting keys, values and framing', () => {
    // Each op: 2-byte key + 100-byte value + 32 bytes of framing = 134 bytes.
    const records = Array.from({ length: 10 }, (_, i) => record(`k${i}`, 100));
    expect(splitIntoTxns(records, 128, 134 * 4).map((txn) => txn.length)).toEqual([4, 4, 2]);
  });

  it('sends a record larger than maxBytes alone, for etcd to judge', () => {
    const txns = splitIntoTxns([record('a'), record('big', 1000), record('b')], 128, 100);
    expect(txns.map((txn) => txn.map((put) => put.key.toString()))).toEqual([['a'], ['big'], ['b']]);
  });

  it('keeps input order, and for a repeated key its first position with its last value', () => {
    const txns = splitIntoTxns(
      [record('a', 1, 1), record('b'), record('a', 1, 2), record('c')],
      128,
      1 << 20,
    );
    expect(txns[0]!.map((put) => [put.key.toString(), put.value[0]])).toEqual([
      ['a', 2],
      ['b', 0],
      ['c', 0],
    ]);
  });

  it('keeps every record of strictly increasing keys in order, and finds a repeat after a sorted run', () => {
    const sorted = Array.from({ length: 300 }, (_, i) =>
      record(`k${String(i).padStart(3, '0')}`, 1, i % 256),
    );
    const txns = splitIntoTxns(sorted, 128, 1 << 20);
    expect(txns.flat().map((put) => [put.key.toString(), put.value[0]])).toEqual(
      sorted.map((r) => [r.key, r.value[0]]),
    );
    const repeated = splitIntoTxns(
      [record('a'), record('b'), record('c', 1, 1), record('c', 1, 2)],
      128,
      1 << 20,
    );
    expect(repeated[0]!.map((put) => [put.key.toString(), put.value[0]])).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 2],
    ]);
  });

  it('encodes keys as UTF-8 and puts each record under the lease of its expiry time, or none', () => {
    const expiring = (key: string, atUnixSeconds: number) => ({
      ...record(key),
      expiry: { atUnixSeconds, prefix: '' },
    });
    const [txn] = splitIntoTxns(
      [
        { key: 'é𝄞', value: new Uint8Array([1, 2]), expiry: { atUnixSeconds: 1_700_000_000, prefix: '' } },
        expiring('b', 1_700_000_000),
        record('c'),
        expiring('d', 1_700_000_100),
        expiring('e', 1_700_000_200),
      ],
      128,
      1 << 20,
    );
    expect([...txn![0]!.key]).toEqual([0xc3, 0xa9, 0xf0, 0x9d, 0x84, 0x9e]);
    expect([...txn![0]!.value]).toEqual([1, 2]);
    expect(txn!.map((put) => put.lease)).toEqual([
      '7587869417489123456',
      '7587869417489123456',
      '0',
      '1',
      '9223372036854775807',
    ]);
  });

  it('writes length prefixes of several bytes for long keys and values', () => {
    const [txn] = splitIntoTxns([record('k'.repeat(300), 70_000, 7)], 128, 1 << 20);
    expect(txn![0]!.key.toString()).toBe('k'.repeat(300));
    expect(txn![0]!.value).toEqual(Buffer.alloc(70_000, 7));
  });

  it('returns no txns for no records', () => {
    expect(splitIntoTxns([], 128, 1 << 20)).toEqual([]);
  });
});

describe('encodeTxn', () => {
  it('encodes the records again under new leases', () => {
    const records = [{ ...record('a'), expiry: { atUnixSeconds: 1_700_000_000, prefix: '' } }];
    const renewed = new PutLease('42');
    const txn = encodeTxn(records, () => renewed);
    expect(txn.records).toBe(records);
    expect(etcd3Txn.requestDeserialize(txn.request).success[0]!.request_put.lease).toBe('42');
  });
});

import type { KvRecord } from '@message-bus/store-kv';
import { describe, expect, it } from 'vitest';
import { encodeTxns, putOps, type RequestLeaseId } from './txn-batches';

const leaseOfExpiry = (atUnixSeconds: number) => `lease-${atUnixSeconds}` as RequestLeaseId;

/** The put requests of each txn. */
const splitIntoTxns = (records: readonly KvRecord[], maxOps: number, maxBytes: number) =>
  [...encodeTxns(records, maxOps, maxBytes, leaseOfExpiry)].map((txn) => {
    expect(putOps(txn.records, leaseOfExpiry)).toEqual(txn.ops);
    return txn.ops.map((op) => {
      const { key, value, lease } = op.request_put!;
      return { key: key!, value: value!, lease };
    });
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

  it('encodes keys as UTF-8 and puts each record under the lease of its expiry time', () => {
    const [txn] = splitIntoTxns(
      [{ key: 'é', value: new Uint8Array([1, 2]), expiry: { atUnixSeconds: 1_700_000_000, prefix: '' } }],
      128,
      1 << 20,
    );
    expect([...txn![0]!.key]).toEqual([0xc3, 0xa9]);
    expect([...txn![0]!.value]).toEqual([1, 2]);
    expect(txn![0]!.lease).toBe('lease-1700000000');
  });

  it('returns no txns for no records', () => {
    expect(splitIntoTxns([], 128, 1 << 20)).toEqual([]);
  });
});

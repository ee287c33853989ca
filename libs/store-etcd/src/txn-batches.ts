import type { KvRecord } from '@message-bus/store-kv';
import type { IPutRequest, IRequestOp } from 'etcd3';

/** A lease id in the form a put request takes; see `toRequestLeaseId`. */
export type RequestLeaseId = NonNullable<IPutRequest['lease']>;

/** The lease of the records that may be dropped after `atUnixSeconds`. */
export type LeaseOf = (atUnixSeconds: number) => RequestLeaseId;

/** One transaction: its put operations, and the records they were made from (to remake them). */
export interface Txn {
  readonly records: readonly KvRecord[];
  readonly ops: IRequestOp[];
}

/** Protobuf framing, lease id and op wrapper of one put inside a txn, rounded up. */
const perOpOverheadBytes = 32;

/**
 * Encodes `records` into transactions of at most `maxOps` operations and about `maxBytes`
 * of keys and values each, one txn per step of the iteration: a writer that takes the
 * next txn only when a slot is free encodes it while the others are in flight, so the
 * client's encoding overlaps etcd's work instead of preceding it. A key written twice
 * keeps its last value (etcd rejects a txn naming a key twice, and txns in flight
 * together have no order).
 */
export function* encodeTxns(
  records: readonly KvRecord[],
  maxOps: number,
  maxBytes: number,
  leaseOf: LeaseOf,
): Generator<Txn> {
  let txnRecords: KvRecord[] = [];
  let ops: IRequestOp[] = [];
  let bytes = 0;
  for (const record of withoutRepeatedKeys(records)) {
    const key = Buffer.from(record.key, 'utf8');
    const recordBytes = key.length + record.value.length + perOpOverheadBytes;
    if (ops.length > 0 && (ops.length >= maxOps || bytes + recordBytes > maxBytes)) {
      yield { records: txnRecords, ops };
      txnRecords = [];
      ops = [];
      bytes = 0;
    }
    txnRecords.push(record);
    ops.push(putOp(key, record, leaseOf));
    bytes += recordBytes;
  }
  if (ops.length > 0) yield { records: txnRecords, ops };
}

/** The put operations of `records`, e.g. again after their leases were granted anew. */
export function putOps(records: readonly KvRecord[], leaseOf: LeaseOf): IRequestOp[] {
  return records.map((record) => putOp(Buffer.from(record.key, 'utf8'), record, leaseOf));
}

/**
 * The value goes in as the record's own bytes: protobufjs writes any Uint8Array, so no
 * Buffer view is made per put (etcd3's types ask for a Buffer).
 */
function putOp(key: Buffer, { value, expiry }: KvRecord, leaseOf: LeaseOf): IRequestOp {
  const valueBytes = value as Buffer;
  return {
    request_put:
      expiry === undefined
        ? { key, value: valueBytes }
        : { key, value: valueBytes, lease: leaseOf(expiry.atUnixSeconds) },
  };
}

/**
 * `records` with a repeated key kept at its first position with its last value. Keys in
 * strictly increasing order (a sorted batch, or one a caller already de-duplicated in
 * order) cannot repeat: they skip the map, which costs far more than the comparisons.
 */
function withoutRepeatedKeys(records: readonly KvRecord[]): Iterable<KvRecord> {
  let previous: string | undefined;
  let increasing = true;
  for (const { key } of records) {
    if (previous !== undefined && !(key > previous)) {
      increasing = false;
      break;
    }
    previous = key;
  }
  if (increasing) return records;
  const unique = new Map<string, KvRecord>();
  for (const record of records) unique.set(record.key, record);
  return unique.values();
}

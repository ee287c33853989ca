import type { KvRecord } from '@message-bus/store-kv';

/** One record encoded for etcd: bytes ready for a `request_put`, and its expiry if any. */
export interface EncodedPut {
  readonly key: Buffer;
  readonly value: Buffer;
  /** `expiry.atUnixSeconds` of the record; selects its lease. */
  readonly expiresAt: number | undefined;
}

/** Protobuf framing, lease id and op wrapper of one put inside a txn, rounded up. */
const perOpOverheadBytes = 32;

/**
 * Encodes `records` and splits them into transactions of at most `maxOps` operations and
 * about `maxBytes` of keys and values each. A key written twice keeps its last value
 * (etcd rejects a txn naming a key twice, and txns in flight together have no order).
 */
export function splitIntoTxns(
  records: readonly KvRecord[],
  maxOps: number,
  maxBytes: number,
): EncodedPut[][] {
  const txns: EncodedPut[][] = [];
  let current: EncodedPut[] = [];
  let currentBytes = 0;
  for (const record of withoutRepeatedKeys(records)) {
    const put: EncodedPut = {
      key: Buffer.from(record.key, 'utf8'),
      value: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
      expiresAt: record.expiry?.atUnixSeconds,
    };
    const bytes = put.key.length + put.value.length + perOpOverheadBytes;
    if (current.length > 0 && (current.length >= maxOps || currentBytes + bytes > maxBytes)) {
      txns.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(put);
    currentBytes += bytes;
  }
  if (current.length > 0) txns.push(current);
  return txns;
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

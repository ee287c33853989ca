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
): Generator<EncodedPut[]> {
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
      yield current;
      current = [];
      currentBytes = 0;
    }
    current.push(put);
    currentBytes += bytes;
  }
  if (current.length > 0) yield current;
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

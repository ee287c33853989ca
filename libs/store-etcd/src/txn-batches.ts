import type { CallOptions } from '@grpc/grpc-js';
import type { KvRecord } from '@message-bus/store-kv';
import { EtcdInvalidAuthTokenError, type Etcd3, type IPutRequest, type IRequestOp } from 'etcd3';
import { pooledKvCall } from './pooled-kv-calls';

/**
 * An etcd lease id in the two forms a put needs: the varint this lib's request encoder
 * writes, and the form etcd3's encoder takes most cheaply, for a txn sent through etcd3.
 * Made once per lease and txn batch, not per put.
 */
export class PutLease {
  /** The int64 id as protobuf varint bytes (two's complement, as protobuf encodes int64). */
  readonly varint: Uint8Array;
  /**
   * etcd3 declares the int64 as a decimal string, which protobufjs parses into a Long
   * again for every put naming it; a Long-like `{ low, high }` it encodes as is.
   */
  readonly etcd3Id: NonNullable<IPutRequest['lease']>;

  constructor(id: string) {
    const bits = BigInt.asUintN(64, BigInt(id));
    const longBits = { low: Number(bits & 0xffff_ffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: false };
    this.etcd3Id = longBits as unknown as string;
    const varint: number[] = [];
    let rest = bits;
    for (; rest >= 0x80n; rest >>= 7n) varint.push(Number(rest & 0x7fn) | 0x80);
    varint.push(Number(rest));
    this.varint = Uint8Array.from(varint);
  }
}

/** The lease of the records that may be dropped after `atUnixSeconds`. */
export type LeaseOf = (atUnixSeconds: number) => PutLease;

/** One transaction: a put per record, no compares. */
export interface Txn {
  readonly records: readonly KvRecord[];
  readonly leaseOf: LeaseOf;
  /** The `etcdserverpb.TxnRequest`, encoded. */
  readonly request: Buffer;
}

/** Tag, length prefix and lease of one put inside a txn, beyond its key and value: at most 26 bytes. */
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
  let keyLengths: number[] = [];
  let bytes = 0;
  for (const record of withoutRepeatedKeys(records)) {
    const keyLength = Buffer.byteLength(record.key, 'utf8');
    const recordBytes = keyLength + record.value.length + perOpOverheadBytes;
    if (txnRecords.length > 0 && (txnRecords.length >= maxOps || bytes + recordBytes > maxBytes)) {
      yield { records: txnRecords, leaseOf, request: writeTxnRequest(txnRecords, keyLengths, leaseOf) };
      txnRecords = [];
      keyLengths = [];
      bytes = 0;
    }
    txnRecords.push(record);
    keyLengths.push(keyLength);
    bytes += recordBytes;
  }
  if (txnRecords.length > 0) {
    yield { records: txnRecords, leaseOf, request: writeTxnRequest(txnRecords, keyLengths, leaseOf) };
  }
}

/** Whether `encodeTxns` would put `records` into one transaction. */
export function fitInOneTxn(records: readonly KvRecord[], maxOps: number, maxBytes: number): boolean {
  // Counted with any repeated keys, which can only make it say no where one txn would do.
  if (records.length > maxOps) return false;
  let bytes = 0;
  for (const record of records) {
    bytes += Buffer.byteLength(record.key, 'utf8') + record.value.length + perOpOverheadBytes;
  }
  return records.length <= 1 || bytes <= maxBytes;
}

/** The txn of `records` again, e.g. after their leases were granted anew. */
export function encodeTxn(records: readonly KvRecord[], leaseOf: LeaseOf): Txn {
  const keyLengths = records.map(({ key }) => Buffer.byteLength(key, 'utf8'));
  return { records, leaseOf, request: writeTxnRequest(records, keyLengths, leaseOf) };
}

/**
 * Sends a txn through etcd3's connection pool as this lib encoded it (see
 * `pooledKvCall`), and ignores the answer: a txn without compares always succeeds, and
 * a failure comes as a gRPC status. etcd3 would build an object per put to encode, and
 * decode a response header per put with its int64s as strings; together that was about
 * a third of the client's CPU per record written. A txn refused for an expired auth
 * token is repeated through `kv.txn`, which renews the token.
 */
export function txnSender(client: Etcd3): (txn: Txn, options: CallOptions) => Promise<void> {
  const send = pooledKvCall<Buffer, void>(client, 'Txn', { encode: sendAsIs, decode: ignoreAnswer });
  return async (txn, options) => {
    try {
      await send(txn.request, options);
    } catch (error) {
      if (!(error instanceof EtcdInvalidAuthTokenError)) throw error;
      await client.kv.txn({ success: putOps(txn.records, txn.leaseOf) }, options);
    }
  };
}

const sendAsIs = (request: Buffer) => request;
const ignoreAnswer = () => undefined;

/** The put operations of `records` as etcd3 takes them. */
export function putOps(records: readonly KvRecord[], leaseOf: LeaseOf): IRequestOp[] {
  return records.map(({ key, value, expiry }) => ({
    request_put: {
      key: Buffer.from(key, 'utf8'),
      // protobufjs writes any Uint8Array; etcd3's types ask for a Buffer.
      value: value as Buffer,
      ...(expiry === undefined ? {} : { lease: leaseOf(expiry.atUnixSeconds).etcd3Id }),
    },
  }));
}

// Field tags of etcd's rpc.proto: TxnRequest.success (2), RequestOp.request_put (2),
// PutRequest.key (1), .value (2) as length-delimited fields, PutRequest.lease (3) as a varint.
const TXN_SUCCESS_TAG = (2 << 3) | 2;
const OP_REQUEST_PUT_TAG = (2 << 3) | 2;
const PUT_KEY_TAG = (1 << 3) | 2;
const PUT_VALUE_TAG = (2 << 3) | 2;
const PUT_LEASE_TAG = (3 << 3) | 0;

/**
 * An `etcdserverpb.TxnRequest` with a put per record, byte for byte what etcd3's
 * encoder makes of `{ success: putOps(records, leaseOf) }`: sizes first, then one
 * buffer written front to back.
 */
function writeTxnRequest(
  records: readonly KvRecord[],
  keyLengths: readonly number[],
  leaseOf: LeaseOf,
): Buffer {
  const leases: (PutLease | undefined)[] = [];
  const putLengths: number[] = [];
  let total = 0;
  let lastExpiry: KvRecord['expiry'];
  let lastLease: PutLease | undefined;
  for (let index = 0; index < records.length; index += 1) {
    const { value, expiry } = records[index]!;
    // Records of one bucket share one expiry object: its lease is looked up once.
    if (expiry !== lastExpiry) {
      lastExpiry = expiry;
      lastLease = expiry === undefined ? undefined : leaseOf(expiry.atUnixSeconds);
    }
    const putLength =
      fieldLength(keyLengths[index]!) +
      fieldLength(value.length) +
      (lastLease === undefined ? 0 : 1 + lastLease.varint.length);
    leases.push(lastLease);
    putLengths.push(putLength);
    // The put is a field of its RequestOp, which is a field of the TxnRequest.
    total += fieldLength(fieldLength(putLength));
  }
  const request = Buffer.allocUnsafe(total);
  let at = 0;
  for (let index = 0; index < records.length; index += 1) {
    const { key, value } = records[index]!;
    const putLength = putLengths[index]!;
    const keyLength = keyLengths[index]!;
    const lease = leases[index];
    request[at++] = TXN_SUCCESS_TAG;
    at = writeVarint(request, at, fieldLength(putLength));
    request[at++] = OP_REQUEST_PUT_TAG;
    at = writeVarint(request, at, putLength);
    request[at++] = PUT_KEY_TAG;
    at = writeVarint(request, at, keyLength);
    at += request.write(key, at, keyLength, 'utf8');
    request[at++] = PUT_VALUE_TAG;
    at = writeVarint(request, at, value.length);
    request.set(value, at);
    at += value.length;
    if (lease !== undefined) {
      request[at++] = PUT_LEASE_TAG;
      request.set(lease.varint, at);
      at += lease.varint.length;
    }
  }
  return request;
}

/** Bytes of a length-delimited field holding `length` bytes: tag, length prefix, content. */
function fieldLength(length: number): number {
  return 1 + varintLength(length) + length;
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length += 1;
  return length;
}

function writeVarint(target: Buffer, at: number, value: number): number {
  let rest = value;
  for (; rest >= 0x80; rest = Math.floor(rest / 0x80)) target[at++] = (rest & 0x7f) | 0x80;
  target[at++] = rest;
  return at;
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

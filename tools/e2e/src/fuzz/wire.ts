/**
 * Protobuf wire format at the byte level: a writer that can also write what no encoder
 * would (wrong wire types, overlong varints, lengths past the end), and a reader of the
 * fields of one message level. Field values are bigint so 64-bit patterns stay exact.
 */

export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const;

export class WireWriter {
  private readonly chunks: Buffer[] = [];
  private pending: number[] = [];

  /** A varint of the low 64 bits of `value` (negative numbers take ten bytes, as int64 does). */
  varint(value: bigint | number): this {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 31) {
      let small = value;
      while (small >= 0x80) {
        this.pending.push((small & 0x7f) | 0x80);
        small >>>= 7;
      }
      this.pending.push(small);
      return this;
    }
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest >= 0x80n) {
      this.pending.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.pending.push(Number(rest));
    return this;
  }

  tag(fieldNumber: number, wireType: number): this {
    return this.varint((BigInt(fieldNumber) << 3n) | BigInt(wireType));
  }

  fixed32(value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value >>> 0);
    return this.raw(bytes);
  }

  fixed64(value: bigint): this {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(BigInt.asUintN(64, value));
    return this.raw(bytes);
  }

  double(value: number): this {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(value);
    return this.raw(bytes);
  }

  float(value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeFloatLE(value);
    return this.raw(bytes);
  }

  /** A length prefix and the bytes. */
  lengthDelimited(bytes: Uint8Array): this {
    return this.varint(bytes.length).raw(bytes);
  }

  raw(bytes: Uint8Array): this {
    this.flushPending();
    this.chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    return this;
  }

  finish(): Buffer {
    this.flushPending();
    return Buffer.concat(this.chunks);
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Buffer.from(this.pending));
    this.pending = [];
  }
}

/** One field of a message level as found on the wire; `start` is the offset of its tag. */
export interface WireField {
  readonly number: number;
  readonly wireType: number;
  readonly start: number;
  /** Offset of the length prefix (length-delimited fields) or of the value. */
  readonly valueStart: number;
  readonly end: number;
  /** The varint value, or the fixed value's bits. */
  readonly scalar: bigint;
  /** The payload of a length-delimited field. */
  readonly bytes: Buffer;
}

/** The fields of one message level; throws on bytes that are not one (the reader is for well-formed input). */
export function readWireFields(bytes: Buffer): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const readVarint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = bytes[offset];
      if (byte === undefined) throw new RangeError(`varint runs past the end at ${offset}`);
      offset += 1;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new RangeError(`varint longer than ten bytes at ${offset}`);
  };
  while (offset < bytes.length) {
    const start = offset;
    const key = readVarint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    const valueStart = offset;
    let scalar = 0n;
    let payload: Buffer = Buffer.alloc(0);
    switch (wireType) {
      case WireType.varint:
        scalar = readVarint();
        break;
      case WireType.fixed64:
        scalar = bytes.readBigUInt64LE(offset);
        offset += 8;
        break;
      case WireType.fixed32:
        scalar = BigInt(bytes.readUInt32LE(offset));
        offset += 4;
        break;
      case WireType.lengthDelimited: {
        const length = Number(readVarint());
        if (offset + length > bytes.length) throw new RangeError(`length ${length} runs past the end`);
        payload = bytes.subarray(offset, offset + length);
        offset += length;
        break;
      }
      default:
        throw new RangeError(`wire type ${wireType} at ${start} is not read here`);
    }
    fields.push({ number, wireType, start, valueStart, end: offset, scalar, bytes: payload });
  }
  return fields;
}

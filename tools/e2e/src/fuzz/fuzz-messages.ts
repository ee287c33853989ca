import { FieldType, type FieldSchema, type ProtoSchema } from './proto-schema';
import type { SeededRandom } from './seeded-random';
import { readWireFields, WireType, WireWriter, type WireField } from './wire';

/**
 * Request payloads for the fuzzer: schema-driven messages with plausible and extreme
 * field values, then corrupted at the byte level. Every generator draws only from the
 * case's SeededRandom, so a case is rebuilt from (seed, index).
 */

export interface FuzzContext {
  readonly schema: ProtoSchema;
  /** Now, in unix seconds: plausible timestamps lie shortly before it. */
  readonly nowSeconds: bigint;
  /** Valid detector ids the fuzzer reuses, so writes and queries meet the same data. */
  readonly detectorIds: readonly string[];
}

/** How a payload came about, for the report and for reproducing a failure. */
export type PayloadKind =
  | 'schema-valid'
  | 'schema-raw'
  | 'flipped-bytes'
  | 'truncated'
  | 'inserted-bytes'
  | 'wrong-wire-type'
  | 'length-past-end'
  | 'invalid-varint'
  | 'unknown-fields'
  | 'deep-nesting'
  | 'bad-tags'
  | 'random-bytes'
  | 'empty'
  | 'concatenated'
  | 'oversized-repeated'
  | 'over-max-size';

export interface FuzzPayload {
  readonly kind: PayloadKind;
  readonly bytes: Buffer;
}

const TIMESTAMP_TYPE = '.google.protobuf.Timestamp';
const MAX_DEPTH = 4;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
/** 9999-12-31T23:59:59Z, the last second a Timestamp may hold, and one past it. */
const LAST_TIMESTAMP_SECOND = 253_402_300_799n;
/** grpc-js's default largest request message (cqserver sets no other). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** An ordinary payload for `typeName`: a schema-driven message, most often corrupted. */
export function fuzzPayload(context: FuzzContext, random: SeededRandom, typeName: string): FuzzPayload {
  const roll = random.below(100);
  if (roll < 4) return { kind: 'empty', bytes: Buffer.alloc(0) };
  if (roll < 12) return { kind: 'random-bytes', bytes: random.bytes(random.between(1, 600)) };
  const message = randomMessage(context, random, typeName, 0);
  if (roll < 27) return { kind: 'schema-raw', bytes: message };
  if (roll < 35) return { kind: 'schema-valid', bytes: message };
  return corrupt(context, random, typeName, message);
}

/**
 * A message near or over the largest request: one repeated field of `typeName` (or an
 * unknown field, when it has none) repeated until `targetBytes`.
 */
export function oversizedPayload(
  context: FuzzContext,
  random: SeededRandom,
  typeName: string,
  targetBytes: number,
): FuzzPayload {
  const kind: PayloadKind = targetBytes > MAX_REQUEST_BYTES ? 'over-max-size' : 'oversized-repeated';
  const repeated = messageFields(context, typeName).filter((field) => field.repeated);
  const element = new WireWriter();
  if (repeated.length > 0) {
    writeField(context, random, element, random.pick(repeated), 0);
  } else {
    element.tag(random.between(1000, 2000), WireType.lengthDelimited).lengthDelimited(random.bytes(64));
  }
  const one = element.finish();
  const base = randomMessage(context, random, typeName, 0);
  const copies = Math.max(1, Math.ceil((targetBytes - base.length) / Math.max(1, one.length)));
  return { kind, bytes: Buffer.concat([base, Buffer.alloc(one.length * copies).fill(one)]) };
}

/** A schema-driven message of `typeName` with plausible and extreme values, well-formed on the wire. */
export function randomMessage(
  context: FuzzContext,
  random: SeededRandom,
  typeName: string,
  depth: number,
): Buffer {
  const writer = new WireWriter();
  if (typeName === TIMESTAMP_TYPE) {
    writeTimestamp(context, random, writer);
    return writer.finish();
  }
  const fields = messageFields(context, typeName);
  const chosenOneofMembers = new Map<number, FieldSchema>();
  for (const field of fields) {
    if (field.oneofIndex === undefined) continue;
    const chosen = chosenOneofMembers.get(field.oneofIndex);
    if (chosen === undefined || random.chance(0.4)) chosenOneofMembers.set(field.oneofIndex, field);
  }
  for (const field of fields) {
    if (field.type === FieldType.message && depth >= MAX_DEPTH) continue;
    if (field.oneofIndex !== undefined) {
      // Mostly one member of a oneof; sometimes two, where the last one on the wire wins.
      if (chosenOneofMembers.get(field.oneofIndex) !== field && !random.chance(0.05)) continue;
    } else if (!field.repeated && !random.chance(0.8)) {
      continue;
    }
    const count = field.repeated ? repeatCount(random) : 1;
    if (field.repeated && isPackable(field) && count > 0 && random.chance(0.5)) {
      const packed = new WireWriter();
      for (let i = 0; i < count; i += 1) writeScalar(context, random, packed, field);
      writer.tag(field.number, WireType.lengthDelimited).lengthDelimited(packed.finish());
      continue;
    }
    for (let i = 0; i < count; i += 1) writeField(context, random, writer, field, depth);
  }
  return writer.finish();
}

function messageFields(context: FuzzContext, typeName: string): readonly FieldSchema[] {
  return context.schema.messages.get(typeName)?.fields ?? [];
}

function repeatCount(random: SeededRandom): number {
  const roll = random.below(100);
  if (roll < 25) return 0;
  if (roll < 90) return random.between(1, 3);
  return random.between(4, 30);
}

function isPackable(field: FieldSchema): boolean {
  return ![FieldType.string, FieldType.bytes, FieldType.message, FieldType.group].includes(
    field.type as 9 | 12 | 11 | 10,
  );
}

function writeField(
  context: FuzzContext,
  random: SeededRandom,
  writer: WireWriter,
  field: FieldSchema,
  depth: number,
): void {
  switch (field.type) {
    case FieldType.message:
      writer
        .tag(field.number, WireType.lengthDelimited)
        .lengthDelimited(randomMessage(context, random, field.typeName, depth + 1));
      return;
    case FieldType.string:
      writer.tag(field.number, WireType.lengthDelimited).lengthDelimited(randomString(context, random));
      return;
    case FieldType.bytes:
      writer.tag(field.number, WireType.lengthDelimited).lengthDelimited(random.bytes(random.below(40)));
      return;
    default:
      writer.tag(field.number, wireTypeOf(field.type));
      writeScalar(context, random, writer, field);
  }
}

function wireTypeOf(type: number): number {
  switch (type) {
    case FieldType.double:
    case FieldType.fixed64:
    case FieldType.sfixed64:
      return WireType.fixed64;
    case FieldType.float:
    case FieldType.fixed32:
    case FieldType.sfixed32:
      return WireType.fixed32;
    default:
      return WireType.varint;
  }
}

function writeScalar(
  context: FuzzContext,
  random: SeededRandom,
  writer: WireWriter,
  field: FieldSchema,
): void {
  switch (field.type) {
    case FieldType.double:
      writer.double(randomDouble(random));
      return;
    case FieldType.float:
      writer.float(randomDouble(random));
      return;
    case FieldType.fixed64:
    case FieldType.sfixed64:
      writer.fixed64(randomInteger(context, random));
      return;
    case FieldType.fixed32:
    case FieldType.sfixed32:
      writer.fixed32(Number(BigInt.asUintN(32, randomInteger(context, random))));
      return;
    case FieldType.bool:
      // 2 is not a bool any encoder writes, but decoders must take any varint.
      writer.varint(random.pick([0, 1, 1, 2]));
      return;
    case FieldType.enum: {
      const declared = context.schema.enums.get(field.typeName) ?? [0];
      writer.varint(
        random.chance(0.85) ? random.pick(declared) : random.pick([-1, 99, INT32_MAX, INT32_MIN]),
      );
      return;
    }
    case FieldType.sint32:
    case FieldType.sint64: {
      const value = randomInteger(context, random);
      writer.varint(BigInt.asUintN(64, (value << 1n) ^ (value >> 63n)));
      return;
    }
    default:
      writer.varint(randomInteger(context, random));
  }
}

function writeTimestamp(context: FuzzContext, random: SeededRandom, writer: WireWriter): void {
  const seconds = random.chance(0.75)
    ? context.nowSeconds - BigInt(random.between(-600, 7200))
    : random.pick([
        0n,
        -1n,
        INT64_MAX,
        INT64_MIN,
        LAST_TIMESTAMP_SECOND,
        LAST_TIMESTAMP_SECOND + 1n,
        random.int64(),
      ]);
  const nanos = random.chance(0.8)
    ? random.below(1_000_000_000)
    : random.pick([-1, 1_000_000_000, INT32_MAX, INT32_MIN]);
  if (seconds !== 0n || random.chance(0.1)) writer.tag(1, WireType.varint).varint(seconds);
  if (nanos !== 0 || random.chance(0.1)) writer.tag(2, WireType.varint).varint(nanos);
}

function randomInteger(context: FuzzContext, random: SeededRandom): bigint {
  const roll = random.below(100);
  if (roll < 30) return BigInt(random.below(1000));
  if (roll < 40) return context.nowSeconds;
  if (roll < 50) return BigInt(random.between(-9_000_000, 9_000_000));
  return random.pick([0n, 1n, -1n, INT64_MAX, INT64_MIN, UINT64_MAX, 2n ** 53n + 1n, random.int64()]);
}

function randomDouble(random: SeededRandom): number {
  return random.chance(0.5)
    ? random.below(2000) / 100
    : random.pick([0, -0, NaN, Infinity, -Infinity, -1, 1e308, 5e-324, -1e-10]);
}

const ODD_STRINGS = ['a/b', '../up', 'x\u0000y', '\u0007bell', ' ', 'é漢字🚗', 'tab\there', 'new\nline'];

function randomString(context: FuzzContext, random: SeededRandom): Buffer {
  const roll = random.below(100);
  if (roll < 50) return Buffer.from(random.pick(context.detectorIds));
  if (roll < 65) return Buffer.from(`aa:bb:${random.below(256).toString(16)}:${random.below(1000)}`);
  if (roll < 70) return Buffer.alloc(0);
  // Invalid UTF-8 most of the time: lone continuation bytes, truncated sequences, 0xff.
  if (roll < 78) return Buffer.concat([random.bytes(random.between(1, 20)), Buffer.from([0xc3])]);
  if (roll < 86) return Buffer.from(random.pick(ODD_STRINGS));
  if (roll < 87)
    return Buffer.alloc(random.chance(0.9) ? random.between(65, 200) : random.between(1_000, 70_000), 'x');
  return Buffer.from(
    Array.from({ length: random.between(1, 80) }, () => String.fromCharCode(random.between(0x21, 0x7e))).join(
      '',
    ),
  );
}

/** `message` broken in one of many ways; `typeName` supplies well-formed pieces to splice in. */
function corrupt(context: FuzzContext, random: SeededRandom, typeName: string, message: Buffer): FuzzPayload {
  const fields = readWireFields(message);
  switch (random.below(12)) {
    case 0: {
      const bytes = Buffer.from(message.length === 0 ? random.bytes(4) : message);
      for (let flips = random.between(1, 4); flips > 0; flips -= 1) {
        const at = random.below(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << random.below(8));
      }
      return { kind: 'flipped-bytes', bytes };
    }
    case 1:
      return {
        kind: 'truncated',
        bytes: message.subarray(0, message.length === 0 ? 0 : random.below(message.length)),
      };
    case 2:
      return {
        kind: 'inserted-bytes',
        bytes: splice(message, random.below(message.length + 1), 0, random.bytes(random.between(1, 8))),
      };
    case 3: {
      const field = pickField(random, fields);
      if (field === undefined) break;
      const wrongType = (field.wireType + random.between(1, 7)) % 8;
      const tag = new WireWriter().tag(field.number, wrongType).finish();
      return {
        kind: 'wrong-wire-type',
        bytes: splice(message, field.start, field.valueStart - field.start, tag),
      };
    }
    case 4: {
      const field = pickField(
        random,
        fields.filter((f) => f.wireType === WireType.lengthDelimited),
      );
      if (field === undefined) break;
      const lengthBytes = field.end - field.bytes.length - field.valueStart;
      const tooLong = new WireWriter()
        .varint(field.bytes.length + random.pick([1, 1000, 2 ** 31, 2 ** 32 + 5]))
        .finish();
      return { kind: 'length-past-end', bytes: splice(message, field.valueStart, lengthBytes, tooLong) };
    }
    case 5: {
      // Eleven continuation bytes: longer than any varint may be; or a varint cut off by the end.
      const overlong = Buffer.concat([
        new WireWriter().tag(random.pick(fieldNumbers(context, typeName)), WireType.varint).finish(),
        Buffer.alloc(random.chance(0.5) ? 11 : random.between(1, 9), 0xff),
      ]);
      return random.chance(0.5)
        ? { kind: 'invalid-varint', bytes: Buffer.concat([message, overlong]) }
        : { kind: 'invalid-varint', bytes: Buffer.concat([overlong, Buffer.from([0x01]), message]) };
    }
    case 6:
      return { kind: 'unknown-fields', bytes: Buffer.concat([message, unknownFields(random)]) };
    case 7:
      return { kind: 'deep-nesting', bytes: Buffer.concat([message, deepNesting(random)]) };
    case 8:
      return { kind: 'bad-tags', bytes: Buffer.concat([message, badTag(random)]) };
    case 9:
      return {
        kind: 'concatenated',
        bytes: Buffer.concat([message, randomMessage(context, random, typeName, 0), message]),
      };
    case 10: {
      // A well-formed field of another number spliced in: a known field may meet the wrong type.
      const other = randomMessage(context, random, random.pick([...context.schema.messages.keys()]), 2);
      return { kind: 'wrong-wire-type', bytes: Buffer.concat([message, other]) };
    }
    default:
      break;
  }
  return { kind: 'random-bytes', bytes: random.bytes(random.between(1, 64)) };
}

function pickField(random: SeededRandom, fields: readonly WireField[]): WireField | undefined {
  return fields.length === 0 ? undefined : random.pick(fields);
}

function fieldNumbers(context: FuzzContext, typeName: string): number[] {
  const numbers = messageFields(context, typeName).map((field) => field.number);
  return numbers.length === 0 ? [1] : numbers;
}

function splice(bytes: Buffer, at: number, removed: number, inserted: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at + removed)]);
}

/** Well-formed fields of numbers no schema declares, of every wire type. */
function unknownFields(random: SeededRandom): Buffer {
  const writer = new WireWriter();
  for (let count = random.between(1, 6); count > 0; count -= 1) {
    const number = random.pick([1000, 19_999, 2 ** 29 - 1, random.between(100, 100_000)]);
    switch (random.below(4)) {
      case 0:
        writer.tag(number, WireType.varint).varint(random.int64());
        break;
      case 1:
        writer.tag(number, WireType.fixed64).fixed64(random.int64());
        break;
      case 2:
        writer.tag(number, WireType.fixed32).fixed32(random.next());
        break;
      default:
        writer.tag(number, WireType.lengthDelimited).lengthDelimited(random.bytes(random.below(100)));
    }
  }
  return writer.finish();
}

/** Unknown fields nested deep: length-delimited layers, or groups thousands of levels deep (closed or not). */
function deepNesting(random: SeededRandom): Buffer {
  const number = random.between(500, 600);
  if (random.chance(0.5)) {
    // Each level is a tag and the length of all it wraps, so the levels are written innermost first, then reversed.
    const prefixes: Buffer[] = [];
    let wrapped = 0;
    for (let level = random.between(50, 1500); level > 0; level -= 1) {
      const prefix = new WireWriter().tag(number, WireType.lengthDelimited).varint(wrapped).finish();
      prefixes.push(prefix);
      wrapped += prefix.length;
    }
    return Buffer.concat(prefixes.reverse());
  }
  // The decoder refuses groups nested deeper than its recursion limit (100 at the time of writing).
  const depth = random.pick([50, 99, 100, 101, 5_000]);
  const open = new WireWriter().tag(number, WireType.startGroup).finish();
  const close = new WireWriter().tag(number, WireType.endGroup).finish();
  const closed = random.chance(0.5) ? depth : random.below(depth);
  return Buffer.concat([
    Buffer.alloc(open.length * depth).fill(open),
    Buffer.alloc(close.length * closed).fill(close),
  ]);
}

/** A tag no valid message holds: field number 0, wire types 6 and 7, an end-group without its start. */
function badTag(random: SeededRandom): Buffer {
  switch (random.below(4)) {
    case 0:
      return new WireWriter().tag(0, WireType.varint).varint(1).finish();
    case 1:
      return new WireWriter().tag(random.between(1, 30), 6).varint(1).finish();
    case 2:
      return new WireWriter().tag(random.between(1, 30), 7).finish();
    default:
      return new WireWriter().tag(random.between(1, 30), WireType.endGroup).finish();
  }
}

import { readWireFields, type WireField } from './wire';

/**
 * The message schemas and RPC request types of the wire contract, read from the
 * FileDescriptorSet that @message-bus/proto embeds (`FILE_DESCRIPTOR_SET_BASE64`), so
 * the fuzzer knows the request type of every RPC, one added later included.
 */

/** google.protobuf.FieldDescriptorProto.Type values. */
export const FieldType = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  group: 10,
  message: 11,
  bytes: 12,
  uint32: 13,
  enum: 14,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
} as const;

const LABEL_REPEATED = 3;

export interface FieldSchema {
  readonly name: string;
  readonly number: number;
  readonly type: number;
  readonly repeated: boolean;
  /** `.package.Message` or `.package.Enum` for message and enum fields. */
  readonly typeName: string;
  /** Index into the message's oneofs, for a member of a real oneof (not a proto3 `optional`). */
  readonly oneofIndex: number | undefined;
}

export interface MessageSchema {
  readonly fullName: string;
  readonly fields: readonly FieldSchema[];
}

export interface ProtoSchema {
  readonly messages: ReadonlyMap<string, MessageSchema>;
  /** Enum full name → its declared numbers. */
  readonly enums: ReadonlyMap<string, readonly number[]>;
  /** RPC path (`/collector.CollectorService/CreateEventLog`) → full name of its request message. */
  readonly requestTypes: ReadonlyMap<string, string>;
}

export function readProtoSchema(fileDescriptorSet: Buffer): ProtoSchema {
  const messages = new Map<string, MessageSchema>();
  const enums = new Map<string, number[]>();
  const requestTypes = new Map<string, string>();
  for (const file of fieldsNumbered(readWireFields(fileDescriptorSet), 1)) {
    const fileFields = readWireFields(file.bytes);
    const pkg = text(fieldsNumbered(fileFields, 2)[0]);
    const scope = pkg === '' ? '' : `.${pkg}`;
    for (const message of fieldsNumbered(fileFields, 4)) readMessage(message.bytes, scope, messages, enums);
    for (const enumType of fieldsNumbered(fileFields, 5)) readEnum(enumType.bytes, scope, enums);
    for (const service of fieldsNumbered(fileFields, 6)) {
      const serviceFields = readWireFields(service.bytes);
      const serviceName = `${pkg === '' ? '' : `${pkg}.`}${text(fieldsNumbered(serviceFields, 1)[0])}`;
      for (const method of fieldsNumbered(serviceFields, 2)) {
        const methodFields = readWireFields(method.bytes);
        const methodName = text(fieldsNumbered(methodFields, 1)[0]);
        requestTypes.set(`/${serviceName}/${methodName}`, text(fieldsNumbered(methodFields, 2)[0]));
      }
    }
  }
  return { messages, enums, requestTypes };
}

function readMessage(
  bytes: Buffer,
  scope: string,
  messages: Map<string, MessageSchema>,
  enums: Map<string, number[]>,
): void {
  const wire = readWireFields(bytes);
  const fullName = `${scope}.${text(fieldsNumbered(wire, 1)[0])}`;
  const fields = fieldsNumbered(wire, 2).map((field): FieldSchema => {
    const f = readWireFields(field.bytes);
    const proto3Optional = fieldsNumbered(f, 17)[0]?.scalar === 1n;
    const oneof = fieldsNumbered(f, 9)[0];
    return {
      name: text(fieldsNumbered(f, 1)[0]),
      number: Number(fieldsNumbered(f, 3)[0]?.scalar ?? 0n),
      type: Number(fieldsNumbered(f, 5)[0]?.scalar ?? 0n),
      repeated: fieldsNumbered(f, 4)[0]?.scalar === BigInt(LABEL_REPEATED),
      typeName: text(fieldsNumbered(f, 6)[0]),
      oneofIndex: oneof === undefined || proto3Optional ? undefined : Number(oneof.scalar),
    };
  });
  messages.set(fullName, { fullName, fields });
  for (const nested of fieldsNumbered(wire, 3)) readMessage(nested.bytes, fullName, messages, enums);
  for (const enumType of fieldsNumbered(wire, 4)) readEnum(enumType.bytes, fullName, enums);
}

function readEnum(bytes: Buffer, scope: string, enums: Map<string, number[]>): void {
  const wire = readWireFields(bytes);
  const numbers = fieldsNumbered(wire, 2).map((value) =>
    Number(BigInt.asIntN(32, fieldsNumbered(readWireFields(value.bytes), 2)[0]?.scalar ?? 0n)),
  );
  enums.set(`${scope}.${text(fieldsNumbered(wire, 1)[0])}`, numbers);
}

function fieldsNumbered(fields: readonly WireField[], number: number): WireField[] {
  return fields.filter((field) => field.number === number);
}

function text(field: WireField | undefined): string {
  return field === undefined ? '' : field.bytes.toString('utf8');
}

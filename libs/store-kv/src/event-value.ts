import type { UnixNanos } from '@message-bus/domain';
import { goStyleMember, jsonMemberSources } from './json-object';
import { parseNanosText } from './key-time';
import { accept, reject, type Parsed } from './parsed';
import { encodeStdBase64, isStdBase64 } from './base64';

/**
 * The value of an event key, as the original writes it (`collector/etcd.go`, `save`):
 * `base64.StdEncoding` (standard alphabet, `=` padding, no line breaks) of Go's
 * `json.Marshal(struct{ Timestamp int64 })`, i.e. `{"Timestamp":1563691800139778436}`
 * with no spaces and the unix nanoseconds as a JSON number. The original's reader
 * (`query/etcd.go`, `eventValue`) decodes it into the same struct, so it ignores any
 * other member and matches `Timestamp` case-insensitively.
 *
 * This codec writes exactly that, plus `"Previous":"<pseudonym>"` when the sighting
 * carries the previous rotation period's pseudonym (which the original ignores). The
 * nanoseconds are printed and read as exact decimal text, never through a JS number.
 * For the design note's `{"timestamp": "<unixNano>"}`, a decimal string is read too.
 */
export interface EventValue {
  readonly time: UnixNanos;
  readonly previousDeviceId?: string;
}

const DECIMAL_STRING = /^"[0-9]+"$/;
const PLAIN_VALUE = /^\{"Timestamp":(0|[1-9][0-9]{0,18})\}$/;

/** Holds the JSON while it is base64-encoded; encoding is synchronous, so one buffer serves all. */
const jsonBytes = Buffer.alloc(2048);
const TIMESTAMP_OPENING = '{"Timestamp":';
jsonBytes.write(TIMESTAMP_OPENING, 0, 'latin1');
const CLOSING_BRACE = 0x7d;

export function encodeEventValue(time: UnixNanos, previousDeviceId?: string): Uint8Array {
  if (previousDeviceId === undefined) {
    // The common value, written straight into the buffer after its constant opening.
    const end =
      TIMESTAMP_OPENING.length + jsonBytes.write(time.toString(), TIMESTAMP_OPENING.length, 'latin1');
    jsonBytes[end] = CLOSING_BRACE;
    return encodeStdBase64(jsonBytes, end + 1);
  }
  const json = `${TIMESTAMP_OPENING}${time.toString()},"Previous":${JSON.stringify(previousDeviceId)}}`;
  // Rewrites the constant opening with itself. 3 bytes per UTF-16 unit bound the UTF-8
  // length; longer JSON takes the allocating path.
  if (json.length * 3 > jsonBytes.length)
    return Buffer.from(Buffer.from(json, 'utf8').toString('base64'), 'latin1');
  return encodeStdBase64(jsonBytes, jsonBytes.write(json, 0, 'utf8'));
}

export function decodeEventValue(bytes: Uint8Array): Parsed<EventValue> {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!isStdBase64(base64)) return reject('value is not standard padded base64');
  const json = Buffer.from(base64, 'base64').toString('utf8');
  // The exact form both systems write without extra members: read without a JSON parse.
  const plain = PLAIN_VALUE.exec(json);
  if (plain !== null) return accept({ time: BigInt(plain[1]!) });
  const members = jsonMemberSources(json);
  if (!members.ok) return reject(`value's base64 content ${members.reason}`);
  const timestampSource = goStyleMember(members.value, 'Timestamp');
  if (timestampSource === undefined) return reject('value has no Timestamp');
  const digits = DECIMAL_STRING.test(timestampSource) ? timestampSource.slice(1, -1) : timestampSource;
  const time = parseNanosText(digits);
  if (!time.ok) return reject(`value's Timestamp ${time.reason}`);
  const previousSource = members.value.get('Previous');
  if (previousSource === undefined) return accept({ time: time.value });
  const previousDeviceId: unknown = JSON.parse(previousSource);
  if (typeof previousDeviceId !== 'string' || previousDeviceId.length === 0) {
    return reject("value's Previous is not a non-empty string");
  }
  return accept({ time: time.value, previousDeviceId });
}

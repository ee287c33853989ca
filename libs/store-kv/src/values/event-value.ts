import type { UnixNanos } from '@message-bus/domain';
import { goStyleMember, jsonMemberSources } from './json-object';
import { parseNanosText } from '../keys/key-time';
import { accept, reject, type Parsed } from '../parsed';
import { encodeStdBase64, isStdBase64 } from '../keys/base64';

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

const TIMESTAMP_OPENING = '{"Timestamp":';
const CLOSING_BRACE = 0x7d;
/** Room for the JSON being base64-encoded; JSON over a third of it (UTF-8 takes up to 3 bytes per UTF-16 unit) is encoded by allocating. */
const JSON_BYTES = 2048;

/** Base64 character code → its 6 bits; -1 for '=' and everything outside the standard alphabet. */
const SEXTET_OF_CHAR_CODE: readonly number[] = (() => {
  const table = new Array<number>(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let value = 0; value < alphabet.length; value += 1) table[alphabet.charCodeAt(value)] = value;
  return table;
})();
const PAD = 0x3d; // '='
const DIGIT_0 = 0x30;
/** The plain value's JSON is `{"Timestamp":` + 1 to 19 digits + `}`: 15 to 33 bytes, 20 to 44 in base64. */
const TIMESTAMP_OPENING_CODES: readonly number[] = Array.from(TIMESTAMP_OPENING, (character) =>
  character.charCodeAt(0),
);
const PLAIN_BASE64_MIN = 20;
const PLAIN_BASE64_MAX = 44;

/**
 * Encodes and decodes event values, owning the bytes of the one being written or read.
 * Make one per repository (or other caller) and keep it.
 */
export class EventValueCodec {
  private readonly jsonBytes = Buffer.alloc(JSON_BYTES);
  /** The decoded JSON of the plain value being read. */
  private readonly plainJson = new Uint8Array(((PLAIN_BASE64_MAX / 4) | 0) * 3);

  constructor() {
    this.jsonBytes.write(TIMESTAMP_OPENING, 0, 'latin1');
  }

  encode(time: UnixNanos, previousDeviceId?: string): Uint8Array {
    const jsonBytes = this.jsonBytes;
    if (previousDeviceId === undefined) {
      // The common value, written straight into the buffer after its constant opening.
      const end =
        TIMESTAMP_OPENING.length + jsonBytes.write(time.toString(), TIMESTAMP_OPENING.length, 'latin1');
      jsonBytes[end] = CLOSING_BRACE;
      return encodeStdBase64(jsonBytes, end + 1);
    }
    const json = `${TIMESTAMP_OPENING}${time.toString()},"Previous":${JSON.stringify(previousDeviceId)}}`;
    // Rewrites the constant opening with itself. Longer JSON takes the allocating path.
    if (json.length * 3 > jsonBytes.length)
      return Buffer.from(Buffer.from(json, 'utf8').toString('base64'), 'latin1');
    return encodeStdBase64(jsonBytes, jsonBytes.write(json, 0, 'utf8'));
  }

  decode(bytes: Uint8Array): Parsed<EventValue> {
    const plainTime = this.plainValueTime(bytes);
    if (plainTime !== undefined) return accept({ time: plainTime });
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

  /**
   * The time of a value in the exact form both systems write without extra members
   * (`PLAIN_VALUE`), read straight from the base64 bytes without building a string; or
   * undefined for anything else, which the general path then reads or rejects. Accepts
   * exactly what `isStdBase64` and `PLAIN_VALUE` accept together, and reads the same time.
   */
  private plainValueTime(bytes: Uint8Array): UnixNanos | undefined {
    const plainJson = this.plainJson;
    const length = bytes.length;
    if (length < PLAIN_BASE64_MIN || length > PLAIN_BASE64_MAX || length % 4 !== 0) return undefined;
    let size = 0;
    for (let i = 0; i < length; i += 4) {
      const a = sextetAt(bytes, i);
      const b = sextetAt(bytes, i + 1);
      if (a < 0 || b < 0) return undefined;
      plainJson[size++] = (a << 2) | (b >> 4);
      const c = sextetAt(bytes, i + 2);
      const d = sextetAt(bytes, i + 3);
      if (c >= 0 && d >= 0) {
        plainJson[size++] = ((b & 0x0f) << 4) | (c >> 2);
        plainJson[size++] = ((c & 0x03) << 6) | d;
        continue;
      }
      // Padding: only in the last group, as `xx==` or `xxx=`.
      if (i + 4 !== length || bytes[i + 3] !== PAD) return undefined;
      if (c >= 0) plainJson[size++] = ((b & 0x0f) << 4) | (c >> 2);
      else if (bytes[i + 2] !== PAD) return undefined;
    }
    const opening = TIMESTAMP_OPENING_CODES.length;
    const digits = size - opening - 1;
    if (digits < 1 || digits > 19 || plainJson[size - 1] !== CLOSING_BRACE) return undefined;
    for (let i = 0; i < opening; i += 1) if (plainJson[i] !== TIMESTAMP_OPENING_CODES[i]) return undefined;
    if (plainJson[opening] === DIGIT_0 && digits > 1) return undefined;
    // Up to 10 leading and 9 trailing digits, each exact as a number.
    const split = size - 1 - Math.min(digits, 9);
    let high = 0;
    let low = 0;
    for (let i = opening; i < size - 1; i += 1) {
      const digit = plainJson[i]! - DIGIT_0;
      if (digit < 0 || digit > 9) return undefined;
      if (i < split) high = high * 10 + digit;
      else low = low * 10 + digit;
    }
    return high === 0 ? BigInt(low) : BigInt(high) * 1_000_000_000n + BigInt(low);
  }
}

function sextetAt(bytes: Uint8Array, index: number): number {
  const code = bytes[index]!;
  return code < 128 ? SEXTET_OF_CHAR_CODE[code]! : -1;
}

/**
 * ULIDs (https://github.com/ulid/spec): 26 characters of Crockford base32, the first
 * 10 a 48-bit unix millisecond time, the last 16 an 80-bit "random" part. Upper case,
 * as oklog/ulid (the original system's library) prints them, so that byte order is
 * time order.
 */

const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const ULID_LENGTH = 26;
/** Characters of the time part; a prefix of this length selects one millisecond. */
export const ULID_TIME_LENGTH = 10;
export const ULID_ENTROPY_BYTES = 10;
export const MAX_ULID_TIME_MS = 2 ** 48 - 1;

/** Character code → 5-bit value, -1 for characters outside the (upper-case) alphabet. */
const VALUE_OF_CHAR_CODE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let value = 0; value < CROCKFORD_ALPHABET.length; value += 1) {
    table[CROCKFORD_ALPHABET.charCodeAt(value)] = value;
  }
  return table;
})();

/** The 10-character time part of every ULID of millisecond `ms`. */
export function encodeUlidTime(ms: number): string {
  checkTime(ms);
  writeTime(ms);
  return charCodes.toString('latin1', 0, ULID_TIME_LENGTH);
}

/** A ULID of millisecond `ms` whose 80-bit part is the first 10 bytes of `entropy`. */
export function encodeUlid(ms: number, entropy: Uint8Array): string {
  encodeCharCodes(ms, entropy);
  // One string from the character codes: far less garbage than 26 concatenations.
  return charCodes.toString('latin1', 0, ULID_LENGTH);
}

/** The ULID `encodeUlid` makes, written as its 26 ASCII bytes into `target` at `offset`. */
export function writeUlid(ms: number, entropy: Uint8Array, target: Uint8Array, offset: number): void {
  encodeCharCodes(ms, entropy);
  target.set(charCodes, offset);
}

function encodeCharCodes(ms: number, entropy: Uint8Array): void {
  checkTime(ms);
  if (entropy.length < ULID_ENTROPY_BYTES) {
    throw new RangeError(`ULID entropy needs ${ULID_ENTROPY_BYTES} bytes, got ${entropy.length}`);
  }
  writeTime(ms);
  writeFortyBits(entropy, 0, ULID_TIME_LENGTH);
  writeFortyBits(entropy, 5, ULID_TIME_LENGTH + 8);
}

/** Why `text` is not a ULID, or undefined when it is one. */
export function ulidProblem(text: string): string | undefined {
  if (text.length !== ULID_LENGTH) return `is ${text.length} characters long, a ULID has ${ULID_LENGTH}`;
  for (let i = 0; i < ULID_LENGTH; i += 1) {
    if (valueAt(text, i) < 0) {
      return `has ${JSON.stringify(text.charAt(i))} at character ${i + 1}, outside upper-case Crockford base32`;
    }
  }
  // 26 characters hold 130 bits; the first may only carry the top 3 of the 48 time bits.
  if (valueAt(text, 0) > 7)
    return `starts with ${JSON.stringify(text.charAt(0))}: its time would exceed 48 bits`;
  return undefined;
}

/** The millisecond of a ULID that `ulidProblem` accepted. */
export function decodeUlidTime(ulid: string): number {
  let ms = 0;
  for (let i = 0; i < ULID_TIME_LENGTH; i += 1) ms = ms * 32 + valueAt(ulid, i);
  return ms;
}

function valueAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? (VALUE_OF_CHAR_CODE[code] ?? -1) : -1;
}

/** The characters of the ULID being encoded; encoding is synchronous, so one buffer serves all. */
const charCodes = Buffer.alloc(ULID_LENGTH);
const CHAR_CODE_OF_VALUE = Uint8Array.from(CROCKFORD_ALPHABET, (character) => character.charCodeAt(0));

function checkTime(ms: number): void {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_ULID_TIME_MS) {
    throw new RangeError(`ULID time must be an integer millisecond in 0..2^48-1, got ${ms}`);
  }
}

function writeTime(ms: number): void {
  let rest = ms;
  for (let i = ULID_TIME_LENGTH - 1; i >= 0; i -= 1) {
    charCodes[i] = CHAR_CODE_OF_VALUE[rest % 32]!;
    rest = Math.floor(rest / 32);
  }
}

/** 5 bytes (40 bits) of `bytes` from `offset` as 8 characters at `at`, most significant bits first. */
function writeFortyBits(bytes: Uint8Array, offset: number, at: number): void {
  const b0 = bytes[offset]!;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  const b3 = bytes[offset + 3]!;
  const b4 = bytes[offset + 4]!;
  const code = CHAR_CODE_OF_VALUE;
  charCodes[at] = code[b0 >> 3]!;
  charCodes[at + 1] = code[((b0 & 0x07) << 2) | (b1 >> 6)]!;
  charCodes[at + 2] = code[(b1 >> 1) & 0x1f]!;
  charCodes[at + 3] = code[((b1 & 0x01) << 4) | (b2 >> 4)]!;
  charCodes[at + 4] = code[((b2 & 0x0f) << 1) | (b3 >> 7)]!;
  charCodes[at + 5] = code[(b3 >> 2) & 0x1f]!;
  charCodes[at + 6] = code[((b3 & 0x03) << 3) | (b4 >> 5)]!;
  charCodes[at + 7] = code[b4 & 0x1f]!;
}

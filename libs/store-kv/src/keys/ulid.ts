import { encodeTime, MAX_ULID, TIME_LEN, TIME_MAX, ulid } from 'ulid';

/**
 * ULIDs (https://github.com/ulid/spec) through the `ulid` package (reading and writing
 * event keys take checked fast paths, below): 26 characters of
 * Crockford base32, the first 10 a 48-bit unix millisecond time, the last 16 an 80-bit
 * "random" part. Upper case, as oklog/ulid (the original system's library) prints them,
 * so that byte order is time order.
 */

export const ULID_LENGTH = 26;
/** Characters of the time part; a prefix of this length selects one millisecond. */
export const ULID_TIME_LENGTH: number = TIME_LEN;
export const ULID_ENTROPY_BYTES = 10;
export const MAX_ULID_TIME_MS: number = TIME_MAX;
const RANDOM_CHARACTERS = ULID_LENGTH - ULID_TIME_LENGTH;
const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The Crockford digit of each ASCII code, or -1: upper case only, so byte order is time order. */
const CROCKFORD_DIGITS: readonly number[] = Array.from({ length: 128 }, (_, code) =>
  CROCKFORD_ALPHABET.indexOf(String.fromCharCode(code)),
);

/** The 10-character time part of every ULID of millisecond `ms`. */
export function encodeUlidTime(ms: number): string {
  return encodeTime(ms);
}

/**
 * The ULID of millisecond `ms` whose 80-bit part is the first 10 bytes of `entropy`,
 * made by the package: its PRNG argument is fed the 16 five-bit values of `entropy`.
 */
export function encodeUlid(ms: number, entropy: Uint8Array): string {
  checkEntropy(entropy);
  const fiveBitValues = new Uint8Array(RANDOM_CHARACTERS);
  writeFiveBitValues(entropy, fiveBitValues, 0);
  // The package draws the random characters last first (it prepends each draw).
  let next = RANDOM_CHARACTERS;
  const randomPart = ulid(MAX_ULID_TIME_MS, () => fiveBitValues[--next]! / 32).slice(ULID_TIME_LENGTH);
  // `ulid(0, prng)` takes 0 for "no time given" and reads the clock, so the time part is encoded apart.
  return encodeTime(ms) + randomPart;
}

/**
 * Why `text` is not a ULID, or undefined when it is one: the package's `isValid`,
 * narrowed to upper case and to times of 48 bits. Written here because every key read
 * checks its ULID, and the package's split-and-scan made listing 10,000 events on lmdb
 * 1.7× slower (the ULID read rows of `bench:store`); a test compares the two on many inputs.
 */
export function ulidProblem(text: string): string | undefined {
  if (text.length !== ULID_LENGTH) return `is ${text.length} characters long, a ULID has ${ULID_LENGTH}`;
  for (let at = 0; at < ULID_LENGTH; at += 1) {
    const code = text.charCodeAt(at);
    if (code >= CROCKFORD_DIGITS.length || CROCKFORD_DIGITS[code] === -1) {
      return `has ${JSON.stringify(text.charAt(at))} at character ${at + 1}, outside upper-case Crockford base32`;
    }
  }
  // 26 characters hold 130 bits; the first may only carry the top 3 of the 48 time bits.
  if (text > MAX_ULID) return `starts with ${JSON.stringify(text.charAt(0))}: its time would exceed 48 bits`;
  return undefined;
}

/** The millisecond of a ULID that `ulidProblem` accepted: the package's `decodeTime`, without its string splitting. */
export function decodeUlidTime(text: string): number {
  let ms = 0;
  for (let at = 0; at < ULID_TIME_LENGTH; at += 1) ms = ms * 32 + CROCKFORD_DIGITS[text.charCodeAt(at)]!;
  return ms;
}

function checkEntropy(entropy: Uint8Array): void {
  if (entropy.length < ULID_ENTROPY_BYTES) {
    throw new RangeError(`ULID entropy needs ${ULID_ENTROPY_BYTES} bytes, got ${entropy.length}`);
  }
}

/** Writes the 16 five-bit values of `entropy[0..10)` into `values` from `at`, most significant first. */
function writeFiveBitValues(entropy: Uint8Array, values: Uint8Array, at: number): void {
  for (let half = 0; half < 2; half += 1) {
    const offset = half * 5;
    const to = at + half * 8;
    const b0 = entropy[offset]!;
    const b1 = entropy[offset + 1]!;
    const b2 = entropy[offset + 2]!;
    const b3 = entropy[offset + 3]!;
    const b4 = entropy[offset + 4]!;
    values[to] = b0 >> 3;
    values[to + 1] = ((b0 & 0x07) << 2) | (b1 >> 6);
    values[to + 2] = (b1 >> 1) & 0x1f;
    values[to + 3] = ((b1 & 0x01) << 4) | (b2 >> 4);
    values[to + 4] = ((b2 & 0x0f) << 1) | (b3 >> 7);
    values[to + 5] = (b3 >> 2) & 0x1f;
    values[to + 6] = ((b3 & 0x03) << 3) | (b4 >> 5);
    values[to + 7] = b4 & 0x1f;
  }
}

/**
 * Writes deterministic ULIDs as ASCII bytes straight into a key being built, the same
 * text `encodeUlid` makes through the package (a test compares them on many inputs):
 * the package builds each ULID from 26 one-character strings, which costs the append
 * path more than the store benchmark allows (see the ULID rows of `bench:store`). Each
 * writer owns the character codes of the ULID it writes; make one per key writer.
 */
export class UlidWriter {
  private readonly characterCodes = Buffer.alloc(ULID_LENGTH);
  private readonly codeOfValue: readonly number[] = Array.from(CROCKFORD_ALPHABET, (character) =>
    character.charCodeAt(0),
  );

  /** The ULID `encodeUlid(ms, entropy)` makes, as a string. */
  ulid(ms: number, entropy: Uint8Array): string {
    this.encode(ms, entropy);
    return this.characterCodes.toString('latin1', 0, ULID_LENGTH);
  }

  /** The ULID `encodeUlid(ms, entropy)` makes, written as its 26 ASCII bytes into `target` at `offset`. */
  write(ms: number, entropy: Uint8Array, target: Uint8Array, offset: number): void {
    this.encode(ms, entropy);
    target.set(this.characterCodes, offset);
  }

  private encode(ms: number, entropy: Uint8Array): void {
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_ULID_TIME_MS) {
      throw new RangeError(`ULID time must be an integer millisecond in 0..2^48-1, got ${ms}`);
    }
    checkEntropy(entropy);
    const characters = this.characterCodes;
    let rest = ms;
    for (let i = ULID_TIME_LENGTH - 1; i >= 0; i -= 1) {
      characters[i] = this.codeOfValue[rest % 32]!;
      rest = Math.floor(rest / 32);
    }
    writeFiveBitValues(entropy, characters, ULID_TIME_LENGTH);
    for (let i = ULID_TIME_LENGTH; i < ULID_LENGTH; i += 1) characters[i] = this.codeOfValue[characters[i]!]!;
  }
}

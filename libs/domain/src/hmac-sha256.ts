import { createHash } from 'node:crypto';

/**
 * HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) with one key for many short messages:
 * the pseudonymiser's hot path, one HMAC per sighting.
 *
 * node:crypto's `createHmac` costs about 3 µs per call here, nearly all of it per-call
 * set-up across the C++ boundary, for a message that is one SHA-256 block. This hashes
 * the key's inner and outer pad blocks once (the two midstates) and each message in
 * plain JavaScript: about 0.7 µs for a device id. SHA-256 has no data-dependent
 * branches or table lookups, so this is as constant-time as the native one. Checked
 * against node:crypto on random keys and messages of every length class, and against
 * RFC 4231's test cases (hmac-sha256.test.ts).
 */
export class HmacSha256 {
  /** SHA-256 state after the block `key ⊕ ipad`, and after `key ⊕ opad`. */
  readonly #innerMidstate = new Int32Array(8);
  readonly #outerMidstate = new Int32Array(8);

  constructor(key: Uint8Array) {
    // RFC 2104: a key longer than the block is hashed first; a shorter one is zero-padded.
    const blockKey = new Uint8Array(BLOCK_BYTES);
    blockKey.set(key.length > BLOCK_BYTES ? createHash('sha256').update(key).digest() : key);
    const padded = new Uint8Array(BLOCK_BYTES);
    for (const [midstate, pad] of [
      [this.#innerMidstate, 0x36],
      [this.#outerMidstate, 0x5c],
    ] as const) {
      for (let i = 0; i < BLOCK_BYTES; i += 1) padded[i] = blockKey[i]! ^ pad;
      midstate.set(INITIAL_STATE);
      compress(midstate, padded, 0);
    }
    blockKey.fill(0);
    padded.fill(0);
  }

  /** Writes HMAC(key, message[0, length)) into `out[0, 32)`. */
  digestInto(message: Uint8Array, length: number, out: Uint8Array): void {
    if (length > message.length || length > MAX_MESSAGE_BYTES) {
      throw new RangeError(
        `message length ${length} is outside 0..${Math.min(message.length, MAX_MESSAGE_BYTES)}`,
      );
    }
    // Inner hash: the midstate has taken one block already, so the bit length counts it.
    state.set(this.#innerMidstate);
    hashTail(message, length, BLOCK_BYTES + length);
    writeState(innerDigest, 0);
    // Outer hash: the 32-byte inner digest after the outer pad block.
    state.set(this.#outerMidstate);
    hashTail(innerDigest, DIGEST_BYTES, BLOCK_BYTES + DIGEST_BYTES);
    writeState(out, 0);
    // Nothing of the message stays behind in the shared working memory.
    block.fill(0);
    schedule.fill(0);
    innerDigest.fill(0);
  }
}

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;
/** Keeps the bit length within 32 bits; messages here are device ids, a few hundred bytes at most. */
const MAX_MESSAGE_BYTES = 2 ** 28;

const INITIAL_STATE = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const ROUND_CONSTANTS = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

// Working memory of the hash being computed: it runs synchronously, so one set serves all.
const state = new Int32Array(8);
const schedule = new Int32Array(64);
const block = new Uint8Array(BLOCK_BYTES);
const innerDigest = new Uint8Array(DIGEST_BYTES);

/**
 * Hashes `message[0, length)` into `state`, then the padding of a message that is
 * `totalBytes` long in all (the blocks already in `state` included).
 */
function hashTail(message: Uint8Array, length: number, totalBytes: number): void {
  let offset = 0;
  for (; offset + BLOCK_BYTES <= length; offset += BLOCK_BYTES) compress(state, message, offset);
  const rest = length - offset;
  block.fill(0);
  block.set(message.subarray(offset, length));
  block[rest] = 0x80;
  if (rest + 1 > BLOCK_BYTES - 8) {
    compress(state, block, 0);
    block.fill(0);
  }
  const bits = totalBytes * 8;
  // Big-endian 64-bit length; bits < 2^32 (MAX_MESSAGE_BYTES), so the high word is 0.
  block[60] = bits >>> 24;
  block[61] = bits >>> 16;
  block[62] = bits >>> 8;
  block[63] = bits;
  compress(state, block, 0);
}

function writeState(target: Uint8Array, offset: number): void {
  for (let i = 0; i < 8; i += 1) {
    const word = state[i]!;
    target[offset + 4 * i] = word >>> 24;
    target[offset + 4 * i + 1] = word >>> 16;
    target[offset + 4 * i + 2] = word >>> 8;
    target[offset + 4 * i + 3] = word;
  }
}

/** SHA-256's compression function: one 64-byte block of `bytes` at `offset` into `into`. */
function compress(into: Int32Array, bytes: Uint8Array, offset: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i += 1) {
    const at = offset + 4 * i;
    w[i] = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
  }
  for (let i = 16; i < 64; i += 1) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const sigma0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const sigma1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + sigma0 + w[i - 7]! + sigma1) | 0;
  }
  let a = into[0]!;
  let b = into[1]!;
  let c = into[2]!;
  let d = into[3]!;
  let e = into[4]!;
  let f = into[5]!;
  let g = into[6]!;
  let h = into[7]!;
  for (let i = 0; i < 64; i += 1) {
    const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const choose = (e & f) ^ (~e & g);
    const t1 = (h + sum1 + choose + ROUND_CONSTANTS[i]! + w[i]!) | 0;
    const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const majority = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (sum0 + majority) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  into[0] = (into[0]! + a) | 0;
  into[1] = (into[1]! + b) | 0;
  into[2] = (into[2]! + c) | 0;
  into[3] = (into[3]! + d) | 0;
  into[4] = (into[4]! + e) | 0;
  into[5] = (into[5]! + f) | 0;
  into[6] = (into[6]! + g) | 0;
  into[7] = (into[7]! + h) | 0;
}

/**
 * MurmurHash3 x86_128 (Austin Appleby, public domain): a fast, well-mixed, non-
 * cryptographic 128-bit hash, here with seed 0. It gives event ULIDs their
 * deterministic 80-bit part; nothing secret depends on it. The 16 output bytes are
 * h1..h4 little-endian, as the reference `MurmurHash3_x86_128` writes them (and as
 * Python's `mmh3.hash_bytes(data, 0, False)` returns them).
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** Hashes `data[0..length)` into `out[0..16)`. */
export function murmur3x86128(data: Uint8Array, length: number, out: Uint8Array): void {
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const blocksEnd = length - (length % 16);
  for (let i = 0; i < blocksEnd; i += 16) {
    const k1 = mixK(readU32(data, i), C1, 15, C2);
    h1 = (Math.imul(rotl(h1 ^ k1, 19) + h2, 5) + 0x561ccd1b) | 0;
    const k2 = mixK(readU32(data, i + 4), C2, 16, C3);
    h2 = (Math.imul(rotl(h2 ^ k2, 17) + h3, 5) + 0x0bcaa747) | 0;
    const k3 = mixK(readU32(data, i + 8), C3, 17, C4);
    h3 = (Math.imul(rotl(h3 ^ k3, 15) + h4, 5) + 0x96cd1c35) | 0;
    const k4 = mixK(readU32(data, i + 12), C4, 18, C1);
    h4 = (Math.imul(rotl(h4 ^ k4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  const tail = length - blocksEnd;
  if (tail > 12) h4 ^= mixK(readTail(data, blocksEnd + 12, tail - 12), C4, 18, C1);
  if (tail > 8) h3 ^= mixK(readTail(data, blocksEnd + 8, Math.min(tail - 8, 4)), C3, 17, C4);
  if (tail > 4) h2 ^= mixK(readTail(data, blocksEnd + 4, Math.min(tail - 4, 4)), C2, 16, C3);
  if (tail > 0) h1 ^= mixK(readTail(data, blocksEnd, Math.min(tail, 4)), C1, 15, C2);

  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  writeU32(out, 0, h1);
  writeU32(out, 4, h2);
  writeU32(out, 8, h3);
  writeU32(out, 12, h4);
}

function mixK(k: number, first: number, rotation: number, second: number): number {
  return Math.imul(rotl(Math.imul(k, first), rotation), second);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

function readU32(data: Uint8Array, i: number): number {
  return data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24) | 0;
}

/** Up to 4 trailing bytes, little-endian. */
function readTail(data: Uint8Array, i: number, count: number): number {
  let k = 0;
  for (let j = count - 1; j >= 0; j -= 1) k = (k << 8) | data[i + j]!;
  return k;
}

function writeU32(out: Uint8Array, i: number, value: number): void {
  out[i] = value & 0xff;
  out[i + 1] = (value >>> 8) & 0xff;
  out[i + 2] = (value >>> 16) & 0xff;
  out[i + 3] = (value >>> 24) & 0xff;
}

/**
 * Base64 as Go's `base64.StdEncoding` writes it: the standard alphabet, `=` padding to a
 * multiple of 4, nothing else (Go's decoder rejects anything looser).
 */

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALPHABET: readonly number[] = Array.from(
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  (c) => c.charCodeAt(0),
);
const PAD = 0x3d; // '='

export function isStdBase64(text: string): boolean {
  return STD_BASE64.test(text);
}

/**
 * `bytes[0..length)` as the ASCII bytes of their base64 text, in a new buffer. Written
 * out here because it saves the intermediate string of `Buffer#toString('base64')` on
 * the append hot path.
 */
export function encodeStdBase64(bytes: Uint8Array, length: number): Uint8Array {
  const out = Buffer.allocUnsafe(Math.ceil(length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET[v >> 18]!;
    out[o++] = ALPHABET[(v >> 12) & 63]!;
    out[o++] = ALPHABET[(v >> 6) & 63]!;
    out[o++] = ALPHABET[v & 63]!;
  }
  if (i < length) {
    const twoLeft = i + 1 < length;
    const v = (bytes[i]! << 16) | (twoLeft ? bytes[i + 1]! << 8 : 0);
    out[o++] = ALPHABET[v >> 18]!;
    out[o++] = ALPHABET[(v >> 12) & 63]!;
    out[o++] = twoLeft ? ALPHABET[(v >> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return out;
}

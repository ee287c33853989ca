/**
 * A plain Uint8Array over a Buffer's bytes, without copying: what the backend hands out
 * as a value, so callers get the port's type and not etcd3's Buffer.
 */
export function viewOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

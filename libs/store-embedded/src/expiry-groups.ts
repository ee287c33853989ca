import type { KvExpiry } from '@message-bus/store-kv';

/**
 * A key of the expiry-groups database: the expiry time as 8 big-endian bytes, then the
 * prefix's UTF-8 bytes. Byte order is then expiry order, so a sweep reads from the
 * start and stops at the first group whose time has not come.
 */
export function encodeExpiryGroupKey(atUnixSeconds: number, prefix: string): Buffer {
  const key = Buffer.allocUnsafe(8 + Buffer.byteLength(prefix, 'utf8'));
  key.writeUInt32BE(Math.floor(atUnixSeconds / 2 ** 32), 0);
  key.writeUInt32BE(atUnixSeconds >>> 0, 4);
  key.write(prefix, 8, 'utf8');
  return key;
}

export function decodeExpiryGroupKey(key: Uint8Array): KvExpiry {
  const bytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return {
    atUnixSeconds: bytes.readUInt32BE(0) * 2 ** 32 + bytes.readUInt32BE(4),
    prefix: bytes.toString('utf8', 8),
  };
}

/** The expiry-group key bytes added before the prefix. */
export const expiryGroupKeyOverhead = 8;

/**
 * The (expiry, prefix) groups known to be recorded in the store, so the write path
 * records a group once rather than once per record. Only recent expiry times are
 * kept: writes arrive roughly in time order, and forgetting an old group costs one
 * redundant (harmless) write of it if a late record for it shows up.
 */
export class ExpiryGroupCache {
  private readonly prefixesByTime = new Map<number, Set<string>>();

  /** @param maxTimes how many distinct expiry times to remember before forgetting the earliest */
  constructor(private readonly maxTimes = 64) {}

  has(atUnixSeconds: number, prefix: string): boolean {
    return this.prefixesByTime.get(atUnixSeconds)?.has(prefix) ?? false;
  }

  add(atUnixSeconds: number, prefix: string): void {
    let prefixes = this.prefixesByTime.get(atUnixSeconds);
    if (prefixes === undefined) {
      if (this.prefixesByTime.size >= this.maxTimes) this.forgetEarliestTime();
      prefixes = new Set();
      this.prefixesByTime.set(atUnixSeconds, prefixes);
    }
    prefixes.add(prefix);
  }

  forget(atUnixSeconds: number, prefix: string): void {
    const prefixes = this.prefixesByTime.get(atUnixSeconds);
    if (prefixes === undefined) return;
    prefixes.delete(prefix);
    if (prefixes.size === 0) this.prefixesByTime.delete(atUnixSeconds);
  }

  private forgetEarliestTime(): void {
    let earliest = Infinity;
    for (const time of this.prefixesByTime.keys()) if (time < earliest) earliest = time;
    this.prefixesByTime.delete(earliest);
  }
}

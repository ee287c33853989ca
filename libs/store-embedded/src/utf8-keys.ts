import { StoreInvalidArgumentError } from '@message-bus/repository';

/**
 * lmdb's longest key with the default page size. lmdb-js writes keys into a fixed
 * buffer; checking first keeps a long key from being cut short instead of rejected.
 */
export const maxKeyBytes = 1978;

/**
 * The key encoding of the records database: a key is stored as exactly its UTF-8 bytes,
 * so lmdb's byte comparison orders keys the way etcd does. lmdb-js's default
 * (`ordered-binary`) is not that: it adds a type byte before keys starting below
 * U+001C and escapes U+0000..U+0004 in short keys only, so such keys would sort
 * differently, and it cannot store U+0000 at all.
 *
 * `undefined` (no bound) is written as nothing; lmdb-js passes its own beginning key as
 * bytes when a reverse range has no end.
 */
export const utf8KeyEncoder = {
  writeKey(key: string | Uint8Array | undefined, target: Buffer, start: number): number {
    if (key === undefined) return start;
    if (typeof key === 'string') return start + target.write(key, start, 'utf8');
    target.set(key, start);
    return start + key.length;
  },
  readKey(source: Buffer, start: number, end: number): string {
    return source.toString('utf8', start, end);
  },
};

/**
 * Rejects what lmdb cannot store as a key: the empty string and keys over
 * {@link maxKeyBytes} UTF-8 bytes. `what` names the argument in the message.
 */
export function assertStorableKey(key: string, what: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StoreInvalidArgumentError(`${what} must be a non-empty string`);
  }
  assertKeyFits(key, what);
}

/** Rejects a key or bound longer than {@link maxKeyBytes} UTF-8 bytes. */
export function assertKeyFits(key: string, what: string, limit = maxKeyBytes): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short keys need no byte count.
  if (key.length * 3 <= limit) return;
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > limit) {
    throw new StoreInvalidArgumentError(
      `${what} is ${bytes} UTF-8 bytes long; the embedded store allows at most ${limit}`,
    );
  }
}

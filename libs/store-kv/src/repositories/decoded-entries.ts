import type { KvEntry } from '../kv-backend';
import type { Parsed } from '../parsed';
import type { MalformedRecords } from './malformed-records';

/** How one kind of stored record reads back: its key, then its value given the key's parts. */
export interface RecordDecoder<KeyParts, Value> {
  /** What a skip reason calls the key and the value, e.g. `route key` and `route`. */
  readonly keyName: string;
  readonly valueName: string;
  parseKey(key: string): Parsed<KeyParts>;
  decodeValue(bytes: Uint8Array, key: KeyParts): Parsed<Value>;
}

/**
 * The entries' records, in order. One whose key or value is malformed is skipped and
 * told to `malformed` (`route key …`, `route …`), so it never hides the good ones around it.
 */
export async function* decodeEntries<KeyParts, Value>(
  entries: AsyncIterable<KvEntry>,
  malformed: MalformedRecords,
  decoder: RecordDecoder<KeyParts, Value>,
): AsyncGenerator<Value> {
  for await (const entry of entries) {
    const key = decoder.parseKey(entry.key);
    if (!key.ok) {
      malformed.skip(entry.key, `${decoder.keyName} ${key.reason}`);
      continue;
    }
    const value = decoder.decodeValue(entry.value, key.value);
    if (!value.ok) {
      malformed.skip(entry.key, `${decoder.valueName} ${value.reason}`);
      continue;
    }
    yield value.value;
  }
}

import { prefixEnd } from '../keys/key-segment';
import type { KvEntry } from '../kv-backend';
import type { Parsed } from '../parsed';
import type { KvStore } from './kv-store';
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

/** Every record under `prefix`, in key order, the malformed ones skipped. */
export async function listDecoded<KeyParts, Value>(
  store: KvStore,
  prefix: string,
  decoder: RecordDecoder<KeyParts, Value>,
): Promise<Value[]> {
  const records: Value[] = [];
  const entries = store.scan({ start: prefix, end: prefixEnd(prefix) });
  for await (const record of decodeEntries(entries, store.malformed, decoder)) records.push(record);
  return records;
}

/** The record at `key`; undefined when there is none, or when it is malformed (skipped as `<valueName> …`). */
export async function getDecoded<Value>(
  store: KvStore,
  key: string,
  valueName: string,
  decodeValue: (bytes: Uint8Array) => Parsed<Value>,
): Promise<Value | undefined> {
  const bytes = await store.get(key);
  if (bytes === undefined) return undefined;
  const value = decodeValue(bytes);
  if (value.ok) return value.value;
  store.malformed.skip(key, `${valueName} ${value.reason}`);
  return undefined;
}

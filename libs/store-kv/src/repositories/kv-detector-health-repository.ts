import type { DetectorHealth } from '@message-bus/domain';
import { StoreInvalidArgumentError, type DetectorHealthRepository } from '@message-bus/repository';
import { prefixEnd } from '../keys/key-segment';
import { decodeDetectorHealthValue, encodeDetectorHealthValue } from '../values/detector-health-value';
import type { KvRecord } from '../kv-backend';
import type { KvStore } from './kv-store';

export class KvDetectorHealthRepository implements DetectorHealthRepository {
  constructor(private readonly store: KvStore) {}

  /** Every record in one backend write; the same detector twice in a batch keeps the last. */
  async put(health: readonly DetectorHealth[]): Promise<void> {
    if (!Array.isArray(health)) throw new StoreInvalidArgumentError('health: must be an array');
    const records = new Map<string, KvRecord>();
    health.forEach((one: DetectorHealth, index) => {
      const field = `health[${index}]`;
      const key = this.store.keyspace.detectorHealthKey(one.detectorId, `${field}.detectorId`);
      records.delete(key);
      records.set(key, { key, value: encodeDetectorHealthValue(one, field) });
    });
    await this.store.write([...records.values()]);
  }

  /** Key order is detector id order: nothing follows the id in the key. */
  async list(): Promise<DetectorHealth[]> {
    const { keyspace, malformed } = this.store;
    const root = keyspace.detectorHealthRoot;
    const records: DetectorHealth[] = [];
    for await (const entry of this.store.scan({ start: root, end: prefixEnd(root) })) {
      const detectorId = keyspace.parseDetectorHealthKey(entry.key);
      if (!detectorId.ok) {
        malformed.skip(entry.key, `detector health key ${detectorId.reason}`);
        continue;
      }
      const health = decodeDetectorHealthValue(entry.value, detectorId.value);
      if (!health.ok) {
        malformed.skip(entry.key, `detector health ${health.reason}`);
        continue;
      }
      records.push(health.value);
    }
    return records;
  }
}

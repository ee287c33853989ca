import type { DetectorHealth } from '@message-bus/domain';
import { StoreInvalidArgumentError, type DetectorHealthRepository } from '@message-bus/repository';
import { decodeDetectorHealthValue, encodeDetectorHealthValue } from '../values/detector-health-value';
import type { KvRecord } from '../kv-backend';
import { listDecoded } from './decoded-records';
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
    const { keyspace } = this.store;
    return listDecoded(this.store, keyspace.detectorHealthRoot, {
      keyName: 'detector health key',
      valueName: 'detector health',
      parseKey: (key) => keyspace.parseDetectorHealthKey(key),
      decodeValue: decodeDetectorHealthValue,
    });
  }
}

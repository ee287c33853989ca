import type { TrafficTarget, TypicalProfile, UnixNanos } from '@message-bus/domain';
import type { TypicalProfileRepository } from '@message-bus/repository';
import { decodeProfileValue, encodeProfileValue } from '../values/profile-value';
import { getDecoded } from './decoded-records';
import type { KvStore } from './kv-store';
import { expiryAfterPut } from './record-expiry';

export class KvTypicalProfileRepository implements TypicalProfileRepository {
  constructor(
    private readonly store: KvStore,
    /** How long a profile is kept after its last put: a target no longer computed drops out. */
    private readonly retentionSeconds: number,
    private readonly clock: () => UnixNanos,
  ) {}

  async put(profile: TypicalProfile): Promise<void> {
    const key = this.store.keyspace.profileKey(profile.target, 'profile.target');
    const value = encodeProfileValue(profile, 'profile');
    await this.store.write([
      { key, value, expiry: expiryAfterPut(key, this.clock(), this.retentionSeconds) },
    ]);
  }

  async get(target: TrafficTarget): Promise<TypicalProfile | undefined> {
    const key = this.store.keyspace.profileKey(target);
    return getDecoded(this.store, key, 'typical profile', (bytes) => decodeProfileValue(bytes, target));
  }
}

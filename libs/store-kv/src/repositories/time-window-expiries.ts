import { NANOS_PER_SECOND, type UnixNanos } from '@message-bus/domain';
import type { KvExpiry } from '../kv-backend';

/** An expiry window spans the last 14 of a key's 19 time digits: 10^14 ns, about 27.8 hours. */
const WINDOW_EXPONENT = 14;
const WINDOW_NANOS = 10n ** BigInt(WINDOW_EXPONENT);

/**
 * Expiries of records keyed `{prefix}{19-digit time}` (travel-time estimates, status
 * reports). The records of one prefix whose times fall in one window share a key
 * prefix, the key without its last 14 digits, and one expiry, `retentionSeconds` after
 * the window ends: a backend expires them as one group, and every record is kept at
 * least that long. Windows end at the same instants for every prefix, so etcd needs one
 * lease per window.
 */
export class TimeWindowExpiries {
  private readonly byGroupPrefix = new Map<string, KvExpiry>();

  constructor(private readonly retentionSeconds: number) {}

  /** The expiry of the record at `key`, which ends in `time` as 19 digits. */
  of(key: string, time: UnixNanos): KvExpiry {
    const groupPrefix = key.slice(0, key.length - WINDOW_EXPONENT);
    let expiry = this.byGroupPrefix.get(groupPrefix);
    if (expiry === undefined) {
      const windowEnd = (time / WINDOW_NANOS + 1n) * WINDOW_NANOS;
      expiry = {
        atUnixSeconds: Number(windowEnd / NANOS_PER_SECOND) + this.retentionSeconds,
        prefix: groupPrefix,
      };
      this.byGroupPrefix.set(groupPrefix, expiry);
    }
    return expiry;
  }
}

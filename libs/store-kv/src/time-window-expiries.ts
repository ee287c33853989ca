import { NANOS_PER_SECOND, type UnixNanos } from '@message-bus/domain';
import { formatKeyTime, KEY_TIME_DIGITS } from './key-time';
import type { KvExpiry } from './kv-backend';

/** An expiry window: the times that share a key's first 5 of 19 time digits, 10^14 ns (about 27.8 hours). */
const WINDOW_NANOS = 10n ** 14n;
const WINDOW_DIGITS = KEY_TIME_DIGITS - 14;

/**
 * Expiries of records keyed `{prefix}{19-digit time}` (travel-time estimates, status
 * reports). The records of one prefix whose times fall in one window share a key
 * prefix, its first 5 time digits, and one expiry, `retentionSeconds` after the window
 * ends: a backend expires them as one group, and every record is kept at least that long.
 * Windows end at the same instants for every prefix, so etcd needs one lease per window.
 */
export class TimeWindowExpiries {
  private readonly byGroupPrefix = new Map<string, KvExpiry>();

  constructor(private readonly retentionSeconds: number) {}

  /** The expiry of the record keyed `prefix` + `time`; `time` already checked to fit a key. */
  of(prefix: string, time: UnixNanos): KvExpiry {
    const groupPrefix = prefix + formatKeyTime(time).slice(0, WINDOW_DIGITS);
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

import { NANOS_PER_SECOND, type UnixNanos } from '@message-bus/domain';
import type { KvExpiry } from '../kv-backend';

/** Expiry times are rounded up to the hour, so records put within one hour share one etcd lease. */
const EXPIRY_STEP_SECONDS = 3600;

/**
 * The expiry of a record kept `retentionSeconds` after its last put (typical profiles,
 * alerts): a group of that one record (its key is the group's prefix), at least
 * `retentionSeconds` and at most an hour more after `now`. Putting the record again
 * moves its expiry: etcd attaches it to the later lease; the embedded store keeps the
 * latest expiry of a single-record group.
 */
export function expiryAfterPut(key: string, now: UnixNanos, retentionSeconds: number): KvExpiry {
  const earliest = Number(now / NANOS_PER_SECOND) + retentionSeconds;
  return { atUnixSeconds: Math.ceil(earliest / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS, prefix: key };
}

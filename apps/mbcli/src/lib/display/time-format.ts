import { formatNanosIso, timestampToNanos, nanosToTimestamp } from '@message-bus/domain';
import { type Timestamp } from '@message-bus/proto';

const NANOS_PER_MILLI = 1_000_000n;

/** RFC 3339 in UTC with milliseconds, as people read times in a table. */
export function formatTimestamp(timestamp: Timestamp): string {
  const nanos = timestampToNanos(timestamp);
  return new Date(Number(nanos / NANOS_PER_MILLI)).toISOString();
}

/**
 * A time as JSON and CSV give it: RFC 3339 in UTC with nine fractional digits and the
 * exact Unix nanoseconds as a decimal string (it exceeds 2^53); both null when absent.
 * A row spells them `<name>` and `<name>UnixNanos` (an event's own `time`: `unixNanos`).
 */
export interface ExactTime {
  readonly rfc3339: string | null;
  readonly unixNanos: string | null;
}

export function exactTime(timestamp: Timestamp): { readonly rfc3339: string; readonly unixNanos: string };
export function exactTime(timestamp: Timestamp | undefined): ExactTime;
export function exactTime(timestamp: Timestamp | undefined): ExactTime {
  if (timestamp === undefined) return { rfc3339: null, unixNanos: null };
  const nanos = timestampToNanos(timestamp);
  return { rfc3339: formatNanosIso(nanos), unixNanos: nanos.toString() };
}

/** An exact time of a row in a table: milliseconds are enough for people; `-` when absent. */
export function tableTime(unixNanos: string | null): string {
  return unixNanos === null ? '-' : formatTimestamp(nanosToTimestamp(BigInt(unixNanos)));
}

/** A rough age for a table: "42s", "5m", "3h", "2d". */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

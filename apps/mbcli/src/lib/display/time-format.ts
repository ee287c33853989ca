import { timestampToNanos, nanosToTimestamp } from '@message-bus/domain';
import { type Timestamp } from '@message-bus/proto';
import { InputError } from '../input-error';

const NANOS_PER_MILLI = 1_000_000n;

/**
 * The instant an ISO-8601 flag names (`2026-01-30T08:00:00Z`), or a Unix time in
 * seconds (`1769760000`), as a wire Timestamp.
 */
export function parseInstantFlag(flag: string, text: string): Timestamp {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { seconds: BigInt(trimmed), nanos: 0 };
  const millis = Date.parse(trimmed);
  if (Number.isNaN(millis) || !/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    throw new InputError(
      `--${flag} "${text}" is not a time; give ISO-8601 like 2026-01-30T08:00:00Z or Unix seconds`,
    );
  }
  return nanosToTimestamp(BigInt(millis) * NANOS_PER_MILLI);
}

/** RFC 3339 in UTC with milliseconds, as people read times in a table. */
export function formatTimestamp(timestamp: Timestamp): string {
  const nanos = timestampToNanos(timestamp);
  return new Date(Number(nanos / NANOS_PER_MILLI)).toISOString();
}

/** A rough age for a table: "42s", "5m", "3h", "2d". */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

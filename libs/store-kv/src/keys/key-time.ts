import type { UnixNanos } from '@message-bus/domain';
import { StoreInvalidArgumentError, type TimeRange } from '@message-bus/repository';
import { accept, reject, type Parsed } from '../parsed';

/**
 * Times inside keys: 19 zero-padded digits of unix nanoseconds (so byte order is time
 * order), and for events a 10-digit bucket second. Both hold every instant from 1970
 * up to 2286-11-20, the exclusive `KEY_TIME_LIMIT`.
 */
export const KEY_TIME_LIMIT: UnixNanos = 10n ** 19n;
export const KEY_TIME_DIGITS = 19;

const NANOS_PATTERN = /^[0-9]{1,19}$/;

/** Throws `StoreInvalidArgumentError` naming `field` unless `time` fits in a key. */
export function checkKeyTime(time: unknown, field: string): UnixNanos {
  if (typeof time !== 'bigint') {
    throw new StoreInvalidArgumentError(`${field}: must be unix nanoseconds as a bigint, got ${typeof time}`);
  }
  if (time < 0n || time >= KEY_TIME_LIMIT) {
    throw new StoreInvalidArgumentError(
      `${field}: ${time} is outside the storable range of unix nanoseconds, 0 to ${KEY_TIME_LIMIT - 1n} (1970 to 2286)`,
    );
  }
  return time;
}

/** `time` as the 19 digits a key holds. */
export function formatKeyTime(time: UnixNanos): string {
  return time.toString().padStart(KEY_TIME_DIGITS, '0');
}

/**
 * Non-negative nanoseconds from their exact decimal text (a key segment, a JSON string
 * or a JSON number's source text), never through a JS number.
 */
export function parseNanosText(text: string): Parsed<UnixNanos> {
  if (!NANOS_PATTERN.test(text)) {
    return reject(`${JSON.stringify(text.slice(0, 40))} is not 1 to 19 decimal digits of unix nanoseconds`);
  }
  return accept(BigInt(text));
}

/**
 * A `TimeRange` checked and clamped to what keys hold: `after` inclusive (0 when open),
 * `before` exclusive (undefined when open or beyond every storable time).
 */
export interface KeyTimeRange {
  readonly after: UnixNanos;
  readonly before: UnixNanos | undefined;
}

/**
 * The storable part of `range`, or undefined when it holds no instant (`after` equal
 * to `before`, or entirely outside 1970..2286). `after` later than `before` is a
 * mistake, not an empty window: it throws `StoreInvalidArgumentError`.
 */
export function toKeyTimeRange(range: TimeRange | undefined, field = 'range'): KeyTimeRange | undefined {
  const after = range?.after;
  const before = range?.before;
  if (after !== undefined && typeof after !== 'bigint') {
    throw new StoreInvalidArgumentError(
      `${field}.after: must be unix nanoseconds as a bigint, got ${typeof after}`,
    );
  }
  if (before !== undefined && typeof before !== 'bigint') {
    throw new StoreInvalidArgumentError(
      `${field}.before: must be unix nanoseconds as a bigint, got ${typeof before}`,
    );
  }
  if (after !== undefined && before !== undefined && after > before) {
    throw new StoreInvalidArgumentError(
      `${field}: after (${after}) is later than before (${before}); after is inclusive, before exclusive`,
    );
  }
  const clampedAfter = after === undefined || after < 0n ? 0n : after;
  const clampedBefore = before === undefined || before >= KEY_TIME_LIMIT ? undefined : before;
  if (clampedAfter >= KEY_TIME_LIMIT) return undefined;
  if (clampedBefore !== undefined && clampedBefore <= clampedAfter) return undefined;
  return { after: clampedAfter, before: clampedBefore };
}

/** Whether `time` lies in `range`. */
export function inKeyTimeRange(time: UnixNanos, range: KeyTimeRange): boolean {
  return time >= range.after && (range.before === undefined || time < range.before);
}

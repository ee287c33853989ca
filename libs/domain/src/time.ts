import { describeCodePoint, quoteForMessage } from './text';
import { ValidationError } from './validation-error';

/**
 * An instant as unix nanoseconds. Nanoseconds exceed 2^53, so they are `bigint`
 * everywhere and never pass through a JS `number`.
 */
export type UnixNanos = bigint;

export const NANOS_PER_SECOND = 1_000_000_000n;
export const NANOS_PER_MILLISECOND = 1_000_000n;

const SECONDS_PER_DAY = 86_400n;
const NANOS_PER_DAY = SECONDS_PER_DAY * NANOS_PER_SECOND;

/** 2000-01-01T00:00:00Z: no detector of this system reports earlier sightings. */
export const EARLIEST_EVENT_TIME: UnixNanos = 946_684_800n * NANOS_PER_SECOND;

/** The range google.protobuf.Timestamp allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
const TIMESTAMP_MIN_SECONDS = -62_135_596_800n;
const TIMESTAMP_MAX_SECONDS = 253_402_300_799n;

/** Go's `UnixNano()` is an int64; the stored decimal text of the original is in that range. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The wire form of an instant, as ts-proto gives a google.protobuf.Timestamp. */
export interface Timestamp {
  readonly seconds: bigint;
  readonly nanos: number;
}

export interface EventTimeBounds {
  /** The receiver's clock. */
  readonly now: UnixNanos;
  /** How far ahead of `now` an event may be (detector clocks drift); finite, ≥ 0. */
  readonly maxAheadSeconds: number;
  /**
   * How far behind `now` an event may be; e.g. the store's retention, since an older
   * sighting would expire at once and lets a writer pick past days' pseudonym keys.
   * Unset: any age back to 2000-01-01.
   */
  readonly maxAgeSeconds?: number;
}

/**
 * Validates the time of a sighting or report: not before 2000-01-01T00:00:00Z, at
 * most `maxAheadSeconds` after `now` and, when given, at most `maxAgeSeconds` before
 * it (all limits inclusive).
 */
export function parseEventTime(nanos: bigint, bounds: EventTimeBounds, field = 'time'): UnixNanos {
  checkNotBeforeEarliest(nanos, field);
  const { now, maxAheadSeconds } = bounds;
  if (!Number.isFinite(maxAheadSeconds) || maxAheadSeconds < 0) {
    throw new RangeError(`maxAheadSeconds must be a finite number ≥ 0, got ${maxAheadSeconds}`);
  }
  const ahead = nanos - now;
  if (ahead > BigInt(Math.round(maxAheadSeconds * 1e9))) {
    throw new ValidationError(
      'out_of_range',
      field,
      `${formatNanosIso(nanos)} is ${formatSeconds(ahead)} s ahead of now (${formatNanosIso(now)}); ` +
        `at most ${maxAheadSeconds} s is accepted`,
    );
  }
  const { maxAgeSeconds } = bounds;
  if (maxAgeSeconds === undefined) return nanos;
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new RangeError(`maxAgeSeconds must be a finite number ≥ 0, got ${maxAgeSeconds}`);
  }
  const age = now - nanos;
  if (age > BigInt(Math.round(maxAgeSeconds * 1e9))) {
    throw new ValidationError(
      'out_of_range',
      field,
      `${formatNanosIso(nanos)} is ${formatSeconds(age)} s before now (${formatNanosIso(now)}); ` +
        `at most ${maxAgeSeconds} s old is accepted, what the store keeps`,
    );
  }
  return nanos;
}

/** The lower half of `parseEventTime`, for times that have no "now" to compare with. */
export function checkNotBeforeEarliest(nanos: bigint, field: string): void {
  if (nanos < EARLIEST_EVENT_TIME) {
    throw new ValidationError(
      'out_of_range',
      field,
      `${formatNanosIso(nanos)} is before 2000-01-01T00:00:00Z, the earliest accepted time`,
    );
  }
}

/**
 * A google.protobuf.Timestamp as unix nanoseconds, exactly. Errors name
 * `${field}.seconds` or `${field}.nanos`.
 */
export function timestampToNanos(timestamp: Timestamp, field = 'time'): UnixNanos {
  const { seconds, nanos } = timestamp;
  if (!Number.isFinite(nanos)) {
    throw new ValidationError('not_finite', `${field}.nanos`, `is ${nanos}; nanos must be 0 to 999999999`);
  }
  if (!Number.isInteger(nanos)) {
    throw new ValidationError(
      'not_integer',
      `${field}.nanos`,
      `is ${nanos}, not a whole number; nanos must be 0 to 999999999`,
    );
  }
  if (nanos < 0 || nanos > 999_999_999) {
    throw new ValidationError('out_of_range', `${field}.nanos`, `is ${nanos}; nanos must be 0 to 999999999`);
  }
  if (seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS) {
    throw new ValidationError(
      'out_of_range',
      `${field}.seconds`,
      `is ${seconds}; a Timestamp is between ${TIMESTAMP_MIN_SECONDS} (0001-01-01T00:00:00Z) ` +
        `and ${TIMESTAMP_MAX_SECONDS} (9999-12-31T23:59:59Z)`,
    );
  }
  return seconds * NANOS_PER_SECOND + BigInt(nanos);
}

/** Unix nanoseconds as a google.protobuf.Timestamp: `nanos` is always 0..999999999. */
export function nanosToTimestamp(nanos: UnixNanos): Timestamp {
  const seconds = floorDiv(nanos, NANOS_PER_SECOND);
  return { seconds, nanos: Number(nanos - seconds * NANOS_PER_SECOND) };
}

/**
 * RFC 3339 in UTC with all nine fractional digits, e.g. `2023-11-14T22:13:20.123456789Z`.
 * Exact for any value (calendar arithmetic on bigint, no `Date`). Years outside
 * 0000–9999, which RFC 3339 cannot express, use ISO 8601's expanded form (`+010000`).
 */
export function formatNanosIso(nanos: UnixNanos): string {
  const days = floorDiv(nanos, NANOS_PER_DAY);
  const nanosOfDay = nanos - days * NANOS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const secondOfDay = nanosOfDay / NANOS_PER_SECOND;
  const fraction = nanosOfDay % NANOS_PER_SECOND;
  const hour = secondOfDay / 3600n;
  const minute = (secondOfDay % 3600n) / 60n;
  const second = secondOfDay % 60n;
  return (
    `${formatYear(year)}-${pad(month, 2)}-${pad(day, 2)}` +
    `T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(fraction, 9)}Z`
  );
}

/**
 * Reads the exact decimal text of unix nanoseconds (how JSON carries them): an
 * optional `-` and digits, nothing else, within int64 like Go's `UnixNano()`.
 */
export function parseNanosDecimal(text: string, field = 'nanoseconds'): UnixNanos {
  if (text.length === 0) {
    throw new ValidationError('empty', field, 'is empty; expected a decimal integer of nanoseconds');
  }
  if (!/^-?[0-9]+$/.test(text)) {
    if (text === '-') {
      throw new ValidationError('bad_character', field, `"-" has a sign but no digits`);
    }
    let position = 0;
    for (const character of text) {
      position += 1;
      const isSign = position === 1 && character === '-';
      if (!isSign && !(character >= '0' && character <= '9')) {
        const described = describeCodePoint(character.codePointAt(0) ?? 0);
        throw new ValidationError(
          'bad_character',
          field,
          `${quoteForMessage(text)} is not a decimal integer: ${described} at character ${position}`,
        );
      }
    }
  }
  // 20 characters hold every int64 ("-9223372036854775808"); longer text need not reach BigInt.
  const value = text.length <= 20 ? BigInt(text) : undefined;
  if (value === undefined || value < INT64_MIN || value > INT64_MAX) {
    throw new ValidationError(
      'out_of_range',
      field,
      `${quoteForMessage(text)} is outside int64, the range of unix nanoseconds (years 1677 to 2262)`,
    );
  }
  return value;
}

/** The exact decimal text of unix nanoseconds, e.g. for a JSON number. */
export function formatNanosDecimal(nanos: UnixNanos): string {
  return nanos.toString();
}

/** Division rounding toward negative infinity (bigint `/` truncates toward zero). */
export function floorDiv(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  const rounded = dividend % divisor !== 0n && dividend < 0n !== divisor < 0n;
  return rounded ? quotient - 1n : quotient;
}

/** A span of nanoseconds as seconds, without trailing zeros: `3600`, `0.25`, `1.000000001`. */
function formatSeconds(nanos: bigint): string {
  const whole = nanos / NANOS_PER_SECOND;
  const fraction = nanos % NANOS_PER_SECOND;
  return fraction === 0n ? `${whole}` : `${whole}.${pad(fraction, 9).replace(/0+$/, '')}`;
}

/** Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day number. */
function civilFromDays(daysSinceEpoch: bigint): { year: bigint; month: bigint; day: bigint } {
  const shifted = daysSinceEpoch + 719_468n;
  const era = floorDiv(shifted, 146_097n);
  const dayOfEra = shifted - era * 146_097n;
  const yearOfEra = (dayOfEra - dayOfEra / 1_460n + dayOfEra / 36_524n - dayOfEra / 146_096n) / 365n;
  const dayOfYear = dayOfEra - (365n * yearOfEra + yearOfEra / 4n - yearOfEra / 100n);
  const shiftedMonth = (5n * dayOfYear + 2n) / 153n;
  const day = dayOfYear - (153n * shiftedMonth + 2n) / 5n + 1n;
  const month = shiftedMonth < 10n ? shiftedMonth + 3n : shiftedMonth - 9n;
  const year = yearOfEra + era * 400n + (month <= 2n ? 1n : 0n);
  return { year, month, day };
}

function formatYear(year: bigint): string {
  if (year >= 0n && year <= 9_999n) return pad(year, 4);
  return `${year < 0n ? '-' : '+'}${pad(year < 0n ? -year : year, 6)}`;
}

function pad(value: bigint, width: number): string {
  return value.toString().padStart(width, '0');
}

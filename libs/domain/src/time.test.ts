import { describe, expect, it } from 'vitest';
import { expectRejection } from '../test/expect-rejection';
import {
  EARLIEST_EVENT_TIME,
  formatNanosDecimal,
  formatNanosIso,
  nanosToTimestamp,
  parseEventTime,
  parseNanosDecimal,
  timestampToNanos,
} from './time';

/** Above 2^53: a JS number cannot hold it, so every conversion must stay in bigint. */
const BIG = 1_700_000_000_123_456_789n;
const NOW = 1_764_470_000_000_000_000n; // 2025-11-30T02:33:20Z
const BOUNDS = { now: NOW, maxAheadSeconds: 300 };

describe('parseEventTime', () => {
  it('accepts both limits exactly', () => {
    expect(parseEventTime(EARLIEST_EVENT_TIME, BOUNDS)).toBe(946_684_800_000_000_000n);
    expect(parseEventTime(NOW + 300_000_000_000n, BOUNDS)).toBe(NOW + 300_000_000_000n);
    expect(parseEventTime(BIG, BOUNDS)).toBe(BIG);
  });

  it('rejects a time one nanosecond before 2000-01-01', () => {
    expectRejection(
      () => parseEventTime(EARLIEST_EVENT_TIME - 1n, BOUNDS),
      'out_of_range',
      'time',
      '1999-12-31T23:59:59.999999999Z is before 2000-01-01T00:00:00Z, the earliest accepted time',
    );
  });

  it('rejects a time one nanosecond beyond the tolerance, saying by how much', () => {
    expectRejection(
      () => parseEventTime(NOW + 300_000_000_001n, BOUNDS, 'events[3].time[0]'),
      'out_of_range',
      'events[3].time[0]',
      '2025-11-30T02:38:20.000000001Z is 300.000000001 s ahead of now (2025-11-30T02:33:20.000000000Z); ' +
        'at most 300 s is accepted',
    );
    expectRejection(
      () => parseEventTime(NOW + 3_600_000_000_000n, { now: NOW, maxAheadSeconds: 0 }),
      'out_of_range',
      'time',
      '2025-11-30T03:33:20.000000000Z is 3600 s ahead of now (2025-11-30T02:33:20.000000000Z); ' +
        'at most 0 s is accepted',
    );
  });

  it('with maxAgeSeconds, accepts up to that age and refuses older, naming both times', () => {
    const week = { now: NOW, maxAheadSeconds: 300, maxAgeSeconds: 604_800 };
    expect(parseEventTime(NOW - 604_800_000_000_000n, week)).toBe(NOW - 604_800_000_000_000n);
    expectRejection(
      () => parseEventTime(NOW - 691_200_000_000_000n, week, 'events[0].time[2]'),
      'out_of_range',
      'events[0].time[2]',
      '2025-11-22T02:33:20.000000000Z is 691200 s before now (2025-11-30T02:33:20.000000000Z); ' +
        'at most 604800 s old is accepted, what the store keeps',
    );
    expect(() => parseEventTime(NOW - 604_800_000_000_001n, week)).toThrow(/before now/);
  });

  it('refuses a tolerance that is not a finite number ≥ 0', () => {
    expect(() => parseEventTime(NOW, { now: NOW, maxAheadSeconds: -1 })).toThrow(RangeError);
    expect(() => parseEventTime(NOW, { now: NOW, maxAheadSeconds: Number.NaN })).toThrow(RangeError);
    expect(() => parseEventTime(NOW, { now: NOW, maxAheadSeconds: 0, maxAgeSeconds: -1 })).toThrow(
      RangeError,
    );
  });
});

describe('timestampToNanos and nanosToTimestamp', () => {
  it('round-trip above 2^53 exactly', () => {
    expect(BigInt(Number(BIG))).not.toBe(BIG); // through a number it would lose its last digits
    expect(timestampToNanos({ seconds: 1_700_000_000n, nanos: 123_456_789 })).toBe(BIG);
    expect(nanosToTimestamp(BIG)).toEqual({ seconds: 1_700_000_000n, nanos: 123_456_789 });
    expect(timestampToNanos(nanosToTimestamp(BIG))).toBe(BIG);
  });

  it('keeps nanos non-negative before the epoch', () => {
    expect(nanosToTimestamp(-1n)).toEqual({ seconds: -1n, nanos: 999_999_999 });
    expect(nanosToTimestamp(-1_000_000_000n)).toEqual({ seconds: -1n, nanos: 0 });
    expect(timestampToNanos({ seconds: -1n, nanos: 999_999_999 })).toBe(-1n);
  });

  it('accepts the whole google.protobuf.Timestamp range', () => {
    expect(timestampToNanos({ seconds: 253_402_300_799n, nanos: 999_999_999 })).toBe(
      253_402_300_799_999_999_999n,
    );
    expect(timestampToNanos({ seconds: -62_135_596_800n, nanos: 0 })).toBe(-62_135_596_800_000_000_000n);
  });

  it('rejects nanos outside 0..999999999, fractional or not finite', () => {
    const rule = 'nanos must be 0 to 999999999';
    expectRejection(
      () => timestampToNanos({ seconds: 1n, nanos: 1_000_000_000 }, 'events[3].time[1]'),
      'out_of_range',
      'events[3].time[1].nanos',
      `is 1000000000; ${rule}`,
    );
    expectRejection(
      () => timestampToNanos({ seconds: 1n, nanos: -1 }),
      'out_of_range',
      'time.nanos',
      `is -1; ${rule}`,
    );
    expectRejection(
      () => timestampToNanos({ seconds: 1n, nanos: 0.5 }),
      'not_integer',
      'time.nanos',
      `is 0.5, not a whole number; ${rule}`,
    );
    expectRejection(
      () => timestampToNanos({ seconds: 1n, nanos: Number.NaN }),
      'not_finite',
      'time.nanos',
      `is NaN; ${rule}`,
    );
  });

  it('rejects seconds outside the Timestamp range', () => {
    const rule =
      'a Timestamp is between -62135596800 (0001-01-01T00:00:00Z) and 253402300799 (9999-12-31T23:59:59Z)';
    expectRejection(
      () => timestampToNanos({ seconds: 253_402_300_800n, nanos: 0 }),
      'out_of_range',
      'time.seconds',
      `is 253402300800; ${rule}`,
    );
    expectRejection(
      () => timestampToNanos({ seconds: -62_135_596_801n, nanos: 0 }),
      'out_of_range',
      'time.seconds',
      `is -62135596801; ${rule}`,
    );
  });
});

describe('formatNanosIso', () => {
  it('prints all nine fractional digits exactly, above 2^53', () => {
    expect(formatNanosIso(BIG)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(formatNanosIso(BIG + 1n)).toBe('2023-11-14T22:13:20.123456790Z');
    expect(formatNanosIso(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(formatNanosIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatNanosIso(EARLIEST_EVENT_TIME)).toBe('2000-01-01T00:00:00.000000000Z');
  });

  it('agrees with Date on the calendar for millisecond instants across four centuries', () => {
    // Leap days, century years and 2000 included: step by a prime number of ms.
    const start = Date.UTC(1899, 0, 1);
    const end = Date.UTC(2301, 0, 1);
    const step = 9_999_991_117;
    for (let ms = start; ms < end; ms += step) {
      const expected = new Date(ms).toISOString().replace('Z', '000000Z');
      expect(formatNanosIso(BigInt(ms) * 1_000_000n)).toBe(expected);
    }
    expect(formatNanosIso(BigInt(Date.UTC(2024, 1, 29, 23, 59, 59)) * 1_000_000n)).toBe(
      '2024-02-29T23:59:59.000000000Z',
    );
  });

  it('uses the expanded year form outside 0000–9999', () => {
    expect(formatNanosIso(253_402_300_800n * 1_000_000_000n)).toBe('+010000-01-01T00:00:00.000000000Z');
    expect(formatNanosIso(-62_167_219_200_000_000_001n)).toBe('-000001-12-31T23:59:59.999999999Z');
  });
});

describe('parseNanosDecimal and formatNanosDecimal', () => {
  it('round-trip exactly, above 2^53 and at the int64 limits', () => {
    expect(formatNanosDecimal(BIG)).toBe('1700000000123456789');
    expect(parseNanosDecimal('1700000000123456789')).toBe(BIG);
    for (const value of [0n, -5n, 2n ** 63n - 1n, -(2n ** 63n), BIG]) {
      expect(parseNanosDecimal(formatNanosDecimal(value))).toBe(value);
    }
    expect(parseNanosDecimal('-0')).toBe(0n);
    expect(parseNanosDecimal('000123')).toBe(123n);
  });

  it('rejects empty text and a bare sign', () => {
    expectRejection(
      () => parseNanosDecimal(''),
      'empty',
      'nanoseconds',
      'is empty; expected a decimal integer of nanoseconds',
    );
    expectRejection(
      () => parseNanosDecimal('-', 'Timestamp'),
      'bad_character',
      'Timestamp',
      '"-" has a sign but no digits',
    );
  });

  it('rejects anything but an optional minus and digits, naming the character', () => {
    const cases: [string, string][] = [
      ['1.7e18', `"1.7e18" is not a decimal integer: U+002E '.' at character 2`],
      ['+1', `"+1" is not a decimal integer: U+002B '+' at character 1`],
      [' 1', `" 1" is not a decimal integer: U+0020 ' ' at character 1`],
      ['1\n', `"1\\n" is not a decimal integer: U+000A at character 2`],
      ['1-2', `"1-2" is not a decimal integer: U+002D '-' at character 2`],
      ['--1', `"--1" is not a decimal integer: U+002D '-' at character 2`],
      ['١٢', `"١٢" is not a decimal integer: U+0661 '١' at character 1`],
    ];
    for (const [text, reason] of cases) {
      expectRejection(() => parseNanosDecimal(text), 'bad_character', 'nanoseconds', reason);
    }
  });

  it('rejects values outside int64, without converting absurdly long text', () => {
    const rule = 'is outside int64, the range of unix nanoseconds (years 1677 to 2262)';
    expectRejection(
      () => parseNanosDecimal('9223372036854775808'),
      'out_of_range',
      'nanoseconds',
      `"9223372036854775808" ${rule}`,
    );
    expectRejection(
      () => parseNanosDecimal('-9223372036854775809'),
      'out_of_range',
      'nanoseconds',
      `"-9223372036854775809" ${rule}`,
    );
    expectRejection(
      () => parseNanosDecimal('9'.repeat(100_000)),
      'out_of_range',
      'nanoseconds',
      `"${'9'.repeat(40)}"… ${rule}`,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { exactTime, formatAge, formatTimestamp, tableTime } from './time-format';

describe('formatTimestamp', () => {
  it('prints RFC 3339 in UTC with milliseconds, exact beyond 2^53 nanoseconds', () => {
    expect(formatTimestamp({ seconds: 1_769_760_000n, nanos: 123_456_789 })).toBe('2026-01-30T08:00:00.123Z');
  });
});

describe('exactTime', () => {
  it('gives RFC 3339 with nine fractional digits and the exact Unix nanoseconds, or nulls', () => {
    expect(exactTime({ seconds: 1_769_760_000n, nanos: 123_456_789 })).toEqual({
      rfc3339: '2026-01-30T08:00:00.123456789Z',
      unixNanos: '1769760000123456789',
    });
    expect(exactTime(undefined)).toEqual({ rfc3339: null, unixNanos: null });
    expect([tableTime('1769760000123456789'), tableTime(null)]).toEqual(['2026-01-30T08:00:00.123Z', '-']);
  });
});

describe('formatAge', () => {
  it('rounds to the unit a person reads', () => {
    expect([formatAge(42), formatAge(300), formatAge(3 * 3600), formatAge(3 * 86_400)]).toEqual([
      '42s',
      '5m',
      '3h',
      '3d',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { FlagValueError } from './flag-value-error';
import { parseInstant } from './instant-flag';

const NOW = Date.parse('2026-01-30T08:00:00.250Z');

describe('parseInstant', () => {
  it('reads RFC 3339 to the nanosecond, with Z or an offset, and a date alone as its midnight UTC', () => {
    expect(parseInstant('after', '2026-01-30T08:00:00.123456789Z', NOW)).toEqual({
      seconds: 1_769_760_000n,
      nanos: 123_456_789,
    });
    expect(parseInstant('after', '2026-01-30T09:00:00+01:00', NOW)).toEqual({ seconds: 1_769_760_000n, nanos: 0 });
    expect(parseInstant('after', '2026-01-30', NOW)).toEqual({ seconds: 1_769_731_200n, nanos: 0 });
  });

  it('reads Unix seconds, with decimals', () => {
    expect(parseInstant('after', '1769760000', NOW)).toEqual({ seconds: 1_769_760_000n, nanos: 0 });
    expect(parseInstant('after', ' 1769760000.25 ', NOW)).toEqual({ seconds: 1_769_760_000n, nanos: 250_000_000 });
  });

  it('reads now and a duration ago', () => {
    expect(parseInstant('before', 'now', NOW)).toEqual({ seconds: 1_769_760_000n, nanos: 250_000_000 });
    expect(parseInstant('after', '-1h', NOW)).toEqual({ seconds: 1_769_756_400n, nanos: 250_000_000 });
    expect(parseInstant('after', '-1d12h', NOW)).toEqual({ seconds: 1_769_630_400n, nanos: 250_000_000 });
  });

  it('refuses what is not a time in one line naming the flag and the forms', () => {
    for (const text of ['yesterday', '', '-soon', '2026-02-30T00:00:00Z', '2026-01-30T08:00Z', '1769760000s']) {
      expect(() => parseInstant('after', text, NOW)).toThrow(FlagValueError);
    }
    expect(() => parseInstant('after', 'yesterday', NOW)).toThrow(
      '--after "yesterday" is not a time; give RFC 3339 like 2026-01-30T08:00:00Z, Unix seconds like 1769760000, ' +
        'or a time ago like -1h (or now)',
    );
    expect(() => parseInstant('start', '2026-01-30T08:00:00', NOW)).toThrow(
      '--start "2026-01-30T08:00:00" has no time zone; add Z for UTC or an offset like +01:00',
    );
  });
});

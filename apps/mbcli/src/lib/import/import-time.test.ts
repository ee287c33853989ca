import { ValidationError } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { parseTimeText } from './import-time';

describe('parseTimeText', () => {
  it('reads every format exactly, to the nanosecond', () => {
    expect(parseTimeText('1769760000', 'epoch_s', 'time')).toBe(1_769_760_000_000_000_000n);
    expect(parseTimeText('1769760000.123456789', 'epoch_s', 'time')).toBe(1_769_760_000_123_456_789n);
    expect(parseTimeText('1769760000.5', 'epoch_s', 'time')).toBe(1_769_760_000_500_000_000n);
    expect(parseTimeText('1769760000250', 'epoch_ms', 'time')).toBe(1_769_760_000_250_000_000n);
    expect(parseTimeText('1769760000250.000001', 'epoch_ms', 'time')).toBe(1_769_760_000_250_000_001n);
    expect(parseTimeText('1769760000123456789', 'epoch_ns', 'time')).toBe(1_769_760_000_123_456_789n);
    expect(parseTimeText('2026-01-30T08:00:00.123456789Z', 'iso', 'time')).toBe(1_769_760_000_123_456_789n);
    expect(parseTimeText('2026-01-30 09:00:00+01:00', 'iso', 'time')).toBe(1_769_760_000_000_000_000n);
    expect(parseTimeText('2026-01-30T03:30:00-0430', 'iso', 'time')).toBe(1_769_760_000_000_000_000n);
  });

  it('rejects text that is not the format, naming the field and what was expected', () => {
    expect(() => parseTimeText('', 'epoch_s', 'read_time')).toThrow(
      'read_time: is empty; expected Unix seconds',
    );
    expect(() => parseTimeText('12:00', 'epoch_s', 'read_time')).toThrow(
      'read_time: is not Unix seconds like 1769760000',
    );
    expect(() => parseTimeText('1769760000.5', 'epoch_ns', 'time')).toThrow(ValidationError);
    expect(() => parseTimeText('2026-02-30T00:00:00Z', 'iso', 'time')).toThrow(
      'is not a valid calendar date and time',
    );
    expect(() => parseTimeText('2026-01-30T08:00:00', 'iso', 'time')).toThrow('is not ISO-8601');
  });
});

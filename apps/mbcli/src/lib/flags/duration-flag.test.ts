import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration-flag';
import { FlagValueError } from './flag-value-error';

describe('parseDuration', () => {
  it('reads a number and a unit, combined parts and decimals, in seconds', () => {
    expect(['90s', '30m', '6h', '2d', '500ms', '1h30m', '1.5h', '2D'].map((text) => parseDuration('d', text))).toEqual(
      [90, 1_800, 21_600, 172_800, 0.5, 5_400, 5_400, 172_800],
    );
  });

  it('keeps a bare number in the flag’s own unit: seconds, or hours where the name says so', () => {
    expect(parseDuration('duration', '86400')).toBe(86_400);
    expect(parseDuration('rate', '0.01')).toBe(0.01);
    expect(parseDuration('retention_hours', '168', { bareUnit: 'hours' })).toBe(604_800);
    expect(parseDuration('retention_hours', '7d', { bareUnit: 'hours' })).toBe(604_800);
  });

  it('refuses what is not a duration in one line naming the flag and the forms', () => {
    for (const text of ['soon', '', '1h30', '-5m', '5 m', '1.h', 'h']) {
      expect(() => parseDuration('duration', text)).toThrow(FlagValueError);
    }
    expect(() => parseDuration('duration', 'soon')).toThrow(
      '--duration "soon" is not a duration; give a number and a unit like 90s, 30m, 6h or 2d ' +
        '(ms, s, m, h, d; or combined like 1h30m), or bare seconds like 3600',
    );
    expect(() => parseDuration('retention_hours', 'a week', { bareUnit: 'hours' })).toThrow(
      'or bare hours like 168',
    );
  });

  it('applies the flag’s rules: more than 0 unless 0 is allowed, a floor, whole seconds', () => {
    expect(() => parseDuration('rate', '0')).toThrow('--rate 0 is zero; give a duration more than 0');
    expect(parseDuration('min_seconds', '0s', { allowZero: true })).toBe(0);
    expect(() => parseDuration('interval', '500ms', { atLeastSeconds: 1 })).toThrow(
      '--interval 500ms is too short; give at least 1s',
    );
    expect(() => parseDuration('max_seconds', '1.5', { wholeSeconds: true })).toThrow(
      '--max_seconds 1.5 is not a whole number of seconds; give one like 90s or 10m',
    );
    expect(parseDuration('max_seconds', '10m', { wholeSeconds: true })).toBe(600);
  });
});

import { describe, expect, it } from 'vitest';
import {
  estimateSummary,
  formatAge,
  formatClockDuration,
  formatDuration,
  formatHealth,
  formatSkew,
  formatTime,
  formatVolts,
  fromDateTimeLocal,
  healthState,
  timeTickLabels,
  timeTickSpace,
  toDateTimeLocal,
} from './format';

// vitest.config.ts runs these in Europe/Helsinki (UTC+2 in December).
const NOW = Date.parse('2026-12-07T10:15:00.000Z');

describe('format', () => {
  it('writes travel times in seconds, minutes or hours', () => {
    expect(formatDuration(undefined)).toBe('–');
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3720)).toBe('1 h 02 min');
  });

  it('writes axis ticks as minutes and seconds', () => {
    expect(formatClockDuration(25)).toBe('0:25');
    expect(formatClockDuration(140)).toBe('2:20');
    expect(formatClockDuration(4500)).toBe('75:00');
  });

  it('writes ages relative to now', () => {
    expect(formatAge(undefined, NOW)).toBe('never');
    expect(formatAge('2026-12-07T10:14:58.000Z', NOW)).toBe('just now');
    expect(formatAge('2026-12-07T10:14:18.000Z', NOW)).toBe('42 s ago');
    expect(formatAge('2026-12-07T10:09:30.000Z', NOW)).toBe('5 min ago');
    expect(formatAge('2026-12-07T07:00:00.000Z', NOW)).toBe('3 h ago');
    expect(formatAge('2026-12-05T10:00:00.000Z', NOW)).toBe('2 d ago');
  });

  it('writes clock times in the local zone, with the date only for another day', () => {
    expect(formatTime('2026-12-07T10:15:03.000Z', NOW)).toBe('12:15:03');
    expect(formatTime('2026-12-06T21:00:00.000Z', NOW)).toBe('2026-12-06 23:00:00');
    expect(formatTime(undefined, NOW)).toBe('–');
  });

  it('writes volts, clock skew and health', () => {
    expect(formatVolts(12.456)).toBe('12.46 V');
    expect(formatVolts(undefined)).toBe('–');
    expect(formatSkew(1.53)).toBe('+1.5 s');
    expect(formatSkew(-0.2)).toBe('-0.2 s');
    expect(formatSkew(0)).toBe('0.0 s');
    const checkedAt = '2026-12-07T10:10:00.000Z';
    expect(formatHealth({ problems: [], checkedAt })).toBe('ok');
    expect(formatHealth({ problems: [] })).toBe('not checked yet');
    expect(formatHealth({ problems: ['battery_low', 'clock_skew'], checkedAt })).toBe('battery low, clock skew');
    expect(healthState({ problems: [], checkedAt })).toBe('ok');
    expect(healthState({ problems: [] })).toBe('unchecked');
    expect(healthState({ problems: ['detector_silent'], checkedAt })).toBe('problems');
  });

  it('labels time axis ticks in 24-hour local time, with the date on the first tick and at a day change', () => {
    const at = (iso: string) => Date.parse(iso) / 1000;
    // 21:55 and 22:00 UTC are 23:55 and 00:00 the next day in Helsinki.
    const fiveMinutes = ['21:50', '21:55', '22:00', '22:05'].map((clock) => at(`2026-12-07T${clock}:00Z`));
    expect(timeTickLabels(fiveMinutes, 300)).toEqual([
      '23:50\n2026-12-07',
      '23:55',
      '00:00\n2026-12-08',
      '00:05',
    ]);
    expect(timeTickLabels([at('2026-12-07T14:00:00Z'), at('2026-12-07T14:00:30Z')], 30)).toEqual([
      '16:00:00\n2026-12-07',
      '16:00:30',
    ]);
    expect(timeTickLabels([at('2026-12-06T22:00:00Z'), at('2026-12-07T22:00:00Z')], 86_400)).toEqual([
      '2026-12-07',
      '2026-12-08',
    ]);
    expect(timeTickLabels([], 300)).toEqual([]);
    // Three hours over 940 px: minute ticks or wider, the usual room; three minutes: room for seconds.
    expect(timeTickSpace(3 * 3600, 940)).toBe(50);
    expect(timeTickSpace(180, 940)).toBe(80);
  });

  it('round-trips datetime-local values in the local zone', () => {
    expect(toDateTimeLocal(NOW)).toBe('2026-12-07T12:15');
    expect(fromDateTimeLocal('2026-12-07T12:15')).toBe(NOW);
    expect(fromDateTimeLocal('')).toBeUndefined();
    expect(fromDateTimeLocal('not a time')).toBeUndefined();
  });

  it('sums up an estimate in one line', () => {
    const estimate = {
      intervalEnd: '2026-12-07T10:15:00.000Z',
      windowSeconds: 300,
      medianSeconds: 125,
      validSamples: 12,
      totalSamples: 14,
      status: 'insufficient_data',
      level: 'moderate',
      typicalSeconds: 110,
    } as const;
    expect(estimateSummary(estimate)).toBe(
      '2 min 05 s (typical 1 min 50 s) · insufficient data · 12 of 14 samples valid · moderate',
    );
    expect(estimateSummary({ ...estimate, typicalSeconds: undefined })).toBe(
      '2 min 05 s · insufficient data · 12 of 14 samples valid · moderate',
    );
    expect(estimateSummary(undefined)).toBe('no estimate yet');
  });
});

import { describe, expect, it } from 'vitest';
import { typicalBand } from './typical-band';

const MINUTE = 60_000;
/** Friday 2026-01-30, 08:00 UTC (09:00 in Warsaw, UTC+1 in winter). */
const FRIDAY_0800Z = Date.parse('2026-01-30T08:00:00Z');

const bin = (dayOfWeek: number, minuteOfDay: number, median: number) => ({
  dayOfWeek,
  minuteOfDay,
  medianSeconds: median,
  p15Seconds: median - 10,
  p85Seconds: median + 20,
});

describe('typicalBand', () => {
  it('steps through the bins of the week in UTC, clipped to the range', () => {
    const runs = typicalBand(
      { timeZone: 'UTC', binMinutes: 60, bins: [bin(5, 480, 100), bin(5, 540, 130)] },
      FRIDAY_0800Z + 30 * MINUTE,
      FRIDAY_0800Z + 100 * MINUTE,
    );
    expect(runs).toEqual([
      [
        { time: FRIDAY_0800Z + 30 * MINUTE, median: 100, p15: 90, p85: 120 },
        { time: FRIDAY_0800Z + 60 * MINUTE, median: 100, p15: 90, p85: 120 },
        { time: FRIDAY_0800Z + 60 * MINUTE, median: 130, p15: 120, p85: 150 },
        { time: FRIDAY_0800Z + 100 * MINUTE, median: 130, p15: 120, p85: 150 },
      ],
    ]);
  });

  it('reads the bins in the profile’s time zone and breaks the band where a bin has no data', () => {
    // 08:00Z is 09:00 in Warsaw: bin 540 (09:00), then 570 missing, then 600 (10:00).
    const runs = typicalBand(
      { timeZone: 'Europe/Warsaw', binMinutes: 30, bins: [bin(5, 540, 100), bin(5, 600, 140)] },
      FRIDAY_0800Z,
      FRIDAY_0800Z + 90 * MINUTE,
    );
    expect(
      runs.map((run) => run.map((point) => [(point.time - FRIDAY_0800Z) / MINUTE, point.median])),
    ).toEqual([
      [
        [0, 100],
        [30, 100],
      ],
      [
        [60, 140],
        [90, 140],
      ],
    ]);
  });

  it('crosses midnight into the next day of the week (Sunday 7 to Monday 1)', () => {
    const sundayLate = Date.parse('2026-02-01T23:00:00Z');
    const runs = typicalBand(
      { timeZone: 'UTC', binMinutes: 60, bins: [bin(7, 1380, 70), bin(1, 0, 60)] },
      sundayLate,
      sundayLate + 120 * MINUTE,
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]!.map((point) => point.median)).toEqual([70, 70, 60, 60]);
  });

  it('draws nothing without bins', () => {
    expect(
      typicalBand({ timeZone: 'UTC', binMinutes: 60, bins: [] }, FRIDAY_0800Z, FRIDAY_0800Z + MINUTE),
    ).toEqual([]);
  });
});

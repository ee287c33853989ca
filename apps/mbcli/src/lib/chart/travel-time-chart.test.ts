import { describe, expect, it } from 'vitest';
import {
  chartSegments,
  chartTitle,
  describeGaps,
  formatDuration,
  timeTicks,
  valueAxis,
} from './travel-time-chart';

const T0 = Date.parse('2026-01-30T08:00:00Z');
const MINUTE = 60_000;
const at = (minutes: number, median?: number, p15?: number, p85?: number) => ({
  time: T0 + minutes * MINUTE,
  medianSeconds: median,
  p15Seconds: p15,
  p85Seconds: p85,
});

describe('chartSegments', () => {
  it('sorts the estimates and keeps consecutive intervals in one run', () => {
    expect(chartSegments([at(2, 92, 80, 110), at(0, 90, 80, 100), at(1, 91, 81, 101)])).toEqual([
      [
        { time: T0, median: 90, p15: 80, p85: 100 },
        { time: T0 + MINUTE, median: 91, p15: 81, p85: 101 },
        { time: T0 + 2 * MINUTE, median: 92, p15: 80, p85: 110 },
      ],
    ]);
  });

  it('breaks a run at an estimate without a median and where intervals are missing', () => {
    const segments = chartSegments([
      at(0, 90, 80, 100),
      at(1, 95, 85, 105),
      at(2), // written, but no valid sample
      at(3, 97, 90, 99),
      // 4 and 5 missing: 6 - 3 > 1.5 intervals
      at(6, 99, 95, 120),
      at(7, 98, 94, 119),
    ]);
    expect(segments.map((segment) => segment.map((point) => (point.time - T0) / MINUTE))).toEqual([
      [0, 1],
      [3],
      [6, 7],
    ]);
  });

  it('draws the band at the median when p15 or p85 is absent', () => {
    expect(chartSegments([at(0, 90)])).toEqual([[{ time: T0, median: 90, p15: 90, p85: 90 }]]);
  });

  it('has no run when no estimate has a median', () => {
    expect(chartSegments([at(0), at(1)])).toEqual([]);
    expect(chartSegments([])).toEqual([]);
  });
});

describe('valueAxis', () => {
  const points = [[{ time: T0, median: 95, p15: 70, p85: 130 }]];

  it('takes the smallest round step that fits the ticks, from a multiple below p15 to one above p85', () => {
    expect(valueAxis(points, 8)).toEqual({
      min: 70,
      max: 130,
      ticks: [70, 80, 90, 100, 110, 120, 130].map((value) => ({ value, label: formatDuration(value) })),
    });
    expect(valueAxis(points, 4)).toEqual({
      min: 60,
      max: 150,
      ticks: [
        { value: 60, label: '1:00' },
        { value: 90, label: '1:30' },
        { value: 120, label: '2:00' },
        { value: 150, label: '2:30' },
      ],
    });
  });

  it('gives a flat series one step of height', () => {
    const flat = [[{ time: T0, median: 60, p15: 60, p85: 60 }]];
    expect(valueAxis(flat, 3)).toMatchObject({ min: 60, max: 61 });
  });
});

describe('formatDuration', () => {
  it('writes m:ss, and h:mm:ss from an hour on', () => {
    expect([45, 125, 599.6, 3600, 3725.4].map(formatDuration)).toEqual([
      '0:45',
      '2:05',
      '10:00',
      '1:00:00',
      '1:02:05',
    ]);
  });
});

describe('timeTicks', () => {
  it('puts round UTC times in the range, as many as fit', () => {
    const labels = (start: number, end: number, maxTicks: number) =>
      timeTicks(start, end, maxTicks).map((tick) => tick.label);
    expect(labels(T0, T0 + 60 * MINUTE, 7)).toEqual([
      '08:00',
      '08:10',
      '08:20',
      '08:30',
      '08:40',
      '08:50',
      '09:00',
    ]);
    expect(labels(T0, T0 + 60 * MINUTE, 6)).toEqual(['08:00', '08:15', '08:30', '08:45', '09:00']);
    expect(labels(T0 + 1_000, T0 + MINUTE, 4)).toEqual(['08:00:15', '08:00:30', '08:00:45', '08:01:00']);
    const day = 24 * 60 * MINUTE;
    expect(labels(Date.parse('2026-01-30T00:00:00Z'), Date.parse('2026-02-02T00:00:00Z'), 4)).toEqual([
      '01-30',
      '01-31',
      '02-01',
      '02-02',
    ]);
    expect(timeTicks(T0, T0 + day, 3).map((tick) => tick.value - T0)).toEqual(
      [4, 16].map((h) => h * 60 * MINUTE),
    );
  });
});

describe('chartTitle', () => {
  it('names the link and the range', () => {
    expect(
      chartTitle({ source: 'a1', destination: 'b1', start: T0, end: T0 + 90 * MINUTE, segments: [] }),
    ).toBe('travel time a1 → b1, 2026-01-30T08:00:00Z – 2026-01-30T09:30:00Z');
  });

  it('tells a quiet link from one whose trips were all rejected in its gaps', () => {
    const at = (minute: number, status: string, medianSeconds?: number) => ({
      time: T0 + minute * MINUTE,
      status,
      ...(medianSeconds === undefined ? {} : { medianSeconds }),
    });
    expect(
      describeGaps([
        at(1, 'ok', 30),
        at(2, 'no_samples'),
        at(3, 'all_rejected'),
        at(4, 'no_samples'),
        at(5, 'insufficient_data', 31),
      ]),
    ).toBe('gaps: 2 no samples, 1 all rejected');
    expect(describeGaps([at(1, 'ok', 30)])).toBeUndefined();
  });
});

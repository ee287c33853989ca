import { describe, expect, it } from 'vitest';
import {
  chartSegments,
  chartTitle,
  describeGaps,
  formatDuration,
  isThinEstimate,
  THIN_BELOW_VALID_SAMPLES,
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
  status: median === undefined ? 'no_samples' : 'ok',
  validSamples: median === undefined ? 0 : 8,
});

describe('chartSegments', () => {
  it('sorts the estimates and keeps consecutive intervals in one run', () => {
    expect(chartSegments([at(2, 92, 80, 110), at(0, 90, 80, 100), at(1, 91, 81, 101)])).toEqual([
      [
        { time: T0, median: 90, p15: 80, p85: 100, thin: false },
        { time: T0 + MINUTE, median: 91, p15: 81, p85: 101, thin: false },
        { time: T0 + 2 * MINUTE, median: 92, p15: 80, p85: 110, thin: false },
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
    expect(chartSegments([at(0, 90)])).toEqual([[{ time: T0, median: 90, p15: 90, p85: 90, thin: false }]]);
  });

  it('marks an estimate thin when its status is not ok or it has fewer than 3 valid samples', () => {
    expect(THIN_BELOW_VALID_SAMPLES).toBe(3);
    const points = chartSegments([
      { ...at(0, 90), validSamples: 3 },
      { ...at(1, 90), validSamples: 2 },
      { ...at(2, 90), validSamples: 1 },
      { ...at(3, 90), status: 'insufficient_data' },
      { ...at(4, 90), status: 'stale', validSamples: 40 },
      { time: T0 + 5 * MINUTE, medianSeconds: 90 },
    ]).flat();
    expect(points.map((point) => point.thin)).toEqual([false, true, true, true, true, true]);
    expect(isThinEstimate({ time: T0, medianSeconds: 90, status: 'ok', validSamples: 12 })).toBe(false);
  });

  it('has no run when no estimate has a median', () => {
    expect(chartSegments([at(0), at(1)])).toEqual([]);
    expect(chartSegments([])).toEqual([]);
  });
});

describe('valueAxis', () => {
  const points = [[{ time: T0, median: 95, p15: 70, p85: 130 }]];
  const labelled = (values: number[]) => values.map((value) => ({ value, label: formatDuration(value) }));

  it('starts at 0 and takes the smallest round step that fits the ticks up to one at or above p85', () => {
    expect(valueAxis(points, 8)).toEqual({
      min: 0,
      max: 140,
      ticks: labelled([0, 20, 40, 60, 80, 100, 120, 140]),
    });
    expect(valueAxis(points, 4)).toEqual({ min: 0, max: 180, ticks: labelled([0, 60, 120, 180]) });
  });

  it('does not zoom into a series that only wobbles between 95 and 105 s', () => {
    const wobble = [
      [
        { time: T0, median: 100, p15: 95, p85: 105 },
        { time: T0 + MINUTE, median: 97, p15: 95, p85: 99 },
      ],
    ];
    const axis = valueAxis(wobble, 7);
    expect(axis).toEqual({ min: 0, max: 120, ticks: labelled([0, 20, 40, 60, 80, 100, 120]) });
    expect(axis.ticks.map((tick) => tick.label)).toEqual([
      '0:00',
      '0:20',
      '0:40',
      '1:00',
      '1:20',
      '1:40',
      '2:00',
    ]);
  });

  it('uses minute steps for longer travel times and gives an all-zero series one step of height', () => {
    const long = [[{ time: T0, median: 1300, p15: 1100, p85: 1500 }]];
    expect(valueAxis(long, 7).ticks.map((tick) => tick.label)).toEqual([
      '0:00',
      '5:00',
      '10:00',
      '15:00',
      '20:00',
      '25:00',
    ]);
    const zero = [[{ time: T0, median: 0, p15: 0, p85: 0 }]];
    expect(valueAxis(zero, 3)).toMatchObject({ min: 0, max: 1 });
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

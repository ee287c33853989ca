import { describe, expect, it } from 'vitest';
import type { EstimateView } from './api';
import {
  MAX_POINT_SIZE,
  MIN_POINT_OPACITY,
  MIN_POINT_SIZE,
  plotColumns,
  pointStyle,
  withEstimate,
} from './series-data';

function estimate(intervalEnd: string, fields: Partial<EstimateView> = {}): EstimateView {
  return {
    intervalEnd,
    windowSeconds: 300,
    validSamples: 20,
    totalSamples: 22,
    status: 'ok',
    level: 'free',
    ...fields,
  };
}

describe('plotColumns', () => {
  it('aligns the typical band to each estimate by its instant, leaving gaps where it has none', () => {
    const columns = plotColumns({
      estimates: [
        estimate('2026-12-07T10:00:00.000Z', { medianSeconds: 120, p15Seconds: 100, p85Seconds: 150 }),
        estimate('2026-12-07T10:05:00.000Z', { status: 'no_samples', validSamples: 0, totalSamples: 0 }),
        estimate('2026-12-07T10:10:00.000Z', { medianSeconds: 130, p15Seconds: 110, p85Seconds: 170 }),
      ],
      // Out of order, one instant missing and one that matches no estimate.
      typical: [
        { time: '2026-12-07T10:10:00.000Z', medianSeconds: 95, p15Seconds: 85, p85Seconds: 110 },
        { time: '2026-12-07T10:00:00.000Z', medianSeconds: 90, p15Seconds: 80, p85Seconds: 105 },
        { time: '2026-12-07T09:55:00.000Z', medianSeconds: 1, p15Seconds: 1, p85Seconds: 1 },
      ],
    });
    expect(columns.x).toEqual([1796637600, 1796637900, 1796638200]);
    expect(columns.median).toEqual([120, null, 130]);
    expect(columns.p15).toEqual([100, null, 110]);
    expect(columns.p85).toEqual([150, null, 170]);
    expect(columns.typicalMedian).toEqual([90, null, 95]);
    expect(columns.typicalP15).toEqual([80, null, 85]);
    expect(columns.typicalP85).toEqual([105, null, 110]);
    expect(columns.points.map((point) => point.ok)).toEqual([true, false, true]);
  });

  it('gives empty columns for an empty series', () => {
    const columns = plotColumns({ estimates: [], typical: [] });
    expect(columns.x).toEqual([]);
    expect(columns.points).toEqual([]);
  });
});

describe('pointStyle', () => {
  it('draws thin data small and faint, and full data full size and opaque', () => {
    expect(pointStyle({ validSamples: 0, status: 'insufficient_data' })).toEqual({
      size: MIN_POINT_SIZE,
      opacity: MIN_POINT_OPACITY,
      ok: false,
    });
    expect(pointStyle({ validSamples: 5, status: 'ok' })).toEqual({ size: 8, opacity: 0.65, ok: true });
    const full = { size: MAX_POINT_SIZE, opacity: 1 };
    expect(pointStyle({ validSamples: 20, status: 'ok' })).toEqual({ ...full, ok: true });
    expect(pointStyle({ validSamples: 500, status: 'stale' })).toEqual({ ...full, ok: false });
  });
});

describe('withEstimate', () => {
  const estimates = [estimate('2026-12-07T10:00:00.000Z'), estimate('2026-12-07T10:10:00.000Z')];

  it('appends a newer estimate', () => {
    const next = withEstimate(estimates, estimate('2026-12-07T10:15:00.000Z'));
    expect(next.map((each) => each.intervalEnd)).toEqual([
      '2026-12-07T10:00:00.000Z',
      '2026-12-07T10:10:00.000Z',
      '2026-12-07T10:15:00.000Z',
    ]);
  });

  it('inserts a late one in order and replaces one with the same interval end', () => {
    const inserted = withEstimate(estimates, estimate('2026-12-07T10:05:00.000Z'));
    expect(inserted.map((each) => each.intervalEnd)).toEqual([
      '2026-12-07T10:00:00.000Z',
      '2026-12-07T10:05:00.000Z',
      '2026-12-07T10:10:00.000Z',
    ]);
    const replaced = withEstimate(estimates, estimate('2026-12-07T10:10:00.000Z', { medianSeconds: 99 }));
    expect(replaced).toHaveLength(2);
    expect(replaced[1]?.medianSeconds).toBe(99);
  });
});

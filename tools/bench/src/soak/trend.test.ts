import { describe, expect, it } from 'vitest';
import { floorsOf, leastSquaresSlope, trendOf } from './trend';

const series = (values: readonly number[], stepSeconds = 10) =>
  values.map((value, index) => ({ seconds: index * stepSeconds, value }));

describe('leastSquaresSlope', () => {
  it('is the slope of points on a line, per second', () => {
    expect(leastSquaresSlope(series([5, 7, 9, 11]))).toBeCloseTo(0.2, 12);
  });

  it('is 0 for a flat series and for points at one instant', () => {
    expect(leastSquaresSlope(series([3, 3, 3]))).toBe(0);
    expect(
      leastSquaresSlope([
        { seconds: 4, value: 1 },
        { seconds: 4, value: 9 },
      ]),
    ).toBe(0);
  });
});

describe('trendOf', () => {
  it('ignores growth in the first half (warm-up) and reports a flat second half', () => {
    const trend = trendOf(series([50, 80, 100, 100, 100, 100, 100, 100, 100]));
    expect(trend.median).toBe(100);
    expect(trend.max).toBe(100);
    expect(trend.maxOverMedian).toBe(1);
    expect(trend.secondHalfSlopePerMinute).toBe(0);
    expect(trend.secondHalfGrowth).toBe(0);
  });

  it('measures steady growth in the second half as a slope per minute and a fraction of the median', () => {
    // 1 unit per 10 s throughout: 6 per minute; the second half spans 40 s, adding 4 to a median of 104.
    const trend = trendOf(series([100, 101, 102, 103, 104, 105, 106, 107, 108]));
    expect(trend.secondHalfSlopePerMinute).toBeCloseTo(6, 9);
    expect(trend.secondHalfGrowth).toBeCloseTo(4 / 104, 9);
  });

  it('shows a spike during warm-up as max over median, not as a slope', () => {
    const trend = trendOf(series([2, 2, 2, 20, 2, 2, 2, 2, 2]));
    expect(trend.maxOverMedian).toBe(10);
    expect(trend.secondHalfGrowth).toBe(0);
  });

  it('refuses fewer than two samples', () => {
    expect(() => trendOf(series([1]))).toThrow('at least 2 samples, got 1');
  });
});

describe('floorsOf', () => {
  it('keeps the lowest value of each window, so a GC sawtooth over a steady floor is flat', () => {
    const sawtooth = series([90, 110, 130, 89, 100, 126, 89, 95, 124, 90, 99, 131]);
    const floors = floorsOf(sawtooth, 30);
    expect(floors).toEqual([
      { seconds: 0, value: 90 },
      { seconds: 30, value: 89 },
      { seconds: 60, value: 89 },
      { seconds: 90, value: 90 },
    ]);
    expect(trendOf(floors).secondHalfGrowth).toBeLessThan(0.02);
    expect(trendOf(sawtooth).maxOverMedian).toBeGreaterThan(1.2);
  });

  it('shows a leak as a rising floor', () => {
    const leaking = series([90, 120, 95, 125, 100, 130, 105, 135, 110, 140, 115, 145]);
    expect(floorsOf(leaking, 20).map(({ value }) => value)).toEqual([90, 95, 100, 105, 110, 115]);
    expect(trendOf(floorsOf(leaking, 20)).secondHalfGrowth).toBeGreaterThan(0.05);
  });

  it('is empty for no samples and refuses a window that is not positive', () => {
    expect(floorsOf([], 30)).toEqual([]);
    expect(() => floorsOf(series([1]), 0)).toThrow('windowSeconds must be positive, got 0');
  });
});

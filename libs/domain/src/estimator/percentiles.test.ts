import { describe, expect, it } from 'vitest';
import { mean, median, percentile, percentileOfSorted } from './percentiles';

describe('percentiles (linear interpolation between closest ranks)', () => {
  it('interpolates at rank (n − 1) × fraction', () => {
    const sorted = [10, 20, 30, 40];
    expect(percentileOfSorted(sorted, 0)).toBe(10);
    expect(percentileOfSorted(sorted, 1)).toBe(40);
    expect(percentileOfSorted(sorted, 0.5)).toBe(25);
    // rank 0.45 → 10 + 0.45 × 10; rank 2.55 → 30 + 0.55 × 10
    expect(percentileOfSorted(sorted, 0.15)).toBeCloseTo(14.5, 12);
    expect(percentileOfSorted(sorted, 0.85)).toBeCloseTo(35.5, 12);
  });

  it('gives the middle value of an odd count and the value itself for one', () => {
    expect(median([290, 295, 300, 305, 310])).toBe(300);
    expect(percentile([290, 295, 300, 305, 310], 0.15)).toBeCloseTo(293, 12);
    expect(percentile([290, 295, 300, 305, 310], 0.85)).toBeCloseTo(307, 12);
    expect(percentile([42], 0.15)).toBe(42);
    expect(median([42])).toBe(42);
  });

  it('sorts numerically, not as text, and leaves the input alone', () => {
    const values = [100, 9, 1000, 20];
    expect(median(values)).toBe(60);
    expect(values).toEqual([100, 9, 1000, 20]);
  });

  it('is undefined for no values and rejects fractions outside 0..1', () => {
    expect(median([])).toBeUndefined();
    expect(percentile([], 0.85)).toBeUndefined();
    expect(mean([])).toBeUndefined();
    expect(() => percentile([1], 1.5)).toThrow(new RangeError('fraction must be within 0..1, got 1.5'));
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('computes the arithmetic mean', () => {
    expect(mean([290, 295, 300, 305, 310, 1200])).toBeCloseTo(450, 12);
  });
});

import { describe, expect, it } from 'vitest';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import type { DetectorId } from '../ids/detector-id';
import { reliabilityOf } from './reliability';

const withMedian = (medianSeconds: number | undefined, minute: number): TravelTimeEstimate => ({
  source: 'A' as DetectorId,
  destination: 'B' as DetectorId,
  intervalEnd: 1_700_000_000_000_000_000n + BigInt(minute) * 60_000_000_000n,
  windowSeconds: 900,
  validSamples: medianSeconds === undefined ? 0 : 5,
  totalSamples: 5,
  status: medianSeconds === undefined ? 'insufficient_data' : 'ok',
  ...(medianSeconds === undefined ? {} : { medianSeconds }),
});

describe('reliabilityOf', () => {
  it('takes the mean and 95th percentile of the medians, and the FHWA indices against free flow', () => {
    // Medians 100, 110, ..., 190 (and one estimate without a median, not counted).
    const estimates = [
      ...Array.from({ length: 10 }, (_, n) => withMedian(100 + 10 * n, n)),
      withMedian(undefined, 10),
    ];
    const figures = reliabilityOf(estimates, 80);
    // mean 145; p95 at rank 9 × 0.95 = 8.55: 180 + 0.55 × 10 = 185.5
    expect(figures.intervals).toBe(10);
    expect(figures.meanSeconds).toBe(145);
    expect(figures.p95Seconds).toBeCloseTo(185.5, 10);
    expect(figures.freeFlowSeconds).toBe(80);
    expect(figures.travelTimeIndex).toBeCloseTo(145 / 80, 12);
    expect(figures.planningTimeIndex).toBeCloseTo(185.5 / 80, 10);
    expect(figures.bufferIndex).toBeCloseTo((185.5 - 145) / 145, 10);
  });

  it('gives one estimate as its own mean and percentile, with a buffer index of 0', () => {
    expect(reliabilityOf([withMedian(200, 0)], 100)).toEqual({
      intervals: 1,
      meanSeconds: 200,
      p95Seconds: 200,
      freeFlowSeconds: 100,
      travelTimeIndex: 2,
      planningTimeIndex: 2,
      bufferIndex: 0,
    });
  });

  it('leaves out what it cannot compute: no estimate with a median, or no free-flow figure', () => {
    expect(reliabilityOf([withMedian(undefined, 0)], 100)).toEqual({ intervals: 0, freeFlowSeconds: 100 });
    expect(reliabilityOf([withMedian(120, 0), withMedian(180, 1)], undefined)).toEqual({
      intervals: 2,
      meanSeconds: 150,
      p95Seconds: 177,
      bufferIndex: 0.18,
    });
    expect(reliabilityOf([withMedian(120, 0)], 0)).toEqual({
      intervals: 1,
      meanSeconds: 120,
      p95Seconds: 120,
      freeFlowSeconds: 0,
      bufferIndex: 0,
    });
  });
});

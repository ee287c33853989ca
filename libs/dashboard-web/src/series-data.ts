import type { EstimateView, Series, TypicalPoint } from './api';

/**
 * A series as uPlot's aligned columns. x is each estimate's interval end in epoch
 * seconds; the typical band is looked up by the same instant, so a missing typical bin
 * leaves a gap rather than shifting the band.
 */
export interface PlotColumns {
  readonly x: number[];
  readonly median: (number | null)[];
  readonly p15: (number | null)[];
  readonly p85: (number | null)[];
  readonly typicalMedian: (number | null)[];
  readonly typicalP15: (number | null)[];
  readonly typicalP85: (number | null)[];
  /** How each median point is drawn: thin data small and faint, a non-ok status marked. */
  readonly points: PointStyle[];
}

export interface PointStyle {
  /** Diameter in CSS pixels. */
  readonly size: number;
  /** 0..1. */
  readonly opacity: number;
  readonly ok: boolean;
}

/** Samples at which a point is drawn full size and opaque. */
export const FULL_SAMPLES = 20;
export const MIN_POINT_SIZE = 4;
export const MAX_POINT_SIZE = 12;
export const MIN_POINT_OPACITY = 0.3;

/** Size grows with the square root of the valid samples, so 5 samples look clearly thinner than 20. */
export function pointStyle(estimate: Pick<EstimateView, 'validSamples' | 'status'>): PointStyle {
  const share = Math.min(1, Math.sqrt(Math.max(0, estimate.validSamples) / FULL_SAMPLES));
  return {
    size: round2(MIN_POINT_SIZE + (MAX_POINT_SIZE - MIN_POINT_SIZE) * share),
    opacity: round2(MIN_POINT_OPACITY + (1 - MIN_POINT_OPACITY) * share),
    ok: estimate.status === 'ok',
  };
}

export function plotColumns(series: Pick<Series, 'estimates' | 'typical'>): PlotColumns {
  const typicalByTime = new Map<number, TypicalPoint>();
  for (const point of series.typical) typicalByTime.set(Date.parse(point.time), point);
  const columns: PlotColumns = {
    x: [],
    median: [],
    p15: [],
    p85: [],
    typicalMedian: [],
    typicalP15: [],
    typicalP85: [],
    points: [],
  };
  for (const estimate of series.estimates) {
    const endMs = Date.parse(estimate.intervalEnd);
    const typical = typicalByTime.get(endMs);
    columns.x.push(endMs / 1000);
    columns.median.push(estimate.medianSeconds ?? null);
    columns.p15.push(estimate.p15Seconds ?? null);
    columns.p85.push(estimate.p85Seconds ?? null);
    columns.typicalMedian.push(typical?.medianSeconds ?? null);
    columns.typicalP15.push(typical?.p15Seconds ?? null);
    columns.typicalP85.push(typical?.p85Seconds ?? null);
    columns.points.push(pointStyle(estimate));
  }
  return columns;
}

/**
 * The estimates with `estimate` put in its place: replacing the one with the same
 * interval end, else inserted so the list stays oldest first.
 */
export function withEstimate(estimates: readonly EstimateView[], estimate: EstimateView): EstimateView[] {
  const endMs = Date.parse(estimate.intervalEnd);
  const next = estimates.filter((existing) => Date.parse(existing.intervalEnd) !== endMs);
  const index = next.findIndex((existing) => Date.parse(existing.intervalEnd) > endMs);
  next.splice(index === -1 ? next.length : index, 0, estimate);
  return next;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

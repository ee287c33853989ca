import type { query } from '@message-bus/proto';
import { formatSeconds } from './travel-time-rows';

/** The FHWA reliability measures of one link or route over a range; a figure the server could not give is null. */
export interface ReliabilityFigures {
  /** Estimates with a median in the range. */
  readonly intervals: number;
  readonly meanSeconds: number | null;
  readonly p95Seconds: number | null;
  readonly freeFlowSeconds: number | null;
  /** Travel time index: mean over free flow. */
  readonly travelTimeIndex: number | null;
  /** Planning time index: 95th percentile over free flow. */
  readonly planningTimeIndex: number | null;
  /** Buffer index: (95th percentile - mean) / mean. */
  readonly bufferIndex: number | null;
}

export function reliabilityFigures(reliability: query.Reliability): ReliabilityFigures {
  const r = reliability;
  return {
    intervals: Number(r.intervals),
    meanSeconds: r.meanSeconds ?? null,
    p95Seconds: r.p95Seconds ?? null,
    freeFlowSeconds: r.freeFlowSeconds ?? null,
    travelTimeIndex: r.travelTimeIndex ?? null,
    planningTimeIndex: r.planningTimeIndex ?? null,
    bufferIndex: r.bufferIndex ?? null,
  };
}

export const RELIABILITY_HEADERS = ['TTI', 'PTI', 'BI', 'MEAN', 'P95', 'FREE FLOW', 'INTERVALS'] as const;

/** Indices with two decimals (the buffer index as a percentage), times as `1m35s`, `-` for a null figure. */
export function reliabilityCells(figures: ReliabilityFigures): string[] {
  const index = (value: number | null) => (value === null ? '-' : value.toFixed(2));
  return [
    index(figures.travelTimeIndex),
    index(figures.planningTimeIndex),
    figures.bufferIndex === null ? '-' : `${(figures.bufferIndex * 100).toFixed(0)}%`,
    formatSeconds(figures.meanSeconds),
    formatSeconds(figures.p95Seconds),
    formatSeconds(figures.freeFlowSeconds),
    String(figures.intervals),
  ];
}

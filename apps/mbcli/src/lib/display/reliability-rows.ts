import type { query } from '@message-bus/proto';
import { formatSeconds } from './travel-time-rows';

/** The FHWA reliability measures of one link or route over a range; a figure the server could not give is absent. */
export interface ReliabilityFigures {
  /** Estimates with a median in the range. */
  readonly intervals: number;
  readonly meanSeconds?: number;
  readonly p95Seconds?: number;
  readonly freeFlowSeconds?: number;
  /** Travel time index: mean over free flow. */
  readonly travelTimeIndex?: number;
  /** Planning time index: 95th percentile over free flow. */
  readonly planningTimeIndex?: number;
  /** Buffer index: (95th percentile - mean) / mean. */
  readonly bufferIndex?: number;
}

export function reliabilityFigures(reliability: query.Reliability): ReliabilityFigures {
  const r = reliability;
  return {
    intervals: Number(r.intervals),
    ...(r.meanSeconds !== undefined && { meanSeconds: r.meanSeconds }),
    ...(r.p95Seconds !== undefined && { p95Seconds: r.p95Seconds }),
    ...(r.freeFlowSeconds !== undefined && { freeFlowSeconds: r.freeFlowSeconds }),
    ...(r.travelTimeIndex !== undefined && { travelTimeIndex: r.travelTimeIndex }),
    ...(r.planningTimeIndex !== undefined && { planningTimeIndex: r.planningTimeIndex }),
    ...(r.bufferIndex !== undefined && { bufferIndex: r.bufferIndex }),
  };
}

export const RELIABILITY_HEADERS = ['TTI', 'PTI', 'BI', 'MEAN', 'P95', 'FREE FLOW', 'INTERVALS'] as const;

/** Indices with two decimals (the buffer index as a percentage), times as `1m35s`, `-` for an absent figure. */
export function reliabilityCells(figures: ReliabilityFigures): string[] {
  const index = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2));
  return [
    index(figures.travelTimeIndex),
    index(figures.planningTimeIndex),
    figures.bufferIndex === undefined ? '-' : `${(figures.bufferIndex * 100).toFixed(0)}%`,
    formatSeconds(figures.meanSeconds),
    formatSeconds(figures.p95Seconds),
    formatSeconds(figures.freeFlowSeconds),
    String(figures.intervals),
  ];
}

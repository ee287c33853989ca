import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { mean, percentileOfSorted, sortedAscending } from '../estimator/percentiles';

/**
 * The FHWA travel-time reliability measures of a period. Each figure is absent when
 * what it divides by is missing or zero (no estimate with a median, no free-flow figure).
 */
export interface ReliabilityFigures {
  /** Estimates with a median in the period. */
  readonly intervals: number;
  readonly meanSeconds?: number;
  readonly p95Seconds?: number;
  readonly freeFlowSeconds?: number;
  /** Mean over free flow: how much longer than without traffic a trip takes on average. */
  readonly travelTimeIndex?: number;
  /** 95th percentile over free flow: the time to plan for to arrive on time 19 times in 20. */
  readonly planningTimeIndex?: number;
  /** (95th percentile − mean) / mean: the extra time, as a share of the mean, to allow for. */
  readonly bufferIndex?: number;
}

/**
 * The reliability measures of `estimates` (a period's, of one link or route) against
 * `freeFlowSeconds`, the target's typical-profile free-flow figure. Only estimates with
 * a median count; their medians are the travel times the measures are taken over.
 */
export function reliabilityOf(
  estimates: readonly TravelTimeEstimate[],
  freeFlowSeconds: number | undefined,
): ReliabilityFigures {
  const medians = estimates.flatMap((estimate) =>
    estimate.medianSeconds === undefined ? [] : [estimate.medianSeconds],
  );
  const meanSeconds = mean(medians);
  const p95Seconds = percentileOfSorted(sortedAscending(medians), 0.95);
  const freeFlow = freeFlowSeconds !== undefined && freeFlowSeconds > 0 ? freeFlowSeconds : undefined;
  return {
    intervals: medians.length,
    ...(meanSeconds === undefined ? {} : { meanSeconds }),
    ...(p95Seconds === undefined ? {} : { p95Seconds }),
    ...(freeFlowSeconds === undefined ? {} : { freeFlowSeconds }),
    ...(meanSeconds === undefined || freeFlow === undefined
      ? {}
      : { travelTimeIndex: meanSeconds / freeFlow }),
    ...(p95Seconds === undefined || freeFlow === undefined
      ? {}
      : { planningTimeIndex: p95Seconds / freeFlow }),
    ...(meanSeconds === undefined || p95Seconds === undefined || meanSeconds <= 0
      ? {}
      : { bufferIndex: (p95Seconds - meanSeconds) / meanSeconds }),
  };
}

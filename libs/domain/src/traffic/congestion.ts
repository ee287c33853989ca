/** Congestion against the typical travel time at this time of week; the wire enum's order (1..4). */
export type CongestionLevel = 'free' | 'moderate' | 'heavy' | 'severe';

export const CONGESTION_LEVELS: readonly CongestionLevel[] = ['free', 'moderate', 'heavy', 'severe'];

/** How an estimate compares with the typical profile of its link or route; every field is absent until a profile exists. */
export interface CongestionFigures {
  readonly typicalSeconds?: number;
  readonly freeFlowSeconds?: number;
  readonly ratioToTypical?: number;
  readonly ratioToFreeFlow?: number;
  readonly level?: CongestionLevel;
}

/** How a route's travel time was obtained: end-to-end matches, or the sum of its links. */
export type RouteEstimateMethod = 'matched' | 'sum_of_links';

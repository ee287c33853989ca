import type { DetectorId } from '../ids/detector-id';
import type { UnixNanos } from '../time';
import type { CongestionFigures, RouteEstimateMethod } from '../traffic/congestion';
import type { RouteName } from '../traffic/route';

/**
 * How far an estimate can be trusted: `ok`; `insufficient_data` (too few valid samples,
 * statistics indicative only); `stale` (no recent valid sample); `all_rejected`
 * (samples were matched but the filter or the minimum travel time rejected every one);
 * `no_samples` (no device was matched in the window).
 */
export type EstimateStatus = 'ok' | 'insufficient_data' | 'stale' | 'no_samples' | 'all_rejected';

/** Every status, in the order of the wire enum (1..5). */
export const ESTIMATE_STATUSES: readonly EstimateStatus[] = [
  'ok',
  'insufficient_data',
  'stale',
  'no_samples',
  'all_rejected',
];

/**
 * The travel time of one link (source → destination) for the window ending at
 * `intervalEnd`; or of a route, when `route` is set (source and destination are then its
 * first and last detectors). The congestion figures are set once a typical profile exists.
 */
export interface TravelTimeEstimate extends CongestionFigures {
  readonly source: DetectorId;
  readonly destination: DetectorId;
  /** End of the estimation window (exclusive); estimates of one link are keyed by it. */
  readonly intervalEnd: UnixNanos;
  readonly windowSeconds: number;
  /** Travel-time statistics in seconds; undefined when there were no valid samples. */
  readonly medianSeconds?: number;
  readonly p15Seconds?: number;
  readonly p85Seconds?: number;
  readonly meanSeconds?: number;
  readonly validSamples: number;
  readonly totalSamples: number;
  /** Set when both detectors have coordinates (or the link has a configured length). */
  readonly speedKmh?: number;
  readonly status: EstimateStatus;
  /** Set on a route's estimates only. */
  readonly route?: RouteName;
  /** Set on a route's estimates only. */
  readonly routeMethod?: RouteEstimateMethod;
}

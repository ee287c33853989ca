import type { DetectorId } from './detector-id';
import type { UnixNanos } from './time';

export type EstimateStatus = 'ok' | 'insufficient_data' | 'stale';

/** The travel time of one link (source → destination) for the window ending at `intervalEnd`. */
export interface TravelTimeEstimate {
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
}

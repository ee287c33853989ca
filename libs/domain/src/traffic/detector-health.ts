import type { DetectorId } from '../ids/detector-id';
import type { UnixNanos } from '../time';
import type { AlertKind } from './alert';

/** A detector's health as the data shows it, as the workers last judged it. */
export interface DetectorHealth {
  readonly detectorId: DetectorId;
  readonly checkedAt: UnixNanos;
  /** Its newest sighting; absent when none is stored. */
  readonly lastSeen?: UnixNanos;
  /** Kinds of its open alerts; empty when healthy. */
  readonly problems: readonly AlertKind[];
  /** Estimated clock offset in seconds, positive when its clock runs ahead. */
  readonly clockSkewSeconds?: number;
  /** Battery trend over recent status reports, volts per day. */
  readonly batteryVoltsPerDay?: number;
}

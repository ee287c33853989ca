import type { DetectorId } from './detector-id';
import type { DeviceKind } from './device';
import type { UnixNanos } from './time';

/** A detector's health report at `time`. */
export interface DetectorStatus {
  readonly detectorId: DetectorId;
  readonly time: UnixNanos;
  /** Volts; finite and within a plausible range for detector hardware. */
  readonly batteryVoltage: number;
  /** The radios that are working, without duplicates. */
  readonly activeRadios: readonly DeviceKind[];
  /** Devices counted per radio since the previous report; never negative. */
  readonly detectionCounts: Readonly<Partial<Record<DeviceKind, bigint>>>;
}

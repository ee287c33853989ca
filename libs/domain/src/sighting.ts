import type { DetectorId } from './ids/detector-id';
import type { UnixNanos } from './time';

/**
 * One stored detection event: a device seen by a detector at an instant.
 * `deviceId` is a pseudonym for everything this system writes; data written by the
 * original Go services may carry other device strings, which are read as they are.
 */
export interface Sighting {
  readonly detectorId: DetectorId;
  readonly deviceId: string;
  readonly time: UnixNanos;
  /**
   * The pseudonym of the previous rotation period, set only for sightings inside the
   * overlap after a rotation boundary, so a trip that crosses the boundary still matches.
   */
  readonly previousDeviceId?: string;
}

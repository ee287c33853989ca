import type { DetectorId, Sighting, UnixNanos } from '@message-bus/domain';

/** The sightings of one device at one detector: one wire `query.DetectionEvent`. */
export interface SightingGroup {
  readonly detectorId: DetectorId;
  readonly deviceId: string;
  /** Newest first. */
  readonly times: UnixNanos[];
}

/**
 * Groups sightings by (detector, device), as the original service did, given them
 * detector by detector and newest first (the repository's order). The original kept
 * each group's times in the order read (newest first) but returned the groups in Go
 * map order, which is random; here the order is defined instead: detectors in the
 * order given, and within a detector the groups by their newest sighting, newest first.
 */
export function groupSightings(sightings: Iterable<Sighting>): SightingGroup[] {
  const grouper = new SightingGrouper();
  for (const sighting of sightings) grouper.add(sighting);
  return grouper.groups;
}

/**
 * `groupSightings` one sighting at a time, for sightings read from a store: each is
 * dropped once added, so only the groups are held while the rest is read.
 */
export class SightingGrouper {
  readonly groups: SightingGroup[] = [];
  private detectorId: DetectorId | undefined;
  private groupOfDevice = new Map<string, SightingGroup>();

  add(sighting: Sighting): void {
    if (sighting.detectorId !== this.detectorId) {
      this.detectorId = sighting.detectorId;
      this.groupOfDevice = new Map();
    }
    const group = this.groupOfDevice.get(sighting.deviceId);
    if (group === undefined) {
      const created = {
        detectorId: sighting.detectorId,
        deviceId: sighting.deviceId,
        times: [sighting.time],
      };
      this.groupOfDevice.set(sighting.deviceId, created);
      this.groups.push(created);
    } else {
      group.times.push(sighting.time);
    }
  }
}

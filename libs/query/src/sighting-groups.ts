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
  const groups: SightingGroup[] = [];
  let detectorId: DetectorId | undefined;
  let groupOfDevice = new Map<string, SightingGroup>();
  for (const sighting of sightings) {
    if (sighting.detectorId !== detectorId) {
      detectorId = sighting.detectorId;
      groupOfDevice = new Map();
    }
    const group = groupOfDevice.get(sighting.deviceId);
    if (group === undefined) {
      const created = { detectorId, deviceId: sighting.deviceId, times: [sighting.time] };
      groupOfDevice.set(sighting.deviceId, created);
      groups.push(created);
    } else {
      group.times.push(sighting.time);
    }
  }
  return groups;
}

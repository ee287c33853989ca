import type { DetectorId, Sighting, UnixNanos } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { groupSightings, type GroupedSightings } from './sighting-groups';

const SECOND = 1_000_000_000n;
const T = 1_700_000_000n * SECOND;

function sighting(detectorId: string, deviceId: string, time: UnixNanos): Sighting {
  return { detectorId: detectorId as DetectorId, deviceId, time };
}

/** The groups as objects with their times back in nanoseconds, for readable assertions. */
function groupsOf(grouped: GroupedSightings) {
  return grouped.deviceIds.map((deviceId, group) => {
    const times: UnixNanos[] = [];
    for (let time = grouped.timeStarts[group]!; time < grouped.timeStarts[group + 1]!; time += 1) {
      times.push(BigInt(grouped.seconds[time]!) * SECOND + BigInt(grouped.nanos[time]!));
    }
    return { detectorId: grouped.detectorIds[group], deviceId, times };
  });
}

/** The grouping as the Map-based grouper did it, to compare with on many sightings. */
function groupedWithMaps(sightings: readonly Sighting[]) {
  const groups: { detectorId: string; deviceId: string; times: UnixNanos[] }[] = [];
  let detectorId: string | undefined;
  let groupOfDevice = new Map<string, (typeof groups)[number]>();
  for (const { detectorId: sightingDetector, deviceId, time } of sightings) {
    if (sightingDetector !== detectorId) {
      detectorId = sightingDetector;
      groupOfDevice = new Map();
    }
    const group = groupOfDevice.get(deviceId);
    if (group === undefined) {
      const created = { detectorId, deviceId, times: [time] };
      groupOfDevice.set(deviceId, created);
      groups.push(created);
    } else {
      group.times.push(time);
    }
  }
  return groups;
}

describe('groupSightings', () => {
  it('groups by (detector, device): groups in order of first sighting, times in the order given', () => {
    const grouped = groupSightings([
      sighting('det-b', 'device-1', T + 6n * SECOND),
      sighting('det-a', 'device-1', T + 5n * SECOND),
      sighting('det-a', 'device-2', T + 4n * SECOND + 7n),
      sighting('det-a', 'device-1', T + 3n * SECOND),
      sighting('det-a', 'device-2', T + 2n),
      sighting('det-a', 'device-1', T + 1n),
    ]);
    expect(groupsOf(grouped)).toEqual([
      { detectorId: 'det-b', deviceId: 'device-1', times: [T + 6n * SECOND] },
      { detectorId: 'det-a', deviceId: 'device-1', times: [T + 5n * SECOND, T + 3n * SECOND, T + 1n] },
      { detectorId: 'det-a', deviceId: 'device-2', times: [T + 4n * SECOND + 7n, T + 2n] },
    ]);
    expect([...grouped.timeStarts]).toEqual([0, 1, 4, 6]);
  });

  it('starts new groups when a detector comes again after another, as one run per detector is given', () => {
    const grouped = groupSightings([
      sighting('det-a', 'device-1', T + 3n),
      sighting('det-b', 'device-1', T + 2n),
      sighting('det-a', 'device-1', T + 1n),
    ]);
    expect(groupsOf(grouped)).toEqual([
      { detectorId: 'det-a', deviceId: 'device-1', times: [T + 3n] },
      { detectorId: 'det-b', deviceId: 'device-1', times: [T + 2n] },
      { detectorId: 'det-a', deviceId: 'device-1', times: [T + 1n] },
    ]);
  });

  it('has no groups for no sightings', () => {
    const grouped = groupSightings([]);
    expect(grouped.deviceIds).toEqual([]);
    expect([...grouped.timeStarts]).toEqual([0]);
    expect(grouped.seconds.length).toBe(0);
  });

  it('splits times exactly into floored seconds and nanos 0 to 999999999', () => {
    const times = [T, T + 999_999_999n, 0n, -1n, -SECOND, 2n ** 63n - 1n, -(2n ** 63n)];
    const grouped = groupSightings(times.map((time) => sighting('det-a', 'device-1', time)));
    expect([...grouped.seconds]).toEqual([
      1_700_000_000, 1_700_000_000, 0, -1, -1, 9_223_372_036, -9_223_372_037,
    ]);
    expect([...grouped.nanos]).toEqual([0, 999_999_999, 0, 999_999_999, 0, 854_775_807, 145_224_192]);
    expect(groupsOf(grouped)[0]?.times).toEqual(times);
  });

  it('refuses a time whose seconds a column cannot hold exactly', () => {
    expect(() => groupSightings([sighting('det-a', 'device-1', 2n ** 53n * SECOND)])).toThrow(RangeError);
  });

  it('groups many interleaved devices of several detectors as a Map keyed by device would', () => {
    const sightings: Sighting[] = [];
    for (const detectorId of ['det-a', 'det-b', 'det-c']) {
      for (let index = 0; index < 6_000; index += 1) {
        // Each device is seen up to 3 times, its sightings far apart; ids share long prefixes.
        const device = (index * 7_919) % 2_500;
        sightings.push(sighting(detectorId, `device-${'x'.repeat(device % 7)}${device}`, T - BigInt(index)));
      }
    }
    expect(groupsOf(groupSightings(sightings))).toEqual(groupedWithMaps(sightings));
  });
});

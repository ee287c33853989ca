import type { Sighting } from '../sighting';
import { secondsToNanos } from '../duration';
import type { UnixNanos } from '../time';

/**
 * One device passing one detector: its sightings there, with no gap as long as the
 * pass gap between consecutive ones.
 */
export interface Pass {
  /** The device's newest pseudonym in the pass (that of its latest sighting). */
  readonly deviceId: string;
  /**
   * The device's other pseudonyms in the pass, sorted: the previous period's, when the
   * pass lies in the overlap after a rotation or straddles the boundary.
   */
  readonly aliases: readonly string[];
  readonly first: UnixNanos;
  readonly last: UnixNanos;
  /** How many sightings form the pass. */
  readonly count: number;
}

/**
 * Collapses one detector's sightings (any order) into passes, sorted by first sighting
 * then deviceId. Sightings belong to one device when they share a pseudonym, directly
 * or through `previousDeviceId`: in the overlap after a daily rotation a sighting
 * carries both, so the device's sightings just before the boundary (old pseudonym) and
 * just after (new one) form one pass. A gap of exactly `passGapSeconds` starts a new pass.
 */
export function collapsePasses(sightings: readonly Sighting[], passGapSeconds: number): Pass[] {
  if (!Number.isFinite(passGapSeconds) || passGapSeconds <= 0) {
    throw new RangeError(`passGapSeconds must be a finite number > 0, got ${passGapSeconds}`);
  }
  checkOneDetector(sightings);
  const gapNanos = secondsToNanos(passGapSeconds);
  const devices = new PseudonymGroups();
  for (const sighting of sightings) {
    if (sighting.previousDeviceId !== undefined) devices.join(sighting.deviceId, sighting.previousDeviceId);
  }
  const sightingsOfDevice = new Map<string, Sighting[]>();
  for (const sighting of sightings) {
    const device = devices.representative(sighting.deviceId);
    const group = sightingsOfDevice.get(device);
    if (group === undefined) sightingsOfDevice.set(device, [sighting]);
    else group.push(sighting);
  }
  const passes: Pass[] = [];
  for (const group of sightingsOfDevice.values()) {
    group.sort(byTime);
    let start = 0;
    for (let index = 1; index <= group.length; index += 1) {
      const current = group[index];
      const previous = group[index - 1] as Sighting;
      if (current === undefined || current.time - previous.time >= gapNanos) {
        passes.push(passOf(group.slice(start, index)));
        start = index;
      }
    }
  }
  return passes.sort(byFirstThenDevice);
}

/** The pass's identities: its deviceId and its aliases. */
export function identitiesOf(pass: Pass): readonly string[] {
  return [pass.deviceId, ...pass.aliases];
}

/** `sightings` sorted by time, non-empty. */
function passOf(sightings: readonly Sighting[]): Pass {
  const firstSighting = sightings[0] as Sighting;
  const lastSighting = sightings[sightings.length - 1] as Sighting;
  const aliases = new Set<string>();
  for (const sighting of sightings) {
    aliases.add(sighting.deviceId);
    if (sighting.previousDeviceId !== undefined) aliases.add(sighting.previousDeviceId);
  }
  aliases.delete(lastSighting.deviceId);
  return {
    deviceId: lastSighting.deviceId,
    aliases: [...aliases].sort(),
    first: firstSighting.time,
    last: lastSighting.time,
    count: sightings.length,
  };
}

function checkOneDetector(sightings: readonly Sighting[]): void {
  const detector = sightings[0]?.detectorId;
  sightings.forEach((sighting, index) => {
    if (sighting.detectorId !== detector) {
      throw new RangeError(
        `sightings[${index}].detectorId is "${sighting.detectorId}" but sightings[0].detectorId is ` +
          `"${detector}"; passes are collapsed per detector`,
      );
    }
  });
}

function byTime(a: Sighting, b: Sighting): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

function byFirstThenDevice(a: Pass, b: Pass): number {
  if (a.first !== b.first) return a.first < b.first ? -1 : 1;
  return a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0;
}

/**
 * Disjoint sets of pseudonyms (union–find with path halving): pseudonyms linked by a
 * sighting that carries both belong to one device.
 */
class PseudonymGroups {
  private readonly parent = new Map<string, string>();

  join(a: string, b: string): void {
    const rootA = this.representative(a);
    const rootB = this.representative(b);
    if (rootA !== rootB) this.parent.set(rootA, rootB);
  }

  representative(pseudonym: string): string {
    let current = pseudonym;
    for (;;) {
      const parent = this.parent.get(current);
      if (parent === undefined) return current;
      const grandparent = this.parent.get(parent);
      if (grandparent !== undefined) this.parent.set(current, grandparent);
      current = grandparent ?? parent;
    }
  }
}

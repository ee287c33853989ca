import type { DetectorId, Sighting } from '@message-bus/domain';

const NANOS_PER_SECOND = 1_000_000_000n;
const INITIAL_CAPACITY = 256;
const NO_GROUP = -1;

/**
 * Sightings grouped by (detector, device), one group per wire `query.DetectionEvent`,
 * held column-wise: a group is an index, and its times are whole seconds and nanoseconds
 * (exact, as a google.protobuf.Timestamp has them) in typed arrays. One GetEvents call
 * may group a million sightings; an object, an array and a bigint per group, kept alive
 * while the rest was read, doubled the server's garbage-collection time.
 */
export interface GroupedSightings {
  /** Per group, in group order. */
  readonly detectorIds: readonly DetectorId[];
  readonly deviceIds: readonly string[];
  /** Group `g`'s times are at `timeStarts[g]` up to (not including) `timeStarts[g + 1]`, in the order given. */
  readonly timeStarts: Int32Array;
  /** Unix seconds, floored; a safe integer. */
  readonly seconds: Float64Array;
  /** 0 to 999999999. */
  readonly nanos: Int32Array;
}

/**
 * Groups sightings by (detector, device), as the original service did, given them
 * detector by detector and newest first (the repository's order). The original kept
 * each group's times in the order read (newest first) but returned the groups in Go
 * map order, which is random; here the order is defined instead: detectors in the
 * order given, and within a detector the groups by their newest sighting, newest first.
 */
export function groupSightings(sightings: Iterable<Sighting>): GroupedSightings {
  const grouper = new SightingGrouper();
  for (const sighting of sightings) grouper.add(sighting);
  return grouper.grouped();
}

/**
 * `groupSightings` one sighting at a time, for sightings read from a store: each is
 * dropped once added, so only the groups are held while the rest is read.
 *
 * A detector's groups are found by an open-addressing table of group indices on a hash
 * of the device id, which measured several times cheaper than a Map keyed by the fresh
 * device id strings a store decodes.
 */
export class SightingGrouper {
  private readonly detectorIds: DetectorId[] = [];
  private readonly deviceIds: string[] = [];
  /** Per group: its device id's hash. */
  private hashOfGroup = new Int32Array(INITIAL_CAPACITY);
  /** Per time, in the order added. */
  private groupOfTime = new Int32Array(INITIAL_CAPACITY);
  private secondsOfTime = new Float64Array(INITIAL_CAPACITY);
  private nanosOfTime = new Int32Array(INITIAL_CAPACITY);
  private timeCount = 0;
  private detectorId: DetectorId | undefined;
  /** The first group of the current detector: only its groups are in `slots`. */
  private detectorStart = 0;
  /** Group index or NO_GROUP; a power of two in size, at most half full. */
  private slots = emptySlots(2 * INITIAL_CAPACITY);

  /** Sightings added so far. */
  get sightingCount(): number {
    return this.timeCount;
  }

  add(sighting: Sighting): void {
    if (sighting.detectorId !== this.detectorId) {
      this.detectorId = sighting.detectorId;
      this.detectorStart = this.deviceIds.length;
      this.slots = emptySlots(2 * INITIAL_CAPACITY);
    }
    const deviceId = sighting.deviceId;
    const hash = hashOf(deviceId);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    let group = this.slots[slot]!;
    while (group !== NO_GROUP && !(this.hashOfGroup[group] === hash && this.deviceIds[group] === deviceId)) {
      slot = (slot + 1) & mask;
      group = this.slots[slot]!;
    }
    if (group === NO_GROUP) {
      group = this.deviceIds.length;
      this.addGroup(sighting.detectorId, deviceId, hash);
      this.slots[slot] = group;
      if (2 * (this.deviceIds.length - this.detectorStart) > this.slots.length) this.growSlots();
    }
    this.addTime(group, sighting.time);
  }

  /** The groups, each group's times in the order added; once every sighting is added. */
  grouped(): GroupedSightings {
    const groupCount = this.deviceIds.length;
    const timeStarts = new Int32Array(groupCount + 1);
    for (let time = 0; time < this.timeCount; time += 1) timeStarts[this.groupOfTime[time]! + 1]! += 1;
    for (let group = 0; group < groupCount; group += 1) timeStarts[group + 1]! += timeStarts[group]!;
    // A stable counting sort by group: each group's times keep the order they were added in.
    const next = timeStarts.slice(0, groupCount);
    const seconds = new Float64Array(this.timeCount);
    const nanos = new Int32Array(this.timeCount);
    for (let time = 0; time < this.timeCount; time += 1) {
      const at = next[this.groupOfTime[time]!]!++;
      seconds[at] = this.secondsOfTime[time]!;
      nanos[at] = this.nanosOfTime[time]!;
    }
    return { detectorIds: this.detectorIds, deviceIds: this.deviceIds, timeStarts, seconds, nanos };
  }

  private addGroup(detectorId: DetectorId, deviceId: string, hash: number): void {
    const group = this.deviceIds.length;
    if (group === this.hashOfGroup.length) this.hashOfGroup = grown(this.hashOfGroup);
    this.detectorIds.push(detectorId);
    this.deviceIds.push(deviceId);
    this.hashOfGroup[group] = hash;
  }

  private addTime(group: number, nanosSinceEpoch: bigint): void {
    const time = this.timeCount;
    if (time === this.groupOfTime.length) {
      this.groupOfTime = grown(this.groupOfTime);
      this.secondsOfTime = grown(this.secondsOfTime);
      this.nanosOfTime = grown(this.nanosOfTime);
    }
    const truncated = nanosSinceEpoch / NANOS_PER_SECOND;
    let seconds = Number(truncated);
    let nanos = Number(nanosSinceEpoch - truncated * NANOS_PER_SECOND);
    if (nanos < 0) {
      seconds -= 1;
      nanos += 1_000_000_000;
    }
    if (!Number.isSafeInteger(seconds)) {
      throw new RangeError(
        `time ${nanosSinceEpoch} ns is beyond ±2^53 seconds, which cannot be held exactly`,
      );
    }
    this.groupOfTime[time] = group;
    this.secondsOfTime[time] = seconds;
    this.nanosOfTime[time] = nanos;
    this.timeCount = time + 1;
  }

  private growSlots(): void {
    const slots = emptySlots(2 * this.slots.length);
    const mask = slots.length - 1;
    for (let group = this.detectorStart; group < this.deviceIds.length; group += 1) {
      let slot = this.hashOfGroup[group]! & mask;
      while (slots[slot] !== NO_GROUP) slot = (slot + 1) & mask;
      slots[slot] = group;
    }
    this.slots = slots;
  }
}

function emptySlots(size: number): Int32Array {
  return new Int32Array(size).fill(NO_GROUP);
}

/** 32-bit FNV-1a over the UTF-16 units. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return hash;
}

function grown<Column extends Int32Array | Float64Array>(column: Column): Column {
  const larger = new (column.constructor as new (length: number) => Column)(2 * column.length);
  larger.set(column);
  return larger;
}

import { nanosToSeconds, secondsToNanos } from '../duration';
import { median } from '../estimator/percentiles';
import type { DetectorId } from '../ids/detector-id';
import type { Sighting } from '../sighting';
import type { UnixNanos } from '../time';

/** A device unseen for longer than this ends one trip and starts the next: an hour. */
export const DEFAULT_TRIP_GAP_SECONDS = 3600;

/** The trips from one detector to another (or back to the same one, over others). */
export interface OriginDestinationCell {
  readonly origin: DetectorId;
  readonly destination: DetectorId;
  readonly trips: number;
  /** Median seconds from the trip's first sighting, at the origin, to its last, at the destination. */
  readonly medianSeconds: number;
}

/** Trips between detectors; no device id is part of it. */
export interface OriginDestinationMatrix {
  /** Cells with trips only, by origin then destination, each in the order of the detectors given. */
  readonly cells: readonly OriginDestinationCell[];
  /** Trips seen at one detector only: they have no origin–destination pair. */
  readonly singleDetectorTrips: number;
}

/** One device's trip so far. */
interface OpenTrip {
  readonly origin: number;
  readonly start: UnixNanos;
  last: UnixNanos;
  lastDetector: number;
  /** Whether it was seen at a detector other than its origin. */
  moved: boolean;
}

/**
 * Counts trips between `detectorIds` from their sightings, given in time order (ties in
 * any order), one at a time, so a caller can read detectors' sightings merged by time
 * and hold only what the answer needs:
 *
 * - the trip of each device seen within the last trip gap (older trips are closed as
 *   time passes, oldest first);
 * - the duration of every closed multi-detector trip, per cell, for its median
 *   (8 bytes per trip).
 *
 * A trip ends when its device is unseen for longer than the trip gap; it counts once,
 * from the detector of its first sighting to that of its last. A sighting carrying its
 * device's previous pseudonym (the overlap after a rotation) continues the trip begun
 * under that pseudonym. Pseudonyms live only inside the counter.
 */
export class TripCounter {
  private readonly indexOf = new Map<DetectorId, number>();
  private readonly gapNanos: bigint;
  /** By pseudonym, in order of last sighting: the oldest first, which is the next to close. */
  private readonly open = new Map<string, OpenTrip>();
  /** Durations in seconds of closed multi-detector trips, by `origin * detectors + destination`. */
  private readonly durations = new Map<number, number[]>();
  private singleDetectorTrips = 0;
  private latest: UnixNanos | undefined;

  constructor(
    private readonly detectorIds: readonly DetectorId[],
    tripGapSeconds = DEFAULT_TRIP_GAP_SECONDS,
  ) {
    if (!Number.isFinite(tripGapSeconds) || tripGapSeconds <= 0) {
      throw new RangeError(`tripGapSeconds must be a finite number > 0, got ${tripGapSeconds}`);
    }
    this.gapNanos = secondsToNanos(tripGapSeconds);
    detectorIds.forEach((detectorId, index) => this.indexOf.set(detectorId, index));
  }

  /** Adds the next sighting; it must not be earlier than the one before. */
  add(sighting: Sighting): void {
    const detector = this.indexOf.get(sighting.detectorId);
    if (detector === undefined) {
      throw new RangeError(`sighting at "${sighting.detectorId}", which is not one of the counted detectors`);
    }
    if (this.latest !== undefined && sighting.time < this.latest) {
      throw new RangeError('sightings must come in time order: this one is earlier than the one before');
    }
    this.latest = sighting.time;
    this.closeUnseenSince(sighting.time - this.gapNanos);
    const trip = this.continuedTrip(sighting);
    if (trip === undefined) {
      this.open.set(sighting.deviceId, {
        origin: detector,
        start: sighting.time,
        last: sighting.time,
        lastDetector: detector,
        moved: false,
      });
      return;
    }
    trip.last = sighting.time;
    trip.lastDetector = detector;
    if (detector !== trip.origin) trip.moved = true;
    // Re-inserted so the map stays in order of last sighting.
    this.open.delete(sighting.deviceId);
    this.open.set(sighting.deviceId, trip);
  }

  /** The matrix of every trip so far, the open ones closed; the counter is spent afterwards. */
  matrix(): OriginDestinationMatrix {
    for (const trip of this.open.values()) this.close(trip);
    this.open.clear();
    const count = this.detectorIds.length;
    const cells: OriginDestinationCell[] = [...this.durations.entries()]
      .sort(([a], [b]) => a - b)
      .map(([cell, seconds]) => ({
        origin: this.detectorIds[Math.floor(cell / count)] as DetectorId,
        destination: this.detectorIds[cell % count] as DetectorId,
        trips: seconds.length,
        medianSeconds: median(seconds) as number,
      }));
    return { cells, singleDetectorTrips: this.singleDetectorTrips };
  }

  /** The device's open trip, under its pseudonym or, in a rotation's overlap, its previous one. */
  private continuedTrip(sighting: Sighting): OpenTrip | undefined {
    const trip = this.open.get(sighting.deviceId);
    if (trip !== undefined || sighting.previousDeviceId === undefined) return trip;
    const before = this.open.get(sighting.previousDeviceId);
    if (before !== undefined) this.open.delete(sighting.previousDeviceId);
    return before;
  }

  /** Closes the trips last seen before `time`: unseen for longer than the gap by then. */
  private closeUnseenSince(time: UnixNanos): void {
    for (const [deviceId, trip] of this.open) {
      if (trip.last >= time) return;
      this.close(trip);
      this.open.delete(deviceId);
    }
  }

  private close(trip: OpenTrip): void {
    if (!trip.moved) {
      this.singleDetectorTrips += 1;
      return;
    }
    const cell = trip.origin * this.detectorIds.length + trip.lastDetector;
    const seconds = nanosToSeconds(trip.last - trip.start);
    const ofCell = this.durations.get(cell);
    if (ofCell === undefined) this.durations.set(cell, [seconds]);
    else ofCell.push(seconds);
  }
}

/**
 * The origin–destination matrix of `sightings` (any order) at `detectorIds`; see
 * `TripCounter` for what a trip is.
 */
export function originDestination(
  sightings: Iterable<Sighting>,
  detectorIds: readonly DetectorId[],
  tripGapSeconds = DEFAULT_TRIP_GAP_SECONDS,
): OriginDestinationMatrix {
  const counter = new TripCounter(detectorIds, tripGapSeconds);
  const ordered = [...sightings].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  for (const sighting of ordered) counter.add(sighting);
  return counter.matrix();
}

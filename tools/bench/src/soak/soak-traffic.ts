import type { collector } from '@message-bus/proto';

const DEVICE_KINDS = ['wifi', 'bluetooth', 'mobile'] as const;
const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * The soak's traffic: a corridor of linked detectors at a realistic density, so the
 * travel-time worker matches real trips, and the rest of the rate spread over bulk
 * detectors nobody links (ingest load only). Sightings carry the time they are sent.
 */
export interface SoakTrafficSpec {
  /** Detector ids are `<detectorPrefix>-d<index>` (corridor) and `<detectorPrefix>-b<index>` (bulk). */
  readonly detectorPrefix: string;
  /** Detectors in the corridor, each linked from the one before; e.g. `21` (20 links). */
  readonly corridorDetectors: number;
  /** Sightings per second at each corridor detector; e.g. `2.8` (10,000 an hour, a busy road). */
  readonly corridorSightingsPerDetectorPerSecond: number;
  /** How long a vehicle takes from one corridor detector to the next, roughly; e.g. `30`. */
  readonly secondsBetweenDetectors: number;
  /** Bulk detectors the other logs go round; e.g. `100`. */
  readonly bulkDetectors: number;
}

/** How a paced run's logs split between corridor and bulk, for a rate. */
export interface SoakSchedule {
  /** Every this many logs, one is a corridor log; `Infinity` sends bulk logs only (unpaced runs). */
  readonly corridorEvery: number;
  /** Rounds of corridor logs (one per detector) between a vehicle's sightings at consecutive detectors. */
  readonly roundsBetweenDetectors: number;
}

export function soakSchedule(
  spec: SoakTrafficSpec,
  sightingsPerLog: number,
  sightingsPerSecond: number | undefined,
): SoakSchedule {
  if (sightingsPerSecond === undefined) return { corridorEvery: Infinity, roundsBetweenDetectors: 1 };
  const corridorRate = spec.corridorDetectors * spec.corridorSightingsPerDetectorPerSecond;
  const corridorEvery = Math.max(1, Math.round(sightingsPerSecond / corridorRate));
  const roundsPerSecond = sightingsPerSecond / corridorEvery / sightingsPerLog / spec.corridorDetectors;
  return {
    corridorEvery,
    roundsBetweenDetectors: Math.max(1, Math.round(spec.secondsBetweenDetectors * roundsPerSecond)),
  };
}

export function corridorDetectorId(spec: SoakTrafficSpec, index: number): string {
  return `${spec.detectorPrefix}-d${String(index).padStart(3, '0')}`;
}

/** Each corridor detector linked from the one before it: `corridorDetectors − 1` links for the worker. */
export function corridorLinks(spec: SoakTrafficSpec, maxSeconds: number): collector.DetectorLink[] {
  return Array.from({ length: spec.corridorDetectors - 1 }, (_, index) => ({
    destDetectorId: corridorDetectorId(spec, index + 1),
    srcDetectors: [
      { detectorId: corridorDetectorId(spec, index), maxSeconds: BigInt(maxSeconds), minSeconds: 0n },
    ],
  }));
}

/**
 * Log `index` of the run, sent at `nowNanos`. A corridor log at detector j carries the
 * vehicles whose log at detector 0 went out j × `roundsBetweenDetectors` rounds
 * earlier, so at a steady pace each vehicle reaches the next detector a steady time
 * later. Every sighting has its own (detector, device), so each is stored under its own key.
 */
export function soakLogAt(
  spec: SoakTrafficSpec,
  schedule: SoakSchedule,
  sightingsPerLog: number,
  index: number,
  nowNanos: bigint,
): collector.EventLog {
  if (index % schedule.corridorEvery === 0) {
    const corridorIndex = index / schedule.corridorEvery;
    const detector = corridorIndex % spec.corridorDetectors;
    const round = Math.floor(corridorIndex / spec.corridorDetectors);
    const firstVehicle = (round - detector * schedule.roundsBetweenDetectors) * sightingsPerLog;
    // A vehicle keeps its radio (device kind) from detector to detector: its pseudonym depends on it.
    return logOf(corridorDetectorId(spec, detector), sightingsPerLog, nowNanos, (offset) => {
      const vehicle = firstVehicle + offset;
      return { kind: DEVICE_KINDS[((vehicle % 3) + 3) % 3]!, id: `soak-vehicle-${vehicle}` };
    });
  }
  const bulkDetector = `${spec.detectorPrefix}-b${String(index % spec.bulkDetectors).padStart(3, '0')}`;
  return logOf(bulkDetector, sightingsPerLog, nowNanos, (offset) => ({
    kind: DEVICE_KINDS[offset % 3]!,
    id: `soak-bulk-${index}-${offset}`,
  }));
}

function logOf(
  detectorId: string,
  sightings: number,
  nowNanos: bigint,
  deviceAt: (offset: number) => { readonly kind: (typeof DEVICE_KINDS)[number]; readonly id: string },
): collector.EventLog {
  const time = { seconds: nowNanos / NANOS_PER_SECOND, nanos: Number(nowNanos % NANOS_PER_SECOND) };
  return {
    loc: { detectorId, latitude: 5_220_000n, longitude: 2_100_000n },
    events: Array.from({ length: sightings }, (_, offset) => {
      const device = deviceAt(offset);
      return { time: [time], deviceId: { $case: device.kind, value: device.id } };
    }),
  };
}

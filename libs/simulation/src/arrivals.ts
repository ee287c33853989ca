import { NANOS_PER_SECOND, type DetectorId, type UnixNanos } from '@message-bus/domain';
import { checkNumber } from './number-rules';

/** Sightings that reach the collector together. */
export interface Arrival<T> {
  /** When they arrive. */
  readonly at: UnixNanos;
  /** In time order. */
  readonly sightings: readonly T[];
}

/** A detector that buffers its sightings and uploads them late, as loggers on cellular links do. */
export interface LateUploads {
  readonly detectorId: DetectorId;
  /** It uploads every this many seconds (on multiples of it in unix time) what it saw since; e.g. 7200. */
  readonly uploadEverySeconds: number;
}

export interface ArrivalPlan {
  /** Detectors online send what they saw every this many seconds, e.g. 10 (the default). */
  readonly batchSeconds?: number;
  /** Detectors that upload late instead. */
  readonly lateUploads?: readonly LateUploads[];
}

/**
 * When simulated sightings reach the collector: a detector online sends what it saw in
 * each `batchSeconds` at the batch's end; a late-uploading detector at its next upload.
 * Grouped by arrival time, oldest arrival first. Pure: the same input gives the same plan.
 */
export function arrivals<T extends { readonly detectorId: DetectorId; readonly time: UnixNanos }>(
  sightings: readonly T[],
  plan: ArrivalPlan = {},
): Arrival<T>[] {
  const batch = periodNanos(plan.batchSeconds ?? 10, 'batchSeconds');
  const uploadPeriod = new Map(
    (plan.lateUploads ?? []).map(({ detectorId, uploadEverySeconds }) => [
      detectorId,
      periodNanos(uploadEverySeconds, 'uploadEverySeconds'),
    ]),
  );
  const byArrival = new Map<UnixNanos, T[]>();
  for (const sighting of sightings) {
    const at = nextMultiple(sighting.time, uploadPeriod.get(sighting.detectorId) ?? batch);
    const group = byArrival.get(at);
    if (group === undefined) byArrival.set(at, [sighting]);
    else group.push(sighting);
  }
  return [...byArrival]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([at, group]) => ({
      at,
      sightings: group.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)),
    }));
}

/**
 * A past span imported after the fact (`mbcli import` of yesterday): every sighting
 * arrives at `at`, in batches of `batchSize` in time order, as an import sends them.
 */
export function importedAt<T extends { readonly time: UnixNanos }>(
  sightings: readonly T[],
  at: UnixNanos,
  batchSize: number,
): Arrival<T>[] {
  checkNumber(batchSize, 'batchSize', WHOLE_POSITIVE, 'a whole number of sightings ≥ 1');
  const ordered = [...sightings].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const batches: Arrival<T>[] = [];
  for (let start = 0; start < ordered.length; start += batchSize) {
    batches.push({ at, sightings: ordered.slice(start, start + batchSize) });
  }
  return batches;
}

const WHOLE_POSITIVE = { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true } as const;

/** The first multiple of `period` at or after `time`. */
function nextMultiple(time: UnixNanos, period: bigint): UnixNanos {
  const remainder = time % period;
  return remainder === 0n ? time : time - remainder + period;
}

function periodNanos(seconds: number, field: string): bigint {
  checkNumber(seconds, field, WHOLE_POSITIVE, 'a whole number of seconds ≥ 1');
  return BigInt(seconds) * NANOS_PER_SECOND;
}

import type { collector } from '@message-bus/proto';

/** Sightings one detector gets in the hour: a busy road's detector, and the GetEvents detector-hour. */
export const SIGHTINGS_PER_DETECTOR_HOUR = 10_000;

const NANOS_PER_SECOND = 1_000_000_000;
const SECONDS_PER_HOUR = 3600;
const DEVICE_KINDS = ['wifi', 'bluetooth', 'mobile'] as const;

/**
 * What one ingest run sends, as plain data (it crosses the IPC channel to the load
 * generator): `sightings` sightings in logs of `sightingsPerLog`, each detector getting
 * up to `SIGHTINGS_PER_DETECTOR_HOUR` of them spread evenly over one hour, as
 * `EventWorkload` spreads the raw baselines' events. Every sighting has its own
 * (detector, device, time), so each is stored under its own key.
 */
export interface SightingPlan {
  /** Detector ids are `<detectorPrefix>-p<part>`; e.g. `e2e-u0001c064-r03` (the same length for every shape). */
  readonly detectorPrefix: string;
  readonly sightings: number;
  /** Divides `SIGHTINGS_PER_DETECTOR_HOUR`, so a log never spans two detectors; e.g. `100`. */
  readonly sightingsPerLog: number;
  /** Unix seconds of the hour every sighting falls in. */
  readonly hourStartSeconds: number;
}

/** The hour before the current one: recent enough for retention, never ahead of the server's clock. */
export function previousHourStartSeconds(now: Date = new Date()): number {
  return (Math.floor(now.getTime() / 1000 / SECONDS_PER_HOUR) - 1) * SECONDS_PER_HOUR;
}

export function detectorIdOf(plan: Pick<SightingPlan, 'detectorPrefix'>, part: number): string {
  return `${plan.detectorPrefix}-p${String(part).padStart(3, '0')}`;
}

export function logCount(plan: SightingPlan): number {
  checkPlan(plan);
  return Math.ceil(plan.sightings / plan.sightingsPerLog);
}

/** Log `index` of the plan: built when sent, so a run of a million sightings never holds them all. */
export function eventLogAt(plan: SightingPlan, index: number): collector.EventLog {
  const first = index * plan.sightingsPerLog;
  const count = Math.min(plan.sightingsPerLog, plan.sightings - first);
  const part = Math.floor(first / SIGHTINGS_PER_DETECTOR_HOUR);
  const stepNanos = (SECONDS_PER_HOUR * NANOS_PER_SECOND) / SIGHTINGS_PER_DETECTOR_HOUR;
  const events: collector.DetectionEvent[] = [];
  for (let offset = 0; offset < count; offset += 1) {
    const slot = (first + offset) % SIGHTINGS_PER_DETECTOR_HOUR;
    // A few odd nanoseconds, so times are not all round milliseconds.
    const nanosIntoHour = slot * stepNanos + ((slot * 7919) % 1_000_000);
    events.push({
      time: [
        {
          seconds: BigInt(plan.hourStartSeconds + Math.floor(nanosIntoHour / NANOS_PER_SECOND)),
          nanos: nanosIntoHour % NANOS_PER_SECOND,
        },
      ],
      deviceId: { $case: DEVICE_KINDS[slot % DEVICE_KINDS.length]!, value: rawDeviceId(slot) },
    });
  }
  return {
    loc: { detectorId: detectorIdOf(plan, part), latitude: 5_220_000n, longitude: 2_100_000n },
    events,
  };
}

/** A MAC-shaped raw id; the collector stores only its pseudonym. */
function rawDeviceId(slot: number): string {
  const hex = slot.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

function checkPlan(plan: SightingPlan): void {
  if (SIGHTINGS_PER_DETECTOR_HOUR % plan.sightingsPerLog !== 0) {
    throw new Error(
      `sightingsPerLog ${plan.sightingsPerLog} must divide ${SIGHTINGS_PER_DETECTOR_HOUR}, so a log never spans two detectors`,
    );
  }
}

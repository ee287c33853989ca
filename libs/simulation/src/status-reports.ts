import {
  DEVICE_KINDS,
  NANOS_PER_SECOND,
  type DetectorId,
  type DetectorStatus,
  type DeviceKind,
  type UnixNanos,
} from '@message-bus/domain';
import { silentAt } from './disruption-truth';
import { validateDisruptions, type BatteryDrain, type Disruptions } from './disruptions';
import { checkNumber } from './number-rules';
import { Random } from './random';
import { SECONDS_PER_DAY, validateScenario, type Scenario } from './scenario';
import type { SimulatedSighting } from './simulate';
import { floorDiv, modulo } from './timeline';

/** A healthy 12 V lead-acid pack on a solar panel: its mean reading. */
export const NOMINAL_BATTERY_VOLTS = 12.9;
/** The daily swing of a healthy battery around the nominal: highest mid-afternoon, lowest before dawn. */
export const DAILY_BATTERY_SWING_VOLTS = 0.15;
/** The reading's noise (a normal sigma). */
export const BATTERY_NOISE_VOLTS = 0.02;

export interface StatusReportOptions {
  /** Seeds the voltage noise only; the same seed gives the same reports. */
  readonly seed: number;
  readonly start: UnixNanos;
  readonly durationSeconds: number;
  /** Every detector reports at each multiple of this (unix time) in the span, e.g. 300. */
  readonly everySeconds: number;
  /** Outages silence reports; battery drains lower the voltage. */
  readonly disruptions?: Disruptions;
}

/**
 * The status reports the scenario's detectors send over a span: the battery voltage
 * (`batteryVoltsAt` plus noise), every radio active, and the distinct devices each
 * radio saw since the previous report (counted from `sightings`). A detector in an
 * outage sends nothing. Report times are true times. Sorted by time, then detector.
 */
export function statusReports(
  scenario: Scenario,
  sightings: readonly SimulatedSighting[],
  options: StatusReportOptions,
): DetectorStatus[] {
  validateScenario(scenario);
  const disruptions = options.disruptions ?? {};
  validateDisruptions(scenario, disruptions);
  const durationSeconds = checkNumber(
    options.durationSeconds,
    'durationSeconds',
    { min: 0, minExclusive: true, max: 366 * SECONDS_PER_DAY },
    'a span lasts more than 0 and at most 366 days',
  );
  const everySeconds = checkNumber(
    options.everySeconds,
    'everySeconds',
    { min: 1, max: SECONDS_PER_DAY, integer: true },
    'a detector reports every 1 to 86400 whole seconds',
  );
  const random = new Random(options.seed);
  const period = BigInt(everySeconds) * NANOS_PER_SECOND;
  const end = options.start + BigInt(Math.round(durationSeconds * 1e9));
  const first = floorDiv(options.start + period - 1n, period) * period;
  const byDetector = new Map<DetectorId, SimulatedSighting[]>();
  for (const sighting of sightings) {
    const list = byDetector.get(sighting.detectorId) ?? [];
    list.push(sighting);
    byDetector.set(sighting.detectorId, list);
  }
  const next = new Map<DetectorId, number>();
  const reports: DetectorStatus[] = [];
  for (let time = first; time < end; time += period) {
    for (const { id } of scenario.detectors) {
      const noise = BATTERY_NOISE_VOLTS * random.normal();
      const seen = byDetector.get(id) ?? [];
      let index = next.get(id) ?? 0;
      const devices = new Map<DeviceKind, Set<string>>(DEVICE_KINDS.map((kind) => [kind, new Set()]));
      for (; index < seen.length && (seen[index] as SimulatedSighting).time <= time; index += 1) {
        const sighting = seen[index] as SimulatedSighting;
        if (sighting.time > time - period) devices.get(sighting.kind)?.add(sighting.rawDeviceId);
      }
      next.set(id, index);
      if (silentAt(disruptions, id, time)) continue;
      reports.push({
        detectorId: id,
        time,
        batteryVoltage: Math.round((batteryVoltsAt(disruptions, id, time) + noise) * 1000) / 1000,
        activeRadios: DEVICE_KINDS,
        detectionCounts: Object.fromEntries(
          DEVICE_KINDS.map((kind) => [kind, BigInt(devices.get(kind)?.size ?? 0)]),
        ),
      });
    }
  }
  return reports;
}

/**
 * The true (noiseless) battery voltage of a detector at `at`: the nominal with its daily
 * swing, until a drain begins; from then on the voltage at the drain's start falling at
 * its rate (the panel no longer charges it).
 */
export function batteryVoltsAt(disruptions: Disruptions, detectorId: DetectorId, at: UnixNanos): number {
  const drain = (disruptions.batteryDrains ?? []).find(
    (candidate) => candidate.detectorId === detectorId && at >= candidate.from,
  );
  if (drain === undefined) return healthyVolts(at);
  return healthyVolts(drain.from) - drain.voltsPerDay * daysBetween(drain.from, at);
}

/** When the drained battery's true voltage falls to `thresholdVolts` (at once when it starts below). */
export function batteryLowAt(drain: BatteryDrain, thresholdVolts: number): UnixNanos {
  const excess = Math.max(0, healthyVolts(drain.from) - thresholdVolts);
  return drain.from + BigInt(Math.ceil((excess / drain.voltsPerDay) * SECONDS_PER_DAY * 1e9));
}

function healthyVolts(at: UnixNanos): number {
  const secondOfDay = modulo(
    Number(at % (BigInt(SECONDS_PER_DAY) * NANOS_PER_SECOND)) / 1e9,
    SECONDS_PER_DAY,
  );
  // Lowest at 03:00 UTC, highest at 15:00 UTC.
  return (
    NOMINAL_BATTERY_VOLTS -
    DAILY_BATTERY_SWING_VOLTS * Math.cos((2 * Math.PI * (secondOfDay - 3 * 3600)) / SECONDS_PER_DAY)
  );
}

function daysBetween(from: UnixNanos, to: UnixNanos): number {
  return Number(to - from) / 1e9 / SECONDS_PER_DAY;
}

import { coordinatesFromFixed } from './coordinates';
import { parseDetectorId, type DetectorId } from './ids/detector-id';
import { parseDeviceKind, type DeviceKind } from './ids/device';
import { quoteForMessage } from './text';
import { checkNotBeforeEarliest, parseEventTime, type EventTimeBounds, type UnixNanos } from './time';
import { ValidationError } from './validation-error';

/** A detector's health report at `time`. */
export interface DetectorStatus {
  readonly detectorId: DetectorId;
  readonly time: UnixNanos;
  /** Volts; finite and within a plausible range for detector hardware. */
  readonly batteryVoltage: number;
  /** The radios that are working, without duplicates. */
  readonly activeRadios: readonly DeviceKind[];
  /** Devices counted per radio since the previous report; never negative. */
  readonly detectionCounts: Readonly<Partial<Record<DeviceKind, bigint>>>;
}

/**
 * The highest plausible battery voltage. Detectors run on 12 V or 24 V lead-acid or
 * lithium packs (a 24 V pack charges at up to about 29 V); nothing in the field
 * exceeds 60 V, the safety-extra-low-voltage limit, so a larger value is a fault.
 */
export const MAX_BATTERY_VOLTAGE = 60;

const INT64_MAX = 2n ** 63n - 1n;

export interface DetectorStatusInput {
  readonly detectorId: string;
  readonly time: UnixNanos;
  readonly batteryVoltage: number;
  /** DEVICE enum numbers or names (see `parseDeviceKind`). */
  readonly activeRadios: readonly (number | string)[];
  /**
   * Counts keyed by DEVICE enum number 1..3, as a Map or as the plain object ts-proto
   * makes of `map<int32, int64>` (whose keys are decimal strings at runtime).
   */
  readonly detectionCounts: ReadonlyMap<number, bigint | number> | Readonly<Record<string, bigint | number>>;
  /**
   * Where the detector reports from, in the wire's fixed point (1 = 1e-5°), checked as
   * CreateCoordinates checks it (`coordinatesFromFixed`). Only checked, not kept: the
   * position of record is the one CreateCoordinates stores. Omitted, nothing is checked.
   */
  readonly latitude?: number | bigint;
  readonly longitude?: number | bigint;
}

/** Names of the input's fields in errors; defaults are the property names. */
export interface DetectorStatusFields {
  readonly detectorId?: string;
  readonly time?: string;
  readonly batteryVoltage?: string;
  readonly activeRadios?: string;
  readonly detectionCounts?: string;
  readonly latitude?: string;
  readonly longitude?: string;
}

export interface DetectorStatusOptions {
  /** Error field names, e.g. `{ detectorId: 'loc.detector_id', activeRadios: 'active_detectors' }`. */
  readonly fields?: DetectorStatusFields;
  /**
   * When given, `time` must also be at most `maxAheadSeconds` after `now`
   * (`parseEventTime`); without it only the lower bound, 2000-01-01, applies.
   */
  readonly timeBounds?: EventTimeBounds;
}

/** Validates a status report; every rule names its field, a count or radio by its index or key. */
export function parseDetectorStatus(
  input: DetectorStatusInput,
  options: DetectorStatusOptions = {},
): DetectorStatus {
  const fields = options.fields ?? {};
  const detectorId = parseDetectorId(input.detectorId, fields.detectorId ?? 'detectorId');
  const timeField = fields.time ?? 'time';
  if (options.timeBounds === undefined) checkNotBeforeEarliest(input.time, timeField);
  else parseEventTime(input.time, options.timeBounds, timeField);
  coordinatesFromFixed(input.latitude ?? 0, input.longitude ?? 0, {
    latitude: fields.latitude ?? 'latitude',
    longitude: fields.longitude ?? 'longitude',
  });
  return {
    detectorId,
    time: input.time,
    batteryVoltage: parseBatteryVoltage(input.batteryVoltage, fields.batteryVoltage ?? 'batteryVoltage'),
    activeRadios: parseActiveRadios(input.activeRadios, fields.activeRadios ?? 'activeRadios'),
    detectionCounts: parseDetectionCounts(input.detectionCounts, fields.detectionCounts ?? 'detectionCounts'),
  };
}

function parseBatteryVoltage(volts: number, field: string): number {
  if (!Number.isFinite(volts)) {
    throw new ValidationError(
      'not_finite',
      field,
      `is ${volts}; expected volts between 0 and ${MAX_BATTERY_VOLTAGE}`,
    );
  }
  if (volts < 0 || volts > MAX_BATTERY_VOLTAGE) {
    throw new ValidationError(
      'out_of_range',
      field,
      `is ${volts} V; a detector battery reads between 0 and ${MAX_BATTERY_VOLTAGE} V`,
    );
  }
  return volts;
}

function parseActiveRadios(radios: readonly (number | string)[], field: string): DeviceKind[] {
  const firstIndexOf = new Map<DeviceKind, number>();
  radios.forEach((radio, index) => {
    const kind = parseDeviceKind(radio, `${field}[${index}]`);
    const earlier = firstIndexOf.get(kind);
    if (earlier !== undefined) {
      throw new ValidationError(
        'duplicate',
        `${field}[${index}]`,
        `repeats ${kind}, already listed at ${field}[${earlier}]`,
      );
    }
    firstIndexOf.set(kind, index);
  });
  return [...firstIndexOf.keys()];
}

function parseDetectionCounts(
  counts: DetectorStatusInput['detectionCounts'],
  field: string,
): Partial<Record<DeviceKind, bigint>> {
  const entries: [number | string, bigint | number][] =
    counts instanceof Map ? [...counts.entries()] : Object.entries(counts);
  const result: Partial<Record<DeviceKind, bigint>> = {};
  for (const [key, count] of entries) {
    // Object keys are strings: "2" means DEVICE 2, anything else ("02", "wifi") is no enum number.
    const wireNumber =
      typeof key === 'number' ? key : /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : undefined;
    if (wireNumber === undefined) {
      throw new ValidationError(
        'unknown_value',
        `${field}[${quoteForMessage(String(key))}]`,
        'is not keyed by a DEVICE number; expected MOBILE (1), WIFI (2) or BLUETOOTH (3)',
      );
    }
    const countField = `${field}[${wireNumber}]`;
    const kind = parseDeviceKind(wireNumber, countField);
    result[kind] = parseCount(count, countField);
  }
  return result;
}

function parseCount(count: bigint | number, field: string): bigint {
  if (typeof count === 'number') {
    if (!Number.isFinite(count)) {
      throw new ValidationError('not_finite', field, `is ${count}; expected a count`);
    }
    if (!Number.isInteger(count)) {
      throw new ValidationError('not_integer', field, `is ${count}, not a whole number`);
    }
  }
  const value = BigInt(count);
  if (value < 0n || value > INT64_MAX) {
    throw new ValidationError('out_of_range', field, `is ${value}; a count is 0 to ${INT64_MAX}`);
  }
  return value;
}

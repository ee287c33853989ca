import { describe, expect, it } from 'vitest';
import { expectRejection } from '../test/expect-rejection';
import { parseDetectorStatus, type DetectorStatusInput } from './detector-status';

const TIME = 1_764_470_000_000_000_000n; // 2025-11-30T02:33:20Z
const VALID: DetectorStatusInput = {
  detectorId: 'det-1',
  time: TIME,
  batteryVoltage: 12.6,
  activeRadios: [2, 'bluetooth'],
  detectionCounts: new Map<number, bigint | number>([
    [1, 0n],
    [2, 12_345n],
    [3, 7],
  ]),
};
const WIRE_FIELDS = {
  detectorId: 'loc.detector_id',
  time: 'time',
  batteryVoltage: 'battery_voltage',
  activeRadios: 'active_detectors',
  detectionCounts: 'detection_count',
};
const KINDS = 'expected MOBILE (1), WIFI (2) or BLUETOOTH (3)';

function withInput(changes: Partial<DetectorStatusInput>) {
  return () => parseDetectorStatus({ ...VALID, ...changes }, { fields: WIRE_FIELDS });
}

describe('parseDetectorStatus', () => {
  it('accepts a report, mapping radios and count keys to kinds', () => {
    expect(parseDetectorStatus(VALID)).toEqual({
      detectorId: 'det-1',
      time: TIME,
      batteryVoltage: 12.6,
      activeRadios: ['wifi', 'bluetooth'],
      detectionCounts: { mobile: 0n, wifi: 12_345n, bluetooth: 7n },
    });
  });

  it("reads counts from ts-proto's plain object, whose keys are strings", () => {
    const status = parseDetectorStatus({ ...VALID, detectionCounts: { '2': 5n, '3': 0 } });
    expect(status.detectionCounts).toEqual({ wifi: 5n, bluetooth: 0n });
  });

  it('accepts no radios and no counts (every radio down), and voltages at both limits', () => {
    const status = parseDetectorStatus({
      ...VALID,
      activeRadios: [],
      detectionCounts: {},
      batteryVoltage: 0,
    });
    expect(status.activeRadios).toEqual([]);
    expect(status.detectionCounts).toEqual({});
    expect(parseDetectorStatus({ ...VALID, batteryVoltage: 60 }).batteryVoltage).toBe(60);
  });

  it('validates the detector id', () => {
    expectRejection(
      withInput({ detectorId: '' }),
      'empty',
      'loc.detector_id',
      'is empty; an id has 1 to 64 characters',
    );
  });

  it('rejects a time before 2000, and one too far ahead when bounds are given', () => {
    expectRejection(
      withInput({ time: 0n }),
      'out_of_range',
      'time',
      '1970-01-01T00:00:00.000000000Z is before 2000-01-01T00:00:00Z, the earliest accepted time',
    );
    expectRejection(
      () => parseDetectorStatus(VALID, { timeBounds: { now: TIME - 61_000_000_000n, maxAheadSeconds: 60 } }),
      'out_of_range',
      'time',
      '2025-11-30T02:33:20.000000000Z is 61 s ahead of now (2025-11-30T02:32:19.000000000Z); ' +
        'at most 60 s is accepted',
    );
  });

  it('checks the latitude and longitude as CreateCoordinates does, naming the field', () => {
    expect(parseDetectorStatus({ ...VALID, latitude: 9_000_000n, longitude: -18_000_000n }).detectorId).toBe(
      'det-1',
    );
    expectRejection(
      () =>
        parseDetectorStatus(
          { ...VALID, latitude: 9_000_001n, longitude: 0n },
          { fields: { latitude: 'loc.latitude', longitude: 'loc.longitude' } },
        ),
      'out_of_range',
      'loc.latitude',
      'is 9000001 units of 1e-5°; latitude must be within ±9000000 (±90°)',
    );
    expectRejection(
      () => parseDetectorStatus({ ...VALID, latitude: 0n, longitude: 2n ** 63n - 1n }),
      'out_of_range',
      'longitude',
      'is 9223372036854775807 units of 1e-5°; longitude must be within ±18000000 (±180°)',
    );
  });

  it('rejects a voltage that is not finite or outside 0..60 V', () => {
    expectRejection(
      withInput({ batteryVoltage: Number.NaN }),
      'not_finite',
      'battery_voltage',
      'is NaN; expected volts between 0 and 60',
    );
    expectRejection(
      withInput({ batteryVoltage: Number.NEGATIVE_INFINITY }),
      'not_finite',
      'battery_voltage',
      'is -Infinity; expected volts between 0 and 60',
    );
    expectRejection(
      withInput({ batteryVoltage: -0.1 }),
      'out_of_range',
      'battery_voltage',
      'is -0.1 V; a detector battery reads between 0 and 60 V',
    );
    expectRejection(
      withInput({ batteryVoltage: 60.01 }),
      'out_of_range',
      'battery_voltage',
      'is 60.01 V; a detector battery reads between 0 and 60 V',
    );
  });

  it('rejects DEVICE_UNKNOWN, unknown and duplicate radios, naming the index', () => {
    expectRejection(
      withInput({ activeRadios: [2, 0] }),
      'unknown_value',
      'active_detectors[1]',
      `is DEVICE_UNKNOWN (0); ${KINDS}`,
    );
    expectRejection(
      withInput({ activeRadios: [9] }),
      'unknown_value',
      'active_detectors[0]',
      `is 9, not a device kind; ${KINDS}`,
    );
    expectRejection(
      withInput({ activeRadios: [2, 1, 'wifi'] }),
      'duplicate',
      'active_detectors[2]',
      'repeats wifi, already listed at active_detectors[0]',
    );
  });

  it('rejects counts keyed outside 1..3, naming the key', () => {
    expectRejection(
      withInput({ detectionCounts: new Map([[0, 1n]]) }),
      'unknown_value',
      'detection_count[0]',
      `is DEVICE_UNKNOWN (0); ${KINDS}`,
    );
    expectRejection(
      withInput({ detectionCounts: { '4': 1n } }),
      'unknown_value',
      'detection_count[4]',
      `is 4, not a device kind; ${KINDS}`,
    );
    expectRejection(
      withInput({ detectionCounts: { '02': 1n } }),
      'unknown_value',
      'detection_count["02"]',
      `is not keyed by a DEVICE number; ${KINDS}`,
    );
    expectRejection(
      withInput({ detectionCounts: { wifi: 1n } }),
      'unknown_value',
      'detection_count["wifi"]',
      `is not keyed by a DEVICE number; ${KINDS}`,
    );
  });

  it('rejects negative, fractional, non-finite and beyond-int64 counts', () => {
    const rule = 'a count is 0 to 9223372036854775807';
    expectRejection(
      withInput({ detectionCounts: { '2': -1n } }),
      'out_of_range',
      'detection_count[2]',
      `is -1; ${rule}`,
    );
    expectRejection(
      withInput({ detectionCounts: new Map([[3, 2n ** 63n]]) }),
      'out_of_range',
      'detection_count[3]',
      `is 9223372036854775808; ${rule}`,
    );
    expectRejection(
      withInput({ detectionCounts: { '1': 2.5 } }),
      'not_integer',
      'detection_count[1]',
      'is 2.5, not a whole number',
    );
    expectRejection(
      withInput({ detectionCounts: { '1': Number.POSITIVE_INFINITY } }),
      'not_finite',
      'detection_count[1]',
      'is Infinity; expected a count',
    );
  });
});

import type { DetectorId, DetectorStatus } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeStatusValue, encodeStatusValue } from './status-value';

const status: DetectorStatus = {
  detectorId: 'det-1' as DetectorId,
  time: 1563691800139778436n,
  batteryVoltage: 12.6,
  activeRadios: ['wifi', 'bluetooth'],
  detectionCounts: { wifi: 9007199254740993n, bluetooth: 7n },
};
const key = { detectorId: status.detectorId, time: status.time };

describe('status value', () => {
  it('writes JSON with exact decimal nanoseconds and counts (golden)', () => {
    expect(Buffer.from(encodeStatusValue(status)).toString()).toBe(
      '{"time":"1563691800139778436","battery_voltage":12.6,"active_radios":["wifi","bluetooth"],' +
        '"detection_counts":{"wifi":"9007199254740993","bluetooth":"7"}}',
    );
  });

  it('round-trips a report exactly', () => {
    expect(decodeStatusValue(encodeStatusValue(status), key)).toEqual({ ok: true, value: status });
  });

  it('refuses what JSON cannot carry exactly, naming the field', () => {
    expect(() => encodeStatusValue({ ...status, batteryVoltage: Number.NaN })).toThrow(
      new StoreInvalidArgumentError('batteryVoltage: NaN is not a finite number'),
    );
    expect(() => encodeStatusValue({ ...status, activeRadios: ['radio' as never] })).toThrow(
      new StoreInvalidArgumentError('activeRadios[0]: "radio" is not one of wifi, bluetooth, mobile'),
    );
    expect(() => encodeStatusValue({ ...status, detectionCounts: { wifi: 5 as never } })).toThrow(
      new StoreInvalidArgumentError('detectionCounts.wifi: 5 is not a count (a bigint ≥ 0)'),
    );
  });

  it('rejects a value whose time disagrees with its key', () => {
    expect(decodeStatusValue(encodeStatusValue(status), { ...key, time: 1n })).toEqual({
      ok: false,
      reason: "value's time 1563691800139778436 differs from the key's 1",
    });
  });

  it('rejects malformed members with a reason', () => {
    const bad = Buffer.from(
      '{"time":"1","battery_voltage":12,"active_radios":["wifi"],"detection_counts":{"wifi":-1}}',
    );
    expect(decodeStatusValue(bad, { ...key, time: 1n })).toEqual({
      ok: false,
      reason: 'value\'s detection_counts has "wifi": -1, not a radio and a decimal count',
    });
  });
});

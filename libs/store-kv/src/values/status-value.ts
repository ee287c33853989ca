import { DEVICE_KINDS, type DetectorStatus, type DeviceKind } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { checkFiniteNumber, nanosMember } from './json-fields';
import { parseValueObject, utf8Bytes } from './json-object';
import type { StatusKeyParts } from '../keys/keyspace';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of a status key: JSON such as
 * `{"time":"1563691800139778436","battery_voltage":12.6,"active_radios":["wifi","bluetooth"],"detection_counts":{"wifi":"42"}}`.
 * Nanoseconds and counts (int64 on the wire) are decimal strings, so they stay exact.
 * `time` repeats the key's time, so the value reads on its own too; the two must agree.
 */

const COUNT_TEXT = /^[0-9]{1,19}$/;

export function encodeStatusValue(status: DetectorStatus): Uint8Array {
  const voltage = checkFiniteNumber(status.batteryVoltage, 'batteryVoltage');
  const radios = status.activeRadios.map((radio, index) => checkKind(radio, `activeRadios[${index}]`));
  const counts: Record<string, string> = {};
  for (const [kind, count] of Object.entries(status.detectionCounts)) {
    const field = `detectionCounts.${kind}`;
    checkKind(kind, field);
    if (typeof count !== 'bigint' || count < 0n) {
      throw new StoreInvalidArgumentError(`${field}: ${String(count)} is not a count (a bigint ≥ 0)`);
    }
    counts[kind] = count.toString();
  }
  return utf8Bytes(
    JSON.stringify({
      time: status.time.toString(),
      battery_voltage: voltage,
      active_radios: radios,
      detection_counts: counts,
    }),
  );
}

export function decodeStatusValue(bytes: Uint8Array, key: StatusKeyParts): Parsed<DetectorStatus> {
  const object = parseValueObject(bytes);
  if (!object.ok) return object;
  const { battery_voltage, active_radios, detection_counts } = object.value;
  const valueTime = nanosMember(object.value, 'time');
  if (!valueTime.ok) return valueTime;
  if (valueTime.value !== key.time)
    return reject(`value's time ${valueTime.value} differs from the key's ${key.time}`);
  if (typeof battery_voltage !== 'number') return reject("value's battery_voltage is not a number");
  if (!Array.isArray(active_radios) || !active_radios.every(isKind)) {
    return reject("value's active_radios is not a list of wifi, bluetooth and mobile");
  }
  if (typeof detection_counts !== 'object' || detection_counts === null || Array.isArray(detection_counts)) {
    return reject("value's detection_counts is not an object");
  }
  const counts: Partial<Record<DeviceKind, bigint>> = {};
  for (const [kind, count] of Object.entries(detection_counts)) {
    if (!isKind(kind) || typeof count !== 'string' || !COUNT_TEXT.test(count)) {
      return reject(
        `value's detection_counts has ${JSON.stringify(kind)}: ${JSON.stringify(count)}, not a radio and a decimal count`,
      );
    }
    counts[kind] = BigInt(count);
  }
  return accept({
    detectorId: key.detectorId,
    time: key.time,
    batteryVoltage: battery_voltage,
    activeRadios: active_radios,
    detectionCounts: counts,
  });
}

function isKind(value: unknown): value is DeviceKind {
  return (DEVICE_KINDS as readonly unknown[]).includes(value);
}

function checkKind(value: unknown, field: string): DeviceKind {
  if (!isKind(value)) {
    throw new StoreInvalidArgumentError(
      `${field}: ${JSON.stringify(value)} is not one of ${DEVICE_KINDS.join(', ')}`,
    );
  }
  return value;
}

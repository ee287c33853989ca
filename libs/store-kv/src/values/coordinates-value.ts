import { COORDINATE_UNITS_PER_DEGREE, type Coordinates } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { parseValueObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of a coordinates key: JSON `{"latitude":5232000,"longitude":1320000}`, the
 * wire's fixed-point integers (1 unit = 1e-5 degree), so no rounding ever happens.
 */

const LIMIT_OF = {
  latitude: 90 * COORDINATE_UNITS_PER_DEGREE,
  longitude: 180 * COORDINATE_UNITS_PER_DEGREE,
} as const;

export function encodeCoordinatesValue(coordinates: Coordinates, field = 'coordinates'): Uint8Array {
  for (const axis of ['latitude', 'longitude'] as const) {
    const units = coordinates[axis];
    if (!isWithin(units, LIMIT_OF[axis])) {
      throw new StoreInvalidArgumentError(
        `${field}.${axis}: ${String(units)} is not a whole number of 1e-5 degrees within ±${LIMIT_OF[axis]}`,
      );
    }
  }
  return utf8Bytes(`{"latitude":${coordinates.latitude},"longitude":${coordinates.longitude}}`);
}

export function decodeCoordinatesValue(bytes: Uint8Array): Parsed<Coordinates> {
  const object = parseValueObject(bytes);
  if (!object.ok) return object;
  const { latitude, longitude } = object.value;
  for (const [axis, units] of [
    ['latitude', latitude],
    ['longitude', longitude],
  ] as const) {
    if (!isWithin(units, LIMIT_OF[axis])) {
      return reject(
        `value's ${axis} is missing or not a whole number of 1e-5 degrees within ±${LIMIT_OF[axis]}`,
      );
    }
  }
  return accept({ latitude: latitude as number, longitude: longitude as number });
}

function isWithin(units: unknown, limit: number): units is number {
  return typeof units === 'number' && Number.isInteger(units) && Math.abs(units) <= limit;
}

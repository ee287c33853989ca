import { integerInRange } from './integer';
import { ValidationError } from './validation-error';

/**
 * A position in fixed point, as on the wire: 1 unit = 1e-5 degrees (about 1.1 m).
 * Latitude within ±90°, longitude within ±180°.
 */
export interface Coordinates {
  readonly latitude: number;
  readonly longitude: number;
}

/** Fixed-point units per degree on the wire (`collector.Coordinates` int64 fields). */
export const COORDINATE_UNITS_PER_DEGREE = 100_000;

/**
 * The mean Earth radius R1 = (2a + b) / 3 of WGS 84, in metres. A sphere of this
 * radius keeps haversine distances within about 0.5 % of the ellipsoidal ones, far
 * below what a road detector needs for speeds.
 */
export const EARTH_MEAN_RADIUS_METERS = 6_371_008.8;

export interface CoordinateFields {
  readonly latitude?: string;
  readonly longitude?: string;
}

const MAX_LATITUDE_UNITS = 90 * COORDINATE_UNITS_PER_DEGREE;
const MAX_LONGITUDE_UNITS = 180 * COORDINATE_UNITS_PER_DEGREE;

/**
 * Coordinates from the wire's fixed-point integers (int64 arrive as bigint).
 * `fields` renames them in errors, e.g. `{ latitude: 'loc.latitude' }`.
 */
export function coordinatesFromFixed(
  latitude: number | bigint,
  longitude: number | bigint,
  fields: CoordinateFields = {},
): Coordinates {
  const latitudeField = fields.latitude ?? 'latitude';
  const longitudeField = fields.longitude ?? 'longitude';
  return {
    latitude: integerInRange(
      latitude,
      -MAX_LATITUDE_UNITS,
      MAX_LATITUDE_UNITS,
      latitudeField,
      (value) => `is ${value} units of 1e-5°; latitude must be within ±${MAX_LATITUDE_UNITS} (±90°)`,
    ),
    longitude: integerInRange(
      longitude,
      -MAX_LONGITUDE_UNITS,
      MAX_LONGITUDE_UNITS,
      longitudeField,
      (value) => `is ${value} units of 1e-5°; longitude must be within ±${MAX_LONGITUDE_UNITS} (±180°)`,
    ),
  };
}

/** Coordinates from decimal degrees, rounded to the nearest 1e-5° (half away from zero). */
export function coordinatesFromDegrees(
  latitudeDegrees: number,
  longitudeDegrees: number,
  fields: CoordinateFields = {},
): Coordinates {
  return {
    latitude: degreesToUnits(latitudeDegrees, 'latitude', 90, fields.latitude ?? 'latitude'),
    longitude: degreesToUnits(longitudeDegrees, 'longitude', 180, fields.longitude ?? 'longitude'),
  };
}

/** Decimal degrees of fixed-point coordinates (the nearest double, e.g. 52.52 for 5252000). */
export function coordinatesToDegrees(coordinates: Coordinates): { latitude: number; longitude: number } {
  return {
    latitude: coordinates.latitude / COORDINATE_UNITS_PER_DEGREE,
    longitude: coordinates.longitude / COORDINATE_UNITS_PER_DEGREE,
  };
}

/** Great-circle distance in metres (haversine on a sphere of `EARTH_MEAN_RADIUS_METERS`). */
export function distanceMeters(from: Coordinates, to: Coordinates): number {
  const radiansPerUnit = Math.PI / 180 / COORDINATE_UNITS_PER_DEGREE;
  const latitudeFrom = from.latitude * radiansPerUnit;
  const latitudeTo = to.latitude * radiansPerUnit;
  const halfLatitudeDelta = (latitudeTo - latitudeFrom) / 2;
  const halfLongitudeDelta = ((to.longitude - from.longitude) * radiansPerUnit) / 2;
  const haversine =
    Math.sin(halfLatitudeDelta) ** 2 +
    Math.cos(latitudeFrom) * Math.cos(latitudeTo) * Math.sin(halfLongitudeDelta) ** 2;
  // min() guards asin against rounding just above 1 for antipodal points.
  return 2 * EARTH_MEAN_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(haversine)));
}

function degreesToUnits(degrees: number, axis: string, limit: number, field: string): number {
  if (!Number.isFinite(degrees)) {
    throw new ValidationError('not_finite', field, `is ${degrees}; expected decimal degrees`);
  }
  if (degrees < -limit || degrees > limit) {
    throw new ValidationError('out_of_range', field, `is ${degrees}°; ${axis} must be within ±${limit}°`);
  }
  const units = Math.sign(degrees) * Math.round(Math.abs(degrees) * COORDINATE_UNITS_PER_DEGREE);
  // `+ 0` turns -0 (from tiny negative inputs) into 0, so equal positions compare equal.
  return units + 0;
}

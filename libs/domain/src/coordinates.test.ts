import { describe, expect, it } from 'vitest';
import { expectRejection } from '../test/expect-rejection';
import {
  EARTH_MEAN_RADIUS_METERS,
  coordinatesFromDegrees,
  coordinatesFromFixed,
  coordinatesToDegrees,
  distanceMeters,
} from './coordinates';

const LAT_RULE = 'latitude must be within ±9000000 (±90°)';
const LON_RULE = 'longitude must be within ±18000000 (±180°)';

describe('coordinatesFromFixed', () => {
  it('accepts numbers and int64 bigints up to the poles and the antimeridian', () => {
    expect(coordinatesFromFixed(5_252_000, 1_340_500)).toEqual({ latitude: 5_252_000, longitude: 1_340_500 });
    expect(coordinatesFromFixed(9_000_000n, -18_000_000n)).toEqual({
      latitude: 9_000_000,
      longitude: -18_000_000,
    });
    expect(coordinatesFromFixed(-9_000_000, 18_000_000)).toEqual({
      latitude: -9_000_000,
      longitude: 18_000_000,
    });
  });

  it('rejects values beyond ±90° and ±180°, in units and degrees', () => {
    expectRejection(
      () => coordinatesFromFixed(9_000_001, 0),
      'out_of_range',
      'latitude',
      `is 9000001 units of 1e-5°; ${LAT_RULE}`,
    );
    expectRejection(
      () => coordinatesFromFixed(0, -18_000_001n),
      'out_of_range',
      'longitude',
      `is -18000001 units of 1e-5°; ${LON_RULE}`,
    );
    // A huge int64 is compared as a bigint, never rounded into range.
    expectRejection(
      () => coordinatesFromFixed(2n ** 63n - 1n, 0),
      'out_of_range',
      'latitude',
      `is 9223372036854775807 units of 1e-5°; ${LAT_RULE}`,
    );
  });

  it('rejects fractions, NaN and infinities', () => {
    expectRejection(
      () => coordinatesFromFixed(1.5, 0),
      'not_integer',
      'latitude',
      'is 1.5, not a whole number',
    );
    expectRejection(
      () => coordinatesFromFixed(0, Number.NaN),
      'not_finite',
      'longitude',
      'is NaN; expected a whole number',
    );
    expectRejection(
      () => coordinatesFromFixed(Number.POSITIVE_INFINITY, 0),
      'not_finite',
      'latitude',
      'is Infinity; expected a whole number',
    );
  });

  it('names the fields the caller gives', () => {
    expectRejection(
      () => coordinatesFromFixed(0, 18_000_001, { latitude: 'loc.latitude', longitude: 'loc.longitude' }),
      'out_of_range',
      'loc.longitude',
      `is 18000001 units of 1e-5°; ${LON_RULE}`,
    );
  });
});

describe('coordinatesFromDegrees and coordinatesToDegrees', () => {
  it('convert both ways, rounding to the nearest 1e-5°', () => {
    expect(coordinatesFromDegrees(52.52, 13.405)).toEqual({ latitude: 5_252_000, longitude: 1_340_500 });
    expect(coordinatesToDegrees({ latitude: 5_252_000, longitude: 1_340_500 })).toEqual({
      latitude: 52.52,
      longitude: 13.405,
    });
    expect(coordinatesFromDegrees(52.520004, -13.405006)).toEqual({
      latitude: 5_252_000,
      longitude: -1_340_501,
    });
    expect(coordinatesFromDegrees(90, -180)).toEqual({ latitude: 9_000_000, longitude: -18_000_000 });
  });

  it('never yields -0, so equal positions compare equal', () => {
    const nearZero = coordinatesFromDegrees(-0.000001, -0);
    expect(Object.is(nearZero.latitude, 0)).toBe(true);
    expect(Object.is(nearZero.longitude, 0)).toBe(true);
  });

  it('round-trips every fixed value it produces', () => {
    for (const [latitude, longitude] of [
      [1, -1],
      [-8_999_999, 17_999_999],
      [4_885_660, 235_220],
    ] as const) {
      const degrees = coordinatesToDegrees({ latitude, longitude });
      expect(coordinatesFromDegrees(degrees.latitude, degrees.longitude)).toEqual({ latitude, longitude });
    }
  });

  it('rejects degrees out of range or not finite', () => {
    expectRejection(
      () => coordinatesFromDegrees(90.5, 0),
      'out_of_range',
      'latitude',
      'is 90.5°; latitude must be within ±90°',
    );
    expectRejection(
      () => coordinatesFromDegrees(0, -180.00001, { longitude: 'lon' }),
      'out_of_range',
      'lon',
      'is -180.00001°; longitude must be within ±180°',
    );
    expectRejection(
      () => coordinatesFromDegrees(0, Number.POSITIVE_INFINITY),
      'not_finite',
      'longitude',
      'is Infinity; expected decimal degrees',
    );
    expectRejection(
      () => coordinatesFromDegrees(Number.NaN, 0),
      'not_finite',
      'latitude',
      'is NaN; expected decimal degrees',
    );
  });
});

describe('distanceMeters', () => {
  const london = coordinatesFromDegrees(51.5074, -0.1278);
  const paris = coordinatesFromDegrees(48.8566, 2.3522);

  it('gives the published London–Paris great-circle distance (about 343.5 km)', () => {
    expect(distanceMeters(london, paris)).toBeGreaterThan(343_000);
    expect(distanceMeters(london, paris)).toBeLessThan(344_000);
    expect(distanceMeters(paris, london)).toBe(distanceMeters(london, paris));
  });

  it('gives R·π/180 for one degree along a meridian, and zero for one point', () => {
    const oneDegree = distanceMeters(coordinatesFromFixed(0, 0), coordinatesFromFixed(100_000, 0));
    expect(oneDegree).toBeCloseTo((EARTH_MEAN_RADIUS_METERS * Math.PI) / 180, 6);
    expect(oneDegree).toBeCloseTo(111_195.08, 2);
    expect(distanceMeters(london, london)).toBe(0);
  });

  it('gives half the circumference for antipodal points', () => {
    const antipodal = distanceMeters(coordinatesFromDegrees(0, 0), coordinatesFromDegrees(0, 180));
    expect(antipodal).toBeCloseTo(Math.PI * EARTH_MEAN_RADIUS_METERS, 3);
  });
});

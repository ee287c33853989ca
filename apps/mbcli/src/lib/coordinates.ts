import { COORDINATE_UNITS_PER_DEGREE as SCALE } from '@message-bus/domain';
import { InputError } from './input-error';

/** Degrees from a flag as the wire's fixed-point integer, rejecting what no place on Earth has. */
export function degreesToFixed(flag: 'lat' | 'lon', degrees: number): bigint {
  const limit = flag === 'lat' ? 90 : 180;
  if (!Number.isFinite(degrees) || Math.abs(degrees) > limit) {
    throw new InputError(
      `--${flag} ${degrees} is not a ${flag === 'lat' ? 'latitude' : 'longitude'}; give degrees in -${limit}..${limit}`,
    );
  }
  return BigInt(Math.round(degrees * SCALE));
}

export function fixedToDegrees(fixed: bigint): number {
  return Number(fixed) / SCALE;
}

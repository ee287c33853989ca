import { ValidationError } from './validation-error';

// Integer checks shared by the value objects. Internal: not exported from index.ts.

/**
 * Checks that `value` (an int64 arrives as a bigint) is a whole number within
 * [min, max] and returns it as a number. `outOfRange` words the range rule, given
 * the value as text.
 */
export function integerInRange(
  value: number | bigint,
  min: number,
  max: number,
  field: string,
  outOfRange: (valueText: string) => string,
): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ValidationError('not_finite', field, `is ${value}; expected a whole number`);
    }
    if (!Number.isInteger(value)) {
      throw new ValidationError('not_integer', field, `is ${value}, not a whole number`);
    }
  }
  // Compare bigints as bigints: a huge int64 must not be rounded into range first.
  const inRange =
    typeof value === 'bigint' ? value >= BigInt(min) && value <= BigInt(max) : value >= min && value <= max;
  if (!inRange) throw new ValidationError('out_of_range', field, outOfRange(String(value)));
  return Number(value);
}

import { ValidationError } from '@message-bus/domain';

export interface NumberRange {
  readonly min: number;
  readonly max: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
  readonly integer?: boolean;
}

/**
 * Returns `value` if it is a finite number within `range`; otherwise throws a
 * `ValidationError` on `field` whose message ends with `rule`, the reason in words.
 */
export function checkNumber(value: unknown, field: string, range: NumberRange, rule: string): number {
  if (typeof value !== 'number') {
    throw new ValidationError(
      'unknown_value',
      field,
      `is ${describeType(value)}; expected a number (${rule})`,
    );
  }
  if (!Number.isFinite(value)) {
    throw new ValidationError('not_finite', field, `is ${value}; ${rule}`);
  }
  if (range.integer === true && !Number.isInteger(value)) {
    throw new ValidationError('not_integer', field, `is ${value}, not a whole number; ${rule}`);
  }
  const belowMin = range.minExclusive === true ? value <= range.min : value < range.min;
  const aboveMax = range.maxExclusive === true ? value >= range.max : value > range.max;
  if (belowMin || aboveMax) {
    throw new ValidationError('out_of_range', field, `is ${value}; ${rule}`);
  }
  return value;
}

/** How a JSON value reads in an error: `a string`, `an array`, `null`, `missing`. */
export function describeType(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

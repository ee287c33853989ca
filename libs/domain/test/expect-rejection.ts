import { expect } from 'vitest';
import { ValidationError, type ValidationCode } from '../src/validation-error';

/**
 * Asserts that `action` throws a ValidationError with exactly this code, field and
 * message (the message as people read it: `${field}: ${reason}`).
 */
export function expectRejection(
  action: () => unknown,
  code: ValidationCode,
  field: string,
  reason: string,
): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  const error = thrown as ValidationError;
  expect({ code: error.code, field: error.field, message: error.message }).toEqual({
    code,
    field,
    message: `${field}: ${reason}`,
  });
}

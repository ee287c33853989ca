/**
 * Why a value was rejected. Codes are stable (callers and the gRPC edge may switch
 * on them); messages are for people and name the offending field.
 */
export type ValidationCode =
  | 'empty'
  | 'too_short'
  | 'too_long'
  | 'bad_character'
  | 'out_of_range'
  | 'not_finite'
  | 'not_integer'
  | 'duplicate'
  | 'unknown_value'
  | 'self_link';

export class ValidationError extends Error {
  override readonly name = 'ValidationError';

  constructor(
    readonly code: ValidationCode,
    /** The field or value the rule applies to, e.g. `detector_id`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

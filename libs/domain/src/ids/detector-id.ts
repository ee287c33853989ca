import { codePointLength, describeCodePoint } from '../text';
import { ValidationError } from '../validation-error';

/**
 * A detector's identifier: 1–64 characters of `[A-Za-z0-9._:-]`. It becomes a key
 * segment in the store, so it can never hold a `/`, a control character or a space.
 * Build one with `parseDetectorId`; the brand keeps unvalidated strings out.
 */
export type DetectorId = string & { readonly __brand: 'DetectorId' };

export const DETECTOR_ID_MAX_LENGTH = 64;

const DETECTOR_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
const ALLOWED_TEXT = "allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'";

/**
 * Validates a detector identifier. `field` names it in the error, e.g.
 * `src_detectors[2].detector_id`.
 */
export function parseDetectorId(raw: string, field = 'detector_id'): DetectorId {
  if (raw.length === 0) {
    throw new ValidationError('empty', field, 'is empty; a detector id has 1 to 64 characters');
  }
  const length = codePointLength(raw);
  if (length > DETECTOR_ID_MAX_LENGTH) {
    throw new ValidationError(
      'too_long',
      field,
      `is ${length} characters long; the limit is ${DETECTOR_ID_MAX_LENGTH}`,
    );
  }
  if (!DETECTOR_ID_PATTERN.test(raw)) {
    let position = 0;
    for (const character of raw) {
      position += 1;
      if (!DETECTOR_ID_PATTERN.test(character)) {
        const described = describeCodePoint(character.codePointAt(0) ?? 0);
        throw new ValidationError(
          'bad_character',
          field,
          `has ${described} at character ${position}; ${ALLOWED_TEXT}`,
        );
      }
    }
  }
  return raw as DetectorId;
}

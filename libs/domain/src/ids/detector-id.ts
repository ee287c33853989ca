import { codePointLength, describeCodePoint } from '../text';
import { ValidationError, type ValidationCode } from '../validation-error';

/**
 * A detector's identifier: 1–64 characters of `[A-Za-z0-9._:-]`. It becomes a key
 * segment in the store, so it can never hold a `/`, a control character or a space.
 * Build one with `parseDetectorId`; the brand keeps unvalidated strings out.
 */
export type DetectorId = string & { readonly __brand: 'DetectorId' };

export const DETECTOR_ID_MAX_LENGTH = 64;

/** The common case, checked at once: the whole alphabet and length in one pattern. */
const DETECTOR_ID_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${DETECTOR_ID_MAX_LENGTH}}$`);
const DETECTOR_ID_CHARACTER = /^[A-Za-z0-9._:-]$/;
const ALLOWED_TEXT = "allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'";

/** What is wrong with a would-be detector id: its code and, for people, the reason. */
export interface DetectorIdProblem {
  readonly code: ValidationCode;
  /** Follows the field's name: `"a/b" has U+002F '/' at character 2; allowed are ...`. */
  readonly reason: string;
}

/**
 * Why `raw` cannot be a detector id, or undefined when it can. The one checker of the
 * rule: `parseDetectorId` uses it, and so does the store for every id it writes into a
 * key segment (detector ids, link ends, its key prefix), so the two never disagree.
 */
export function detectorIdProblem(raw: string): DetectorIdProblem | undefined {
  if (DETECTOR_ID_PATTERN.test(raw)) {
    // The original's key builder (path.Join) collapses these, so its readers would see another key.
    return raw === '.' || raw === '..'
      ? { code: 'bad_character', reason: `is "${raw}", which a path-style reader collapses` }
      : undefined;
  }
  if (raw.length === 0) return { code: 'empty', reason: 'is empty; an id has 1 to 64 characters' };
  const length = codePointLength(raw);
  if (length > DETECTOR_ID_MAX_LENGTH) {
    return {
      code: 'too_long',
      reason: `is ${length} characters long; the limit is ${DETECTOR_ID_MAX_LENGTH}`,
    };
  }
  // Neither empty nor too long, so the pattern failed on a character: name the first.
  const characters = Array.from(raw);
  const index = characters.findIndex((character) => !DETECTOR_ID_CHARACTER.test(character));
  const described = describeCodePoint(characters[index]?.codePointAt(0) ?? 0);
  return { code: 'bad_character', reason: `has ${described} at character ${index + 1}; ${ALLOWED_TEXT}` };
}

/**
 * Validates a detector identifier. `field` names it in the error, e.g.
 * `src_detectors[2].detector_id`.
 */
export function parseDetectorId(raw: string, field = 'detector_id'): DetectorId {
  const problem = detectorIdProblem(raw);
  if (problem !== undefined) throw new ValidationError(problem.code, field, problem.reason);
  return raw as DetectorId;
}

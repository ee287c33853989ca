import { DETECTOR_ID_MAX_LENGTH, detectorIdProblem } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';

/**
 * The guards that keep anything unsafe out of a written key. The repository is a
 * library other teams call with ids of their own, so it checks at its edge what it
 * writes into a key: a key is forever, a `/` in an id would create a different key
 * hierarchy, a control character would corrupt tools that print keys. The id rule is
 * domain's (`detectorIdProblem`), one checker for the server's parsing and the store.
 */

/** Detector ids and the namespace prefix: the domain's `DetectorId` alphabet and length. */
export const MAX_ID_SEGMENT_LENGTH = DETECTOR_ID_MAX_LENGTH;
/** The device part of an event key: a pseudonym, or a device string the original system wrote. */
export const MAX_DEVICE_SEGMENT_LENGTH = 128;

/** Printable ASCII without '/': the common case (pseudonyms), checked by one regex. */
const PLAIN_DEVICE_SEGMENT = /^[\x20-\x2e\x30-\x7e]{1,128}$/;

/** Why `value` cannot be an id segment (detector id or prefix), or undefined when it can. */
export function idSegmentProblem(value: string): string | undefined {
  return detectorIdProblem(value)?.reason;
}

/**
 * Why `value` cannot be the device part of an event key, or undefined when it can.
 * Dots are fine (the key splits right after the 26-character ULID). The message never
 * quotes the value: it may be a device identifier.
 */
export function deviceSegmentProblem(value: string): string | undefined {
  if (PLAIN_DEVICE_SEGMENT.test(value)) return undefined;
  if (value.length === 0) return 'is empty';
  let characters = 0;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    characters += 1;
    if (code === 0x2f) return `has '/' at character ${characters}, which would split the store key`;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      return `has control character ${describeCharacter(code)} at character ${characters}`;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      const isPair = code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
      if (!isPair) return `has an unpaired surrogate at character ${characters}, which has no UTF-8 form`;
      i += 1;
    }
  }
  if (characters > MAX_DEVICE_SEGMENT_LENGTH) {
    return `is ${characters} characters long; at most ${MAX_DEVICE_SEGMENT_LENGTH} fit in a store key`;
  }
  return undefined;
}

/** Throws `StoreInvalidArgumentError` naming `field` unless `value` is a valid id segment. */
export function checkIdSegment(value: unknown, field: string): string {
  if (typeof value !== 'string')
    throw new StoreInvalidArgumentError(`${field}: must be a string, got ${typeof value}`);
  const problem = idSegmentProblem(value);
  if (problem !== undefined) throw new StoreInvalidArgumentError(`${field}: ${quote(value)} ${problem}`);
  return value;
}

/** Throws `StoreInvalidArgumentError` naming `field` unless `value` can be a device segment. */
export function checkDeviceSegment(value: unknown, field: string): string {
  if (typeof value !== 'string')
    throw new StoreInvalidArgumentError(`${field}: must be a string, got ${typeof value}`);
  const problem = deviceSegmentProblem(value);
  if (problem !== undefined) throw new StoreInvalidArgumentError(`${field}: ${problem}`);
  return value;
}

/** The smallest key greater than every key starting with `prefix` (which ends in an ASCII character). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function describeCharacter(code: number): string {
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code > 0x20 && code < 0x7f ? `${hex} '${String.fromCharCode(code)}'` : hex;
}

function quote(value: string): string {
  return value.length > 70 ? `${JSON.stringify(value.slice(0, 64))}…` : JSON.stringify(value);
}

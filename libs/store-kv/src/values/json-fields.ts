import type { UnixNanos } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { parseNanosText } from '../keys/key-time';
import { accept, reject, type Parsed } from '../parsed';

/**
 * Field checks shared by the JSON value codecs: on write, a value JSON cannot carry
 * exactly (NaN, a fraction where a count belongs) is refused with an error naming the
 * field; on read, a member of the wrong type makes the record malformed.
 */

export function checkFiniteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StoreInvalidArgumentError(`${field}: ${String(value)} is not a finite number`);
  }
  return value;
}

export function checkCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StoreInvalidArgumentError(`${field}: ${String(value)} is not a whole number ≥ 0`);
  }
  return value;
}

export type NumberKind = 'finite' | 'count';

/** Member `name` of a parsed value as a number of `kind`. */
export function numberMember(
  object: Record<string, unknown>,
  name: string,
  kind: NumberKind,
): Parsed<number> {
  const value = object[name];
  if (value === undefined) return reject(`value has no ${name}`);
  const valid =
    typeof value === 'number' &&
    (kind === 'finite' ? Number.isFinite(value) : Number.isSafeInteger(value) && value >= 0);
  if (!valid) {
    const expected = kind === 'finite' ? 'a finite number' : 'a whole number ≥ 0';
    return reject(`value's ${name} ${JSON.stringify(value)} is not ${expected}`);
  }
  return accept(value);
}

/** Like `numberMember`, but an absent member is undefined rather than malformed. */
export function optionalNumberMember(
  object: Record<string, unknown>,
  name: string,
  kind: NumberKind,
): Parsed<number | undefined> {
  return object[name] === undefined ? accept(undefined) : numberMember(object, name, kind);
}

/** Member `name` of a parsed value as unix nanoseconds, written as a decimal string. */
export function nanosMember(object: Record<string, unknown>, name: string): Parsed<UnixNanos> {
  const raw = object[name];
  const time = typeof raw === 'string' ? parseNanosText(raw) : reject('is missing');
  return time.ok ? time : reject(`value's ${name} ${time.reason}`);
}

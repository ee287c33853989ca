import { accept, reject, type Parsed } from '../parsed';

/**
 * Reading JSON objects from stored values. `JSON.parse` turns every number into a JS
 * number, which loses nanoseconds above 2^53; `jsonMemberSources` keeps each member's
 * exact source text instead, so such numbers can go straight to `BigInt`.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text, or why they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): Parsed<string> {
  try {
    return accept(strictUtf8.decode(bytes));
  } catch {
    return reject('is not UTF-8 text');
  }
}

export function utf8Bytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** `text` parsed as a JSON object (numbers as JS numbers). */
export function parseJsonObject(text: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject('is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return reject('is JSON but not an object');
  return accept(value as Record<string, unknown>);
}

/** A stored value read as a JSON object; why not, as a reason of the value (`value is not JSON`). */
export function parseValueObject(bytes: Uint8Array): Parsed<Record<string, unknown>> {
  const text = decodeUtf8(bytes);
  if (!text.ok) return reject(`value ${text.reason}`);
  const object = parseJsonObject(text.value);
  return object.ok ? object : reject(`value ${object.reason}`);
}

/**
 * The members of the JSON object `text`, each value as its exact source text (a
 * number's digits, a string with its quotes). A repeated name keeps the last value,
 * as Go's decoder does.
 */
export function jsonMemberSources(text: string): Parsed<Map<string, string>> {
  const object = parseJsonObject(text);
  if (!object.ok) return object;
  // JSON.parse has proven `text` well-formed, so the scan below needs no error handling.
  const members = new Map<string, string>();
  let index = skipWhitespace(text, text.indexOf('{') + 1);
  while (text.charAt(index) !== '}') {
    const nameEnd = endOfString(text, index);
    const name = JSON.parse(text.slice(index, nameEnd)) as string;
    const valueStart = skipWhitespace(text, skipWhitespace(text, nameEnd) + 1);
    const valueEnd = endOfValue(text, valueStart);
    members.set(name, text.slice(valueStart, valueEnd));
    index = skipWhitespace(text, valueEnd);
    if (text.charAt(index) === ',') index = skipWhitespace(text, index + 1);
  }
  return accept(members);
}

/**
 * The member `name`, matched as Go's `encoding/json` matches a struct field: the exact
 * name if present, otherwise a case-insensitive match.
 */
export function goStyleMember<T>(members: ReadonlyMap<string, T>, name: string): T | undefined {
  const exact = members.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [candidate, value] of members) if (candidate.toLowerCase() === lower) return value;
  return undefined;
}

function skipWhitespace(text: string, index: number): number {
  let i = index;
  while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i += 1;
  return i;
}

/** `index` is at an opening quote; returns the index after the closing one. */
function endOfString(text: string, index: number): number {
  let i = index + 1;
  while (text.charAt(i) !== '"') i += text.charAt(i) === '\\' ? 2 : 1;
  return i + 1;
}

function endOfValue(text: string, index: number): number {
  const first = text.charAt(index);
  if (first === '"') return endOfString(text, index);
  if (first === '{' || first === '[') {
    let depth = 0;
    let i = index;
    do {
      const character = text.charAt(i);
      if (character === '"') {
        i = endOfString(text, i);
        continue;
      }
      if (character === '{' || character === '[') depth += 1;
      if (character === '}' || character === ']') depth -= 1;
      i += 1;
    } while (depth > 0);
    return i;
  }
  let i = index;
  while (i < text.length && !',}] \t\n\r'.includes(text.charAt(i))) i += 1;
  return i;
}

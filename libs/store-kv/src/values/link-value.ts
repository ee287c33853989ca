import { MAX_LINK_SECONDS, type DetectorLink } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { decodeUtf8, goStyleMember, parseJsonObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from '../parsed';
import { isStdBase64 } from '../keys/base64';

/**
 * The value of a link key: JSON `{"max_seconds":"600"}`, the form the original design
 * note documents (a decimal string). The original's code (`collector/etcd.go`,
 * `CreateDetectorLink`) actually wrote base64 of `{"MaxSeconds":600}` through the same
 * `save` as events; no reader of the original ever read links back. Both forms are
 * read: plain or base64 JSON, `max_seconds` or (case-insensitively) `MaxSeconds`, as a
 * string or a number.
 *
 * A configured minimum travel time is added as `"min_seconds":"20"` (same form), and
 * only when set, so a link without one is written exactly as the original wrote it; the
 * original's Go server ignores the unknown member.
 */

/** What a link's value holds: its travel-time limits. */
export type LinkLimits = Pick<DetectorLink, 'maxSeconds' | 'minSeconds'>;

const DECIMAL = /^[0-9]{1,15}$/;

/**
 * Throws `StoreInvalidArgumentError` naming `field` unless `maxSeconds` is a whole
 * number in 1..86400 and `minSeconds`, when set, one in 1..maxSeconds − 1.
 */
export function encodeLinkValue(limits: LinkLimits, field = 'link'): Uint8Array {
  const { maxSeconds, minSeconds } = limits;
  if (!isSeconds(maxSeconds, MAX_LINK_SECONDS)) {
    throw new StoreInvalidArgumentError(
      `${field}.maxSeconds: ${maxSeconds} is not a whole number of seconds in 1..${MAX_LINK_SECONDS}`,
    );
  }
  if (minSeconds === undefined) return utf8Bytes(`{"max_seconds":"${maxSeconds}"}`);
  if (!isSeconds(minSeconds, maxSeconds - 1)) {
    throw new StoreInvalidArgumentError(
      `${field}.minSeconds: ${minSeconds} is not a whole number of seconds in 1..${maxSeconds - 1}`,
    );
  }
  return utf8Bytes(`{"max_seconds":"${maxSeconds}","min_seconds":"${minSeconds}"}`);
}

/** The link's limits; `minSeconds` only when the value sets one (0 reads as unset). */
export function decodeLinkValue(bytes: Uint8Array): Parsed<LinkLimits> {
  const text = decodeUtf8(bytes);
  if (!text.ok) return reject(`value ${text.reason}`);
  const trimmed = text.value.trim();
  const json =
    !trimmed.startsWith('{') && isStdBase64(trimmed)
      ? Buffer.from(trimmed, 'base64').toString('utf8')
      : trimmed;
  const object = parseJsonObject(json);
  if (!object.ok) return reject(`value ${object.reason}`);
  const members = new Map(Object.entries(object.value));
  const rawMax = members.get('max_seconds') ?? goStyleMember(members, 'MaxSeconds');
  if (rawMax === undefined) return reject('value has no max_seconds');
  const maxSeconds = secondsOf(rawMax);
  if (!isSeconds(maxSeconds, MAX_LINK_SECONDS)) {
    return reject(
      `value's max_seconds ${JSON.stringify(rawMax)} is not a whole number of seconds in 1..${MAX_LINK_SECONDS}`,
    );
  }
  const rawMin = members.get('min_seconds') ?? goStyleMember(members, 'MinSeconds');
  const minSeconds = rawMin === undefined ? 0 : secondsOf(rawMin);
  if (minSeconds === 0) return accept({ maxSeconds });
  if (!isSeconds(minSeconds, maxSeconds - 1)) {
    return reject(
      `value's min_seconds ${JSON.stringify(rawMin)} is not a whole number of seconds in 1..${maxSeconds - 1}`,
    );
  }
  return accept({ maxSeconds, minSeconds });
}

/** A decimal string as its number; anything else as it is, for the range check to judge. */
function secondsOf(raw: unknown): unknown {
  return typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : raw;
}

function isSeconds(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;
}

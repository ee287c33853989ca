import { MAX_LINK_SECONDS } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { decodeUtf8, goStyleMember, parseJsonObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from './parsed';
import { isStdBase64 } from './base64';

/**
 * The value of a link key: JSON `{"max_seconds":"600"}`, the form the original design
 * note documents (a decimal string). The original's code (`collector/etcd.go`,
 * `CreateDetectorLink`) actually wrote base64 of `{"MaxSeconds":600}` through the same
 * `save` as events; no reader of the original ever read links back. Both forms are
 * read: plain or base64 JSON, `max_seconds` or (case-insensitively) `MaxSeconds`, as a
 * string or a number.
 */

const DECIMAL = /^[0-9]{1,15}$/;

/** Throws `StoreInvalidArgumentError` naming `field` unless `maxSeconds` is a whole number in 1..86400. */
export function encodeLinkValue(maxSeconds: number, field = 'maxSeconds'): Uint8Array {
  if (!Number.isInteger(maxSeconds) || maxSeconds < 1 || maxSeconds > MAX_LINK_SECONDS) {
    throw new StoreInvalidArgumentError(
      `${field}: ${maxSeconds} is not a whole number of seconds in 1..${MAX_LINK_SECONDS}`,
    );
  }
  return utf8Bytes(`{"max_seconds":"${maxSeconds}"}`);
}

/** The link's `maxSeconds`. */
export function decodeLinkValue(bytes: Uint8Array): Parsed<number> {
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
  const raw = members.get('max_seconds') ?? goStyleMember(members, 'MaxSeconds');
  if (raw === undefined) return reject('value has no max_seconds');
  const maxSeconds = typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : raw;
  if (
    typeof maxSeconds !== 'number' ||
    !Number.isInteger(maxSeconds) ||
    maxSeconds < 1 ||
    maxSeconds > MAX_LINK_SECONDS
  ) {
    return reject(
      `value's max_seconds ${JSON.stringify(raw)} is not a whole number of seconds in 1..${MAX_LINK_SECONDS}`,
    );
  }
  return accept(maxSeconds);
}

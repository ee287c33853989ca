import { codePointLength, describeCodePoint, isLoneSurrogate, quoteForMessage } from '../text';
import { ValidationError } from '../validation-error';

/** The radio a device was seen on. Mirrors the wire enum `collector.DEVICE` (minus UNKNOWN). */
export type DeviceKind = 'wifi' | 'bluetooth' | 'mobile';

export const DEVICE_KINDS: readonly DeviceKind[] = ['wifi', 'bluetooth', 'mobile'];

/** The wire enum `collector.DEVICE` values of each kind (DEVICE_UNKNOWN = 0 has no kind). */
export type DeviceWireValue = 1 | 2 | 3;

const WIRE_VALUE_OF: Readonly<Record<DeviceKind, DeviceWireValue>> = {
  mobile: 1,
  wifi: 2,
  bluetooth: 3,
};

const KIND_OF_WIRE_VALUE: ReadonlyMap<number, DeviceKind> = new Map([
  [1, 'mobile'],
  [2, 'wifi'],
  [3, 'bluetooth'],
]);

/** Domain names and the wire enum's value names, both accepted as text. */
const KIND_OF_NAME: ReadonlyMap<string, DeviceKind> = new Map([
  ['mobile', 'mobile'],
  ['wifi', 'wifi'],
  ['bluetooth', 'bluetooth'],
  ['MOBILE', 'mobile'],
  ['WIFI', 'wifi'],
  ['BLUETOOTH', 'bluetooth'],
]);

const EXPECTED_KINDS = 'expected MOBILE (1), WIFI (2) or BLUETOOTH (3)';

/**
 * A device identifier as a detector reported it (a MAC address, an IMSI...):
 * 1–128 printable characters. It must go through the pseudonymiser before anything
 * stores, logs or compares it.
 */
export type RawDeviceId = string & { readonly __brand: 'RawDeviceId' };

export const RAW_DEVICE_ID_MAX_LENGTH = 128;

/**
 * What the system keeps instead of a device identifier: 22 base64url characters
 * (a truncated keyed HMAC). Never contains `.` or `/`, so it is safe as a key segment.
 */
export type Pseudonym = string & { readonly __brand: 'Pseudonym' };

/**
 * Reads a device kind from its domain name (`wifi`), its wire enum name (`WIFI`) or
 * its wire enum number (`2`). DEVICE_UNKNOWN (0) is rejected: a sighting or a radio
 * always has a kind.
 */
export function parseDeviceKind(value: string | number, field = 'device'): DeviceKind {
  const kind = typeof value === 'number' ? KIND_OF_WIRE_VALUE.get(value) : KIND_OF_NAME.get(value);
  if (kind !== undefined) return kind;
  if (value === 0 || value === 'DEVICE_UNKNOWN') {
    throw new ValidationError('unknown_value', field, `is DEVICE_UNKNOWN (0); ${EXPECTED_KINDS}`);
  }
  const shown = typeof value === 'number' ? String(value) : quoteForMessage(value);
  throw new ValidationError('unknown_value', field, `is ${shown}, not a device kind; ${EXPECTED_KINDS}`);
}

/** The wire enum `collector.DEVICE` value of a kind. */
export function deviceKindToWire(kind: DeviceKind): DeviceWireValue {
  return WIRE_VALUE_OF[kind];
}

/**
 * Validates a device identifier as received. Printable means: no control character
 * (C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F) and no lone UTF-16 surrogate, so
 * its UTF-8 encoding, and therefore its pseudonym, is well defined. Spaces are
 * printable and kept, and nothing is trimmed or case-folded: the pseudonym is of the
 * exact identifier the detector sent. Messages never echo the identifier, only its
 * length or the position and code of the offending character.
 */
export function parseRawDeviceId(raw: string, field = 'device_id'): RawDeviceId {
  if (raw.length === 0) {
    throw new ValidationError('empty', field, 'is empty; a device id has 1 to 128 characters');
  }
  const length = codePointLength(raw);
  if (length > RAW_DEVICE_ID_MAX_LENGTH) {
    throw new ValidationError(
      'too_long',
      field,
      `is ${length} characters long; the limit is ${RAW_DEVICE_ID_MAX_LENGTH}`,
    );
  }
  let position = 0;
  for (const character of raw) {
    position += 1;
    const codePoint = character.codePointAt(0) ?? 0;
    if (isControlCharacter(codePoint)) {
      throw new ValidationError(
        'bad_character',
        field,
        `has control character ${describeCodePoint(codePoint)} at character ${position}; a device id must be printable`,
      );
    }
    if (isLoneSurrogate(codePoint)) {
      throw new ValidationError(
        'bad_character',
        field,
        `has a lone surrogate ${describeCodePoint(codePoint)} at character ${position}; a device id must be valid Unicode`,
      );
    }
  }
  return raw as RawDeviceId;
}

function isControlCharacter(codePoint: number): boolean {
  return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f);
}

import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../test/expect-rejection';
import { DEVICE_KINDS, deviceKindToWire, parseDeviceKind, parseRawDeviceId } from './device';
import { ValidationError } from '../validation-error';

const EXPECTED = 'expected MOBILE (1), WIFI (2) or BLUETOOTH (3)';

describe('parseDeviceKind', () => {
  it('reads domain names, wire names and wire numbers', () => {
    expect(['wifi', 'bluetooth', 'mobile'].map((name) => parseDeviceKind(name))).toEqual([
      'wifi',
      'bluetooth',
      'mobile',
    ]);
    expect(['WIFI', 'BLUETOOTH', 'MOBILE'].map((name) => parseDeviceKind(name))).toEqual([
      'wifi',
      'bluetooth',
      'mobile',
    ]);
    expect([1, 2, 3].map((value) => parseDeviceKind(value))).toEqual(['mobile', 'wifi', 'bluetooth']);
  });

  it('round-trips every kind through its wire number', () => {
    expect(DEVICE_KINDS.map((kind) => deviceKindToWire(kind))).toEqual([2, 3, 1]);
    for (const kind of DEVICE_KINDS) expect(parseDeviceKind(deviceKindToWire(kind))).toBe(kind);
  });

  it('rejects DEVICE_UNKNOWN as a number and as a name', () => {
    expectRejection(
      () => parseDeviceKind(0),
      'unknown_value',
      'device',
      `is DEVICE_UNKNOWN (0); ${EXPECTED}`,
    );
    expectRejection(
      () => parseDeviceKind('DEVICE_UNKNOWN'),
      'unknown_value',
      'device',
      `is DEVICE_UNKNOWN (0); ${EXPECTED}`,
    );
  });

  it('rejects numbers and names outside the enum, quoting them', () => {
    expectRejection(
      () => parseDeviceKind(4),
      'unknown_value',
      'device',
      `is 4, not a device kind; ${EXPECTED}`,
    );
    expectRejection(
      () => parseDeviceKind(1.5),
      'unknown_value',
      'device',
      `is 1.5, not a device kind; ${EXPECTED}`,
    );
    expectRejection(
      () => parseDeviceKind('Wifi', 'active_detectors[1]'),
      'unknown_value',
      'active_detectors[1]',
      `is "Wifi", not a device kind; ${EXPECTED}`,
    );
  });
});

describe('parseRawDeviceId', () => {
  it('accepts MAC addresses, IMSIs, spaces, non-ASCII and the longest allowed id', () => {
    for (const raw of [
      'AA:BB:CC:DD:EE:FF',
      '262011234567890',
      'AA BB CC',
      ' lead',
      'Gerät-ü',
      'x'.repeat(128),
    ]) {
      expect(parseRawDeviceId(raw)).toBe(raw);
    }
  });

  it('rejects an empty id', () => {
    expectRejection(
      () => parseRawDeviceId(''),
      'empty',
      'device_id',
      'is empty; a device id has 1 to 128 characters',
    );
  });

  it('rejects an id over 128 characters, saying only its length', () => {
    expectRejection(
      () => parseRawDeviceId('x'.repeat(129)),
      'too_long',
      'device_id',
      'is 129 characters long; the limit is 128',
    );
  });

  it('rejects C0, DEL and C1 control characters by code point and position', () => {
    const printable = 'a device id must be printable';
    expectRejection(
      () => parseRawDeviceId('ab\tc'),
      'bad_character',
      'device_id',
      `has control character U+0009 at character 3; ${printable}`,
    );
    expectRejection(
      () => parseRawDeviceId('\u007f'),
      'bad_character',
      'device_id',
      `has control character U+007F at character 1; ${printable}`,
    );
    expectRejection(
      () => parseRawDeviceId('😀\u0085'),
      'bad_character',
      'device_id',
      `has control character U+0085 at character 2; ${printable}`,
    );
  });

  it('rejects a lone surrogate, whose UTF-8 (and so pseudonym) would be undefined', () => {
    expectRejection(
      () => parseRawDeviceId('ab\udc00', 'events[3].wifi'),
      'bad_character',
      'events[3].wifi',
      'has a lone surrogate U+DC00 at character 3; a device id must be valid Unicode',
    );
  });

  it('never echoes the identifier in a message', () => {
    const secret = 'SECRET-4C:1A';
    for (const raw of [`${secret}\n`, `${secret}`.repeat(11), `${secret}\ud800`]) {
      let message = '';
      try {
        parseRawDeviceId(raw);
      } catch (error) {
        message = (error as ValidationError).message;
      }
      expect(message).toMatch(/^device_id: /);
      expect(message).not.toContain('SECRET');
    }
  });
});

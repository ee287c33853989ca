import { NANOS_PER_SECOND, parseNanosDecimal, ValidationError, type UnixNanos } from '@message-bus/domain';

/** How a CSV log writes its times. */
export const TIME_FORMATS = ['epoch_s', 'epoch_ms', 'epoch_ns', 'iso'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

const EXPECTED: Record<TimeFormat, string> = {
  epoch_s: 'Unix seconds like 1769760000 or 1769760000.25',
  epoch_ms: 'Unix milliseconds like 1769760000250',
  epoch_ns: 'Unix nanoseconds like 1769760000250000000',
  iso: 'ISO-8601 like 2026-01-30T08:00:00.25Z or 2026-01-30T09:00:00+01:00',
};

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The exact instant a log's time text names, in Unix nanoseconds. Decimal fractions are
 * read digit by digit (never through a float), so `1769760000.123456789` stays exact.
 * @throws ValidationError naming `field` and the expected form; the text itself is not
 * repeated (with columns mixed up it could be a device id).
 */
export function parseTimeText(text: string, format: TimeFormat, field: string): UnixNanos {
  const fail = (why = `is not ${EXPECTED[format]}`) => new ValidationError('bad_character', field, why);
  const trimmed = text.trim();
  if (trimmed === '') throw new ValidationError('empty', field, `is empty; expected ${EXPECTED[format]}`);
  switch (format) {
    case 'epoch_s':
      return decimalUnits(trimmed, EPOCH_SECONDS, fail);
    case 'epoch_ms':
      return decimalUnits(trimmed, EPOCH_MILLIS, fail);
    case 'epoch_ns':
      if (!/^\d+$/.test(trimmed)) throw fail();
      return parseNanosDecimal(trimmed, field);
    case 'iso':
      return isoNanos(trimmed, fail);
  }
}

/** A unit of time written as `whole[.fraction]`: its pattern, and its length in nanoseconds (10^digits). */
interface DecimalUnit {
  readonly pattern: RegExp;
  readonly fractionDigits: number;
  readonly nanos: bigint;
}

const EPOCH_SECONDS: DecimalUnit = {
  pattern: /^(\d{1,15})(?:\.(\d{1,9}))?$/,
  fractionDigits: 9,
  nanos: NANOS_PER_SECOND,
};
const EPOCH_MILLIS: DecimalUnit = {
  pattern: /^(\d{1,15})(?:\.(\d{1,6}))?$/,
  fractionDigits: 6,
  nanos: 1_000_000n,
};

function decimalUnits(text: string, unit: DecimalUnit, fail: () => ValidationError): UnixNanos {
  const match = unit.pattern.exec(text);
  if (match === null) throw fail();
  const [, whole = '0', fraction] = match;
  const wholeNanos = BigInt(whole) * unit.nanos;
  return fraction === undefined ? wholeNanos : wholeNanos + BigInt(fraction.padEnd(unit.fractionDigits, '0'));
}

function isoNanos(text: string, fail: (why?: string) => ValidationError): UnixNanos {
  const match = ISO_PATTERN.exec(text);
  if (match === null) throw fail();
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = parts;
  const millis = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(millis);
  // Date.UTC rolls 2026-02-30 over into March: a date that does not come back unchanged does not exist.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw fail('is not a valid calendar date and time');
  }
  const offsetMinutes = zoneOffsetMinutes(zone);
  const seconds = BigInt(millis / 1000 - offsetMinutes * 60);
  return seconds * NANOS_PER_SECOND + BigInt(fraction.padEnd(9, '0'));
}

function zoneOffsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return zone.startsWith('-') ? -minutes : minutes;
}

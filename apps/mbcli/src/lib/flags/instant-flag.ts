import { NANOS_PER_MILLISECOND, nanosToTimestamp, type UnixNanos } from '@message-bus/domain';
import type { Timestamp } from '@message-bus/proto';
import { Flags } from '@oclif/core';
import { parseTimeText } from '../import/import-time';
import { parseDuration } from './duration-flag';
import { FlagValueError } from './flag-value-error';

/** The forms a time may take, as the errors and the help say them. */
export const INSTANT_FORMS =
  'RFC 3339 like 2026-01-30T08:00:00Z, Unix seconds like 1769760000, or a time ago like -1h (or now)';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i;

/**
 * The instant a time flag names, to the nanosecond:
 * - RFC 3339 with `Z` or an offset (`2026-01-30T08:00:00.25Z`, `2026-01-30T09:00:00+01:00`),
 *   or a date alone, which is its midnight UTC (`2026-01-30`);
 * - Unix seconds, with up to 9 decimals (`1769760000`, `1769760000.25`);
 * - `now`, or a duration ago (`-1h`, `-30m`, `-2d`), from `nowMillis`.
 * @throws FlagValueError one line naming the flag, the value and the accepted forms
 */
export function parseInstant(flag: string, text: string, nowMillis: number): Timestamp {
  return nanosToTimestamp(instantNanos(flag, text.trim(), nowMillis));
}

function instantNanos(flag: string, text: string, nowMillis: number): UnixNanos {
  const now = BigInt(nowMillis) * NANOS_PER_MILLISECOND;
  if (text.toLowerCase() === 'now') return now;
  const notATime = () =>
    new FlagValueError(`--${flag} ${JSON.stringify(text)} is not a time; give ${INSTANT_FORMS}`);
  if (text.startsWith('-')) {
    let agoSeconds: number;
    try {
      agoSeconds = parseDuration(flag, text.slice(1), { allowZero: true });
    } catch {
      throw notATime();
    }
    return now - BigInt(Math.round(agoSeconds * 1e9));
  }
  if (WITHOUT_ZONE.test(text)) {
    throw new FlagValueError(
      `--${flag} ${JSON.stringify(text)} has no time zone; add Z for UTC or an offset like +01:00`,
    );
  }
  try {
    if (/^\d/.test(text) && !text.includes('-')) return parseTimeText(text, 'epoch_s', flag);
    return parseTimeText(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text, 'iso', flag);
  } catch {
    throw notATime();
  }
}

/** A time flag: its value is the instant, whatever form was typed. */
export const instantFlag = Flags.custom<Timestamp>({
  helpValue: '<time>',
  parse: async (input, _context, flag) => parseInstant(flag.name, input, Date.now()),
});

import type { UnixNanos } from '../time';
import { NANOS_PER_MILLISECOND } from '../time';
import { ValidationError } from '../validation-error';

/** A bin of the week in some time zone. */
export interface WeekBin {
  /** ISO day of week: 1 = Monday … 7 = Sunday. */
  readonly dayOfWeek: number;
  /** Start of the bin in minutes after local midnight. */
  readonly minuteOfDay: number;
}

export const DEFAULT_BIN_MINUTES = 15;
export const DEFAULT_TIME_ZONE = 'UTC';

const MINUTES_PER_DAY = 1440;
const ISO_DAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
/** Resolved local times are kept for this many distinct instants, then forgotten at once. */
const MAX_REMEMBERED_INSTANTS = 20_000;

/**
 * Which bin of the week an instant falls in, in an IANA time zone (daylight saving
 * included), through `Intl.DateTimeFormat`. A formatter costs ~80 µs to build and ~2 µs
 * per call, so one instance is meant to be kept and reused. Every zone's offset today is a
 * whole multiple of 15 minutes, so instants are resolved per UTC step of gcd(bin, 15)
 * minutes and remembered: a week of minute estimates costs a few hundred calls.
 */
export class TimeOfWeekBins {
  readonly timeZone: string;
  readonly binMinutes: number;
  private readonly format: Intl.DateTimeFormat;
  private readonly stepNanos: bigint;
  private readonly byStep = new Map<bigint, WeekBin>();

  constructor(timeZone: string = DEFAULT_TIME_ZONE, binMinutes: number = DEFAULT_BIN_MINUTES) {
    if (!Number.isInteger(binMinutes) || binMinutes < 1 || MINUTES_PER_DAY % binMinutes !== 0) {
      throw new ValidationError(
        Number.isInteger(binMinutes) ? 'out_of_range' : 'not_integer',
        'binMinutes',
        `is ${binMinutes}; it must be a whole number of minutes that divides a day`,
      );
    }
    this.format = timeZoneFormat(timeZone);
    this.timeZone = this.format.resolvedOptions().timeZone;
    this.binMinutes = binMinutes;
    this.stepNanos = BigInt(gcd(binMinutes, 15)) * 60_000n * NANOS_PER_MILLISECOND;
  }

  /** The bin of `time` in the zone. */
  binAt(time: UnixNanos): WeekBin {
    const step = floorDiv(time, this.stepNanos);
    const known = this.byStep.get(step);
    if (known !== undefined) return known;
    if (this.byStep.size >= MAX_REMEMBERED_INSTANTS) this.byStep.clear();
    const parts = this.format.formatToParts(Number((step * this.stepNanos) / NANOS_PER_MILLISECOND));
    const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
    const minute = Number(part('hour')) * 60 + Number(part('minute'));
    const bin: WeekBin = {
      dayOfWeek: ISO_DAYS[part('weekday')] as number,
      minuteOfDay: minute - (minute % this.binMinutes),
    };
    this.byStep.set(step, bin);
    return bin;
  }
}

/** Refuses a zone `Intl` does not know, naming the field. */
export function timeZoneFormat(timeZone: string, field = 'timeZone'): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    throw new ValidationError(
      'unknown_value',
      field,
      `is ${JSON.stringify(timeZone)}; expected an IANA time zone such as "Europe/Warsaw"`,
    );
  }
}

function floorDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value % divisor < 0n ? quotient - 1n : quotient;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

import type { ChartPoint } from './travel-time-chart';

/** The parts of a typical profile the band needs (the wire's TypicalProfile fits). */
export interface TypicalProfileBins {
  /** IANA time zone of the bins, e.g. `Europe/Warsaw`. */
  readonly timeZone: string;
  readonly binMinutes: number;
  readonly bins: readonly {
    /** ISO day of week, 1 = Monday … 7 = Sunday. */
    readonly dayOfWeek: number;
    readonly minuteOfDay: number;
    readonly medianSeconds?: number | undefined;
    readonly p15Seconds?: number | undefined;
    readonly p85Seconds?: number | undefined;
  }[];
}

const MINUTE = 60_000;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * The typical p15–p85 band over [start, end) (Unix milliseconds): each occurrence of a
 * bin of the week in the range, in the profile's time zone, as a flat step from where it
 * starts to where it ends (clipped to the range). Consecutive bins with data join into
 * one run; a bin without data, or without p15/p85/median, breaks the band.
 */
export function typicalBand(profile: TypicalProfileBins, start: number, end: number): ChartPoint[][] {
  if (profile.binMinutes <= 0 || profile.bins.length === 0) return [];
  const bins = new Map(profile.bins.map((bin) => [`${bin.dayOfWeek}/${bin.minuteOfDay}`, bin]));
  const localTime = localTimeIn(profile.timeZone);
  const runs: ChartPoint[][] = [];
  let run: ChartPoint[] = [];
  for (let time = start; time < end;) {
    const local = localTime(time);
    const intoBin = local.minuteOfDay % profile.binMinutes;
    const next = time + (profile.binMinutes - intoBin) * MINUTE - local.millisOfMinute;
    const bin = bins.get(`${local.dayOfWeek}/${local.minuteOfDay - intoBin}`);
    const { medianSeconds: median, p15Seconds: p15, p85Seconds: p85 } = bin ?? {};
    if (median !== undefined && p15 !== undefined && p85 !== undefined) {
      run.push({ time, median, p15, p85 }, { time: Math.min(next, end), median, p15, p85 });
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
    time = next;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A function giving an instant's ISO day of week and time of day in `timeZone`. */
function localTimeIn(
  timeZone: string,
): (millis: number) => { dayOfWeek: number; minuteOfDay: number; millisOfMinute: number } {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  });
  return (millis) => {
    const parts = Object.fromEntries(format.formatToParts(millis).map((part) => [part.type, part.value]));
    return {
      dayOfWeek: WEEKDAYS.indexOf(parts['weekday'] ?? '') + 1,
      minuteOfDay: Number(parts['hour']) * 60 + Number(parts['minute']),
      millisOfMinute: Number(parts['second']) * 1000 + (((millis % 1000) + 1000) % 1000),
    };
  };
}

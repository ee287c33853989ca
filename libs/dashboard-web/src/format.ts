/** Text for figures the pages show. Pure, so the tests pin them down. */

import type { DetectorView, EstimateView } from './api';

/** A travel time: `45 s`, `3 min 05 s`, `1 h 02 min`; `–` when there is none. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A chart axis tick: `m:ss` (`0:25`, `2:20`, `75:00`), short enough for a narrow axis. */
export function formatClockDuration(seconds: number): string {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** How long ago `iso` was, seen at `now`: `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAge(iso: string | undefined, now: number): string {
  if (iso === undefined) return 'never';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** A clock time in the viewer's zone, `HH:MM:SS`, with the date when it is not `now`'s day. */
export function formatTime(iso: string | undefined, now: number): string {
  if (iso === undefined) return '–';
  const time = new Date(iso);
  const clock = [time.getHours(), time.getMinutes(), time.getSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
  return sameLocalDay(time, new Date(now)) ? clock : `${localDate(time)} ${clock}`;
}

export function formatVolts(volts: number | undefined): string {
  return volts === undefined ? '–' : `${volts.toFixed(2)} V`;
}

/** A clock offset with its sign: `+1.5 s`, `-0.2 s`. */
export function formatSkew(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  const sign = seconds > 0 ? '+' : seconds < 0 ? '-' : '';
  return `${sign}${Math.abs(seconds).toFixed(1)} s`;
}

/** Where a detector's health stands. Empty problems mean healthy only once the worker has checked. */
export type HealthState = 'ok' | 'problems' | 'unchecked';

export function healthState(detector: Pick<DetectorView, 'problems' | 'checkedAt'>): HealthState {
  if (detector.problems.length > 0) return 'problems';
  return detector.checkedAt === undefined ? 'unchecked' : 'ok';
}

/** `ok` for a checked healthy detector, `not checked yet` before its first check, else its problems. */
export function formatHealth(detector: Pick<DetectorView, 'problems' | 'checkedAt'>): string {
  switch (healthState(detector)) {
    case 'ok':
      return 'ok';
    case 'unchecked':
      return 'not checked yet';
    case 'problems':
      return detector.problems.map((problem) => problem.replaceAll('_', ' ')).join(', ');
  }
}

/** `2026-12-07T10:15` in the viewer's zone: the value of an `<input type="datetime-local">`. */
export function toDateTimeLocal(epochMs: number): string {
  const time = new Date(epochMs);
  const hhmm = [time.getHours(), time.getMinutes()].map((part) => String(part).padStart(2, '0')).join(':');
  return `${localDate(time)}T${hhmm}`;
}

/** The instant of an `<input type="datetime-local">` value (the viewer's zone); undefined when empty or bad. */
export function fromDateTimeLocal(value: string): number | undefined {
  if (value === '') return undefined;
  const epochMs = new Date(value).getTime();
  return Number.isNaN(epochMs) ? undefined : epochMs;
}

/** One estimate in a line: `2 min 05 s (typical 1 min 50 s) · ok · 12 of 14 samples valid · moderate`. */
export function estimateSummary(estimate: EstimateView | undefined): string {
  if (!estimate) return 'no estimate yet';
  const typical =
    estimate.typicalSeconds === undefined ? '' : ` (typical ${formatDuration(estimate.typicalSeconds)})`;
  return [
    `${formatDuration(estimate.medianSeconds)}${typical}`,
    estimate.status.replaceAll('_', ' '),
    `${estimate.validSamples} of ${estimate.totalSamples} samples valid`,
    estimate.level,
  ].join(' · ');
}

const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_DAY = 86_400;
/** Room for a `16:05` tick label (uPlot's default), and for a `16:05:30` one. */
const TIME_TICK_SPACE_PX = 50;
const TIME_TICK_SPACE_WITH_SECONDS_PX = 80;

/**
 * The least room between time axis ticks, in px: wider when ticks at the usual room would be
 * under a minute apart, since those labels carry seconds (`16:05:30`) and would overlap.
 */
export function timeTickSpace(rangeSeconds: number, widthPx: number): number {
  return (rangeSeconds / widthPx) * TIME_TICK_SPACE_PX < SECONDS_PER_MINUTE
    ? TIME_TICK_SPACE_WITH_SECONDS_PX
    : TIME_TICK_SPACE_PX;
}

/**
 * A time axis's tick labels (ticks in epoch seconds) in 24-hour local time like the tables:
 * `16:05`, with the date (`2026-12-07`) on a second line on the first tick and wherever the day
 * changes. Seconds only when ticks are less than a minute apart; the date alone when a day or more.
 */
export function timeTickLabels(ticks: readonly number[], incrementSeconds: number): string[] {
  return ticks.map((tick, index) => {
    const time = new Date(tick * 1000);
    const date = localDate(time);
    if (incrementSeconds >= SECONDS_PER_DAY) return date;
    const parts = [time.getHours(), time.getMinutes()];
    if (incrementSeconds < SECONDS_PER_MINUTE) parts.push(time.getSeconds());
    const clock = parts.map((part) => String(part).padStart(2, '0')).join(':');
    const previous = index === 0 ? undefined : localDate(new Date(ticks[index - 1]! * 1000));
    return previous === date ? clock : `${clock}\n${date}`;
  });
}

function localDate(time: Date): string {
  const month = String(time.getMonth() + 1).padStart(2, '0');
  const day = String(time.getDate()).padStart(2, '0');
  return `${time.getFullYear()}-${month}-${day}`;
}

function sameLocalDay(a: Date, b: Date): boolean {
  return localDate(a) === localDate(b);
}

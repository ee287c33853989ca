import { DEFAULT_CONGESTION_ALERT_RULE } from '@message-bus/domain';

/**
 * What `traveltimes chart` draws, independent of how: a link's estimates over a time
 * range as runs of consecutive points (a run ends where an interval has no estimate or
 * no median, so gaps stay gaps), which of them are thin, and the "nice" axis ticks both
 * renderers share.
 */

/**
 * An estimate with fewer valid samples than this is thin. It is the congestion rule's
 * default (`traveltime.congestion_alert_min_samples`), which ignores such estimates as
 * noise: a median of one or two trips swings on one slow vehicle. The chart should not
 * draw as firmly what the alerting will not act on. (The estimator's own threshold for
 * `insufficient_data` is the same 3 by default, but a server may configure it; the
 * status check below covers that case.)
 */
export const THIN_BELOW_VALID_SAMPLES = DEFAULT_CONGESTION_ALERT_RULE.minValidSamples;

/** What a thin estimate is, for both renderers' legends. */
export const THIN_MEANING = `status not ok or fewer than ${THIN_BELOW_VALID_SAMPLES} valid samples`;

/** One estimate with a median; p15/p85 fall back to the median when absent. */
export interface ChartPoint {
  /** The estimate's interval end, in Unix milliseconds. */
  readonly time: number;
  readonly median: number;
  readonly p15: number;
  readonly p85: number;
  /** Set on an estimate to trust little (see isThinEstimate); absent on the typical band's points. */
  readonly thin?: boolean;
}

/** The estimate fields a chart uses (the wire's optional statistics as `undefined` when absent). */
export interface ChartEstimate {
  readonly time: number;
  readonly medianSeconds?: number | undefined;
  readonly p15Seconds?: number | undefined;
  readonly p85Seconds?: number | undefined;
  /** The estimate's status, e.g. `no_samples`; says why a gap is one. */
  readonly status?: string;
  readonly validSamples?: number;
}

/**
 * Whether an estimate is thin: its status is not `ok` (the estimator itself did not
 * trust it) or it has fewer than THIN_BELOW_VALID_SAMPLES valid samples. An estimate
 * that does not say (no status or sample count) is thin too: the chart vouches only for
 * what it knows. A route's sum of links has the worst of its links' statuses and the
 * fewest of their samples, so one thin link makes the sum thin.
 */
export function isThinEstimate(estimate: ChartEstimate): boolean {
  return estimate.status !== 'ok' || (estimate.validSamples ?? 0) < THIN_BELOW_VALID_SAMPLES;
}

export interface TravelTimeChart {
  readonly source: string;
  readonly destination: string;
  /** Set when the chart is of a route (source and destination are then its ends). */
  readonly route?: string;
  /** The x axis, in Unix milliseconds: the requested range, `start < end`. */
  readonly start: number;
  readonly end: number;
  /** Runs of consecutive estimates with a median, oldest first; never empty runs. */
  readonly segments: readonly (readonly ChartPoint[])[];
  /** The typical profile's p15–p85 band over the range, as runs (see typicalBand); absent without a profile. */
  readonly typical?: readonly (readonly ChartPoint[])[];
}

/**
 * Why the chart has gaps: estimates without a median counted by status, e.g.
 * `gaps: 12 no samples, 3 all rejected`; undefined when every estimate has a median.
 * "No samples" is a quiet link, "all rejected" one whose trips were all implausible.
 */
export function describeGaps(estimates: readonly ChartEstimate[]): string | undefined {
  const counts = new Map<string, number>();
  for (const estimate of estimates) {
    if (estimate.medianSeconds !== undefined) continue;
    const reason = (estimate.status ?? 'unspecified').replaceAll('_', ' ');
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  return `gaps: ${[...counts].map(([reason, count]) => `${count} ${reason}`).join(', ')}`;
}

export interface Tick {
  readonly value: number;
  readonly label: string;
}

/**
 * Splits `estimates` (any order) into runs. A run breaks at an estimate without a
 * median, and where two consecutive estimates are more than 1.5 intervals apart; the
 * interval is the smallest spacing between estimates (the worker writes one per interval).
 */
export function chartSegments(estimates: readonly ChartEstimate[]): ChartPoint[][] {
  const sorted = [...estimates].sort((a, b) => a.time - b.time);
  let interval = Number.POSITIVE_INFINITY;
  for (let index = 1; index < sorted.length; index += 1) {
    const spacing = sorted[index]!.time - sorted[index - 1]!.time;
    if (spacing > 0) interval = Math.min(interval, spacing);
  }
  const segments: ChartPoint[][] = [];
  let current: ChartPoint[] = [];
  let previousTime: number | undefined;
  for (const estimate of sorted) {
    const missedInterval = previousTime !== undefined && estimate.time - previousTime > 1.5 * interval;
    if ((missedInterval || estimate.medianSeconds === undefined) && current.length > 0) {
      segments.push(current);
      current = [];
    }
    previousTime = estimate.time;
    const median = estimate.medianSeconds;
    if (median === undefined) continue;
    current.push({
      time: estimate.time,
      median,
      p15: estimate.p15Seconds ?? median,
      p85: estimate.p85Seconds ?? median,
      thin: isThinEstimate(estimate),
    });
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

/** Step sizes of the value axis, in seconds: round numbers of seconds, minutes and hours. */
const VALUE_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800];

/**
 * The value axis over every point's p85, always from 0: travel times are ratio data, and
 * a reader judges "twice as long" by height only against a zero baseline. An axis zoomed
 * to the data (as before) stretched a 95–105 s wobble over the whole plot, where it looked
 * like a jam. The step is the smallest round one that needs at most `maxTicks` ticks from
 * 0 to the multiple of it at or above the highest p85 (one step when that is 0, so the
 * axis has a height). `min` is always 0; the renderers take it from here.
 */
export function valueAxis(
  segments: readonly (readonly ChartPoint[])[],
  maxTicks: number,
): { min: number; max: number; ticks: Tick[] } {
  const high = Math.max(...segments.flat().map((point) => point.p85));
  const stepsToTop = (step: number) => Math.max(Math.ceil(high / step), 1);
  const step =
    VALUE_STEPS.find((candidate) => stepsToTop(candidate) + 1 <= maxTicks) ??
    VALUE_STEPS[VALUE_STEPS.length - 1]!;
  const max = stepsToTop(step) * step;
  const ticks: Tick[] = [];
  for (let value = 0; value <= max; value += step) ticks.push({ value, label: formatDuration(value) });
  return { min: 0, max, ticks };
}

/** A duration as m:ss, or h:mm:ss from an hour on: `0:45`, `2:05`, `1:00:00`. */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Step sizes of the time axis, in milliseconds; multiples of each fall on round UTC times. */
const TIME_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/**
 * Ticks on the multiples of the smallest round step that puts at most `maxTicks` of
 * them in [start, end], labelled in UTC: `HH:MM:SS` for steps under a minute,
 * `HH:MM` under a day, `MM-DD` from a day on.
 */
export function timeTicks(start: number, end: number, maxTicks: number): Tick[] {
  const count = (step: number) => Math.floor(end / step) - Math.ceil(start / step) + 1;
  const step =
    TIME_STEPS.find((candidate) => count(candidate) <= maxTicks) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const ticks: Tick[] = [];
  for (let value = Math.ceil(start / step) * step; value <= end; value += step) {
    const iso = new Date(value).toISOString();
    const label = step < MINUTE ? iso.slice(11, 19) : step < DAY ? iso.slice(11, 16) : iso.slice(5, 10);
    ticks.push({ value, label });
  }
  return ticks;
}

/**
 * The chart's heading: link (or route) and range, e.g.
 * `travel time a1 → b1, 2026-01-30T08:00:00Z – 2026-01-30T10:00:00Z` or `travel time route east, …`.
 */
export function chartTitle(chart: TravelTimeChart): string {
  const instant = (millis: number) => new Date(millis).toISOString().replace('.000Z', 'Z');
  const subject =
    chart.route === undefined ? `${chart.source} → ${chart.destination}` : `route ${chart.route}`;
  return `travel time ${subject}, ${instant(chart.start)} – ${instant(chart.end)}`;
}

/** Every run the value axis must span: the estimates and the typical band. */
export function plottedRuns(chart: TravelTimeChart): readonly (readonly ChartPoint[])[] {
  return [...chart.segments, ...(chart.typical ?? [])];
}

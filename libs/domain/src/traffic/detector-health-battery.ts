import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import type { DetectorHealthRule } from './detector-health-rule';

/** One status report's battery reading. */
export interface BatteryReading {
  readonly time: UnixNanos;
  readonly volts: number;
}

export interface BatteryJudgement {
  /** The newest reading within the trend span; absent without one. */
  readonly latestVolts?: number;
  /**
   * The battery's change over a day: the median of the trend span's readings' changes
   * from the reading a day before; absent with fewer than `MIN_TREND_PAIRS` such pairs.
   */
  readonly voltsPerDay?: number;
  /** Hours until the trend reaches `batteryLowVolts` from the latest reading; set when it falls and is above it. */
  readonly hoursToLow?: number;
  /** `below`: the latest reading is under `batteryLowVolts`; `falling`: the trend reaches it within the horizon. */
  readonly low?: 'below' | 'falling';
  /** Whether an open battery alert may clear: above the threshold by the margin, and no fall forecast. */
  readonly recovered: boolean;
}

const SECONDS_PER_DAY = 86_400;
const DAY = BigInt(SECONDS_PER_DAY) * NANOS_PER_SECOND;
/** How far from exactly a day before a reading may be to pair with a recent one. */
export const BATTERY_PAIR_TOLERANCE_SECONDS = 1800;
/** Pairs a trend needs: one or two odd readings must not make it. */
const MIN_TREND_PAIRS = 6;

/**
 * A detector's battery: low when the latest reading is below `batteryLowVolts`, or when
 * its trend would take the latest reading to the threshold within `batteryHorizonHours`.
 *
 * The trend compares the same time of day: each reading of the last `batteryTrendHours`
 * with the reading about a day before it (within `BATTERY_PAIR_TOLERANCE_SECONDS`), and
 * takes the median of those daily changes (at least `MIN_TREND_PAIRS`). A solar-charged
 * pack swings every day (lowest before dawn, highest in the afternoon); a line fitted
 * over hours reads the evening's fall as a drain, while a day-on-day change cancels any
 * daily shape and leaves only what the battery lost. So `readings` must reach back a
 * day before the trend span (`batteryTrendHours` + 24 h + the tolerance); without a day
 * of readings (a new detector, a new store) there is no trend, only the threshold.
 *
 * Limits: a drain shows fully only after a day (a change since it began is averaged over
 * the day before it), and weather that differs from one day to the next (a dull day after
 * a sunny one) shows as a change; a few tenths of a volt a day are far from the horizon.
 */
export function judgeBattery(
  readings: readonly BatteryReading[],
  now: UnixNanos,
  rule: Pick<
    DetectorHealthRule,
    'batteryLowVolts' | 'batteryHorizonHours' | 'batteryTrendHours' | 'batteryClearMarginVolts'
  >,
): BatteryJudgement {
  const since = now - BigInt(Math.round(rule.batteryTrendHours * 3600)) * NANOS_PER_SECOND;
  const known = readings
    .filter((reading) => reading.time <= now)
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const recent = known.filter((reading) => reading.time >= since);
  const latest = recent.at(-1);
  if (latest === undefined) return { recovered: false };
  const voltsPerDay = dailyChange(recent, known);
  const hoursToLow =
    voltsPerDay !== undefined && voltsPerDay < 0 && latest.volts >= rule.batteryLowVolts
      ? ((latest.volts - rule.batteryLowVolts) / -voltsPerDay) * 24
      : undefined;
  const low =
    latest.volts < rule.batteryLowVolts
      ? 'below'
      : hoursToLow !== undefined && hoursToLow <= rule.batteryHorizonHours
        ? 'falling'
        : undefined;
  return {
    latestVolts: latest.volts,
    ...(voltsPerDay === undefined ? {} : { voltsPerDay }),
    ...(hoursToLow === undefined ? {} : { hoursToLow }),
    ...(low === undefined ? {} : { low }),
    recovered: low === undefined && latest.volts >= rule.batteryLowVolts + rule.batteryClearMarginVolts,
  };
}

/** The median change per day of `recent` readings from those a day before them in `known` (sorted by time). */
function dailyChange(
  recent: readonly BatteryReading[],
  known: readonly BatteryReading[],
): number | undefined {
  const tolerance = BigInt(BATTERY_PAIR_TOLERANCE_SECONDS) * NANOS_PER_SECOND;
  const changes: number[] = [];
  let cursor = 0;
  for (const reading of recent) {
    const target = reading.time - DAY;
    while (cursor + 1 < known.length && known[cursor + 1]!.time <= target) cursor += 1;
    const nearest = [known[cursor], known[cursor + 1]]
      .filter((candidate): candidate is BatteryReading => candidate !== undefined)
      .map((candidate) => ({ candidate, off: abs(candidate.time - target) }))
      .filter(({ off }) => off <= tolerance)
      .sort((a, b) => (a.off < b.off ? -1 : a.off > b.off ? 1 : 0))[0];
    if (nearest === undefined) continue;
    const days = Number(reading.time - nearest.candidate.time) / Number(DAY);
    changes.push((reading.volts - nearest.candidate.volts) / days);
  }
  if (changes.length < MIN_TREND_PAIRS) return undefined;
  const sorted = changes.sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

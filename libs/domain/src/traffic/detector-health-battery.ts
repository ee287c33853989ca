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
  /** The least-squares slope of the readings within the trend span; absent with fewer than 3 over less than an hour. */
  readonly voltsPerDay?: number;
  /** Hours until the trend reaches `batteryLowVolts` from the latest reading; set when it falls and is above it. */
  readonly hoursToLow?: number;
  /** `below`: the latest reading is under `batteryLowVolts`; `falling`: the trend reaches it within the horizon. */
  readonly low?: 'below' | 'falling';
  /** Whether an open battery alert may clear: above the threshold by the margin, and no fall forecast. */
  readonly recovered: boolean;
}

const SECONDS_PER_DAY = 86_400;
const MIN_TREND_READINGS = 3;
const MIN_TREND_SECONDS = 3600;

/**
 * A detector's battery by its readings of the last `batteryTrendHours`: low when the
 * latest reading is below `batteryLowVolts`, or when the straight line fitted through the
 * readings (least squares; at least 3 over at least an hour) falls so fast that the latest
 * reading would reach the threshold within `batteryHorizonHours`.
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
  const recent = readings
    .filter((reading) => reading.time >= since && reading.time <= now)
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const latest = recent.at(-1);
  if (latest === undefined) return { recovered: false };
  const voltsPerDay = trendVoltsPerDay(recent);
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

function trendVoltsPerDay(readings: readonly BatteryReading[]): number | undefined {
  const first = readings[0];
  const last = readings.at(-1);
  if (first === undefined || last === undefined || readings.length < MIN_TREND_READINGS) return undefined;
  if (Number(last.time - first.time) / Number(NANOS_PER_SECOND) < MIN_TREND_SECONDS) return undefined;
  // Seconds after the first reading keep the numbers small enough for exact sums.
  const xs = readings.map((reading) => Number(reading.time - first.time) / Number(NANOS_PER_SECOND));
  const meanX = xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const meanY = readings.reduce((sum, reading) => sum + reading.volts, 0) / readings.length;
  let covariance = 0;
  let variance = 0;
  xs.forEach((x, index) => {
    covariance += (x - meanX) * (readings[index]!.volts - meanY);
    variance += (x - meanX) ** 2;
  });
  return (covariance / variance) * SECONDS_PER_DAY;
}

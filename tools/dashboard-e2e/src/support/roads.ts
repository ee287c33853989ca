import { type DetectorId, type UnixNanos } from '@message-bus/domain';
import {
  corridorScenario,
  groundTruth,
  WEEKDAY_PROFILE,
  type CongestionEpisode,
  type Scenario,
} from '@message-bus/simulation';

const NANOS_PER_MILLI = 1_000_000n;
const SECONDS_PER_DAY = 86_400;

export function nanosOfMillis(millis: number): UnixNanos {
  return (BigInt(Math.round(millis)) * NANOS_PER_MILLI) as UnixNanos;
}

export function millisOfNanos(nanos: bigint): number {
  return Number(nanos / NANOS_PER_MILLI);
}

/**
 * A motorway of `detectorCount` detectors about 2 km apart, busy at every hour (a flat
 * daily profile, so a test at night has as many trips as one at noon), without stops or
 * clock skew and without the corridor's own rush-hour jams: what congestion there is,
 * the caller adds.
 */
export function busyCorridor(detectorCount: number, skipLinks: boolean): Scenario {
  const scenario = corridorScenario({
    name: 'dashboard-e2e',
    detectorCount,
    skipLinks,
    vehiclesPerHour: 1800,
    detectionShare: 0.4,
    stopShare: 0,
    maxClockSkewSeconds: 0,
  });
  return {
    ...scenario,
    dailyProfile: WEEKDAY_PROFILE.map(() => 1),
    segments: scenario.segments.map((segment) => ({ ...segment, congestion: [] })),
  };
}

/**
 * The corridor with a jam on some segments, at its peak from 15 minutes before
 * `nowMillis` on: a map of several congestion levels. `peakFactors` by segment index,
 * e.g. `{ 1: 1.45, 3: 1.8 }` (moderate and heavy against a free-flow typical time).
 */
export function jammedCorridor(
  detectorCount: number,
  nowMillis: number,
  peakFactors: Readonly<Record<number, number>>,
): Scenario {
  const scenario = busyCorridor(detectorCount, true);
  const secondOfDay = Math.floor(nowMillis / 1000) % SECONDS_PER_DAY;
  // A jam that began before midnight would be cut at it; just after midnight it starts at 00:00.
  const startSecondOfDay = Math.max(0, secondOfDay - 20 * 60);
  return {
    ...scenario,
    segments: scenario.segments.map((segment, index) => {
      const peakFactor = peakFactors[index];
      if (peakFactor === undefined) return segment;
      const jam: CongestionEpisode = { startSecondOfDay, rampSeconds: 300, holdSeconds: 7200, peakFactor };
      return { ...segment, congestion: [jam] };
    }),
  };
}

/** Each link's travel time on a free road: the typical time the fixture's profiles hold. */
export function freeFlowSeconds(
  scenario: Scenario,
): ReadonlyMap<string, { source: DetectorId; destination: DetectorId; seconds: number }> {
  return new Map(
    groundTruth(scenario).links.map((link) => [
      linkKey(link),
      { source: link.source, destination: link.destination, seconds: link.freeFlowSeconds },
    ]),
  );
}

export function linkKey(link: { readonly source: string; readonly destination: string }): string {
  return `${link.source}→${link.destination}`;
}

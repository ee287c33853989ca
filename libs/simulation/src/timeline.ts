import { NANOS_PER_SECOND, type DetectorId, type UnixNanos } from '@message-bus/domain';
import { incidentSlowdowns, type Disruptions } from './disruptions';
import {
  HOURS_PER_DAY,
  pairKey,
  SECONDS_PER_DAY,
  type CongestionEpisode,
  type Scenario,
  type SignalTiming,
} from './scenario';

const DAY_NANOS = BigInt(SECONDS_PER_DAY) * NANOS_PER_SECOND;
/** ISO day of week of unix day 0, 1970-01-01: a Thursday. */
const ISO_DAY_OF_UNIX_EPOCH = 4;

/** A slowdown of one segment in seconds after the timeline's origin. */
interface TimedSlowdown {
  readonly start: number;
  readonly end: number;
  readonly factor: number;
  readonly rampSeconds: number;
}

/**
 * The scenario's traffic at any instant of a span, given as seconds after the span's
 * origin (a UTC midnight): which days are weekend days (Saturdays, Sundays and
 * holidays, when the scenario has weekend traffic), the volume multiplier, and how slow
 * each segment is (the daily congestion episodes where they apply, and incidents).
 * Seconds after a midnight keep the precision of the time of day the daily model uses.
 */
export class Timeline {
  readonly #scenario: Scenario;
  readonly #originDay: number;
  readonly #holidays: ReadonlySet<number>;
  readonly #slowdowns = new Map<string, TimedSlowdown[]>();

  /** `origin` is rounded down to its UTC midnight. */
  constructor(scenario: Scenario, disruptions: Disruptions, origin: UnixNanos) {
    this.#scenario = scenario;
    this.#originDay = Number(floorDiv(origin, DAY_NANOS));
    const originNanos = BigInt(this.#originDay) * DAY_NANOS;
    this.#holidays = new Set((disruptions.holidays ?? []).map((day) => Number(floorDiv(day, DAY_NANOS))));
    for (const incident of disruptions.incidents ?? []) {
      for (const slowdown of incidentSlowdowns(scenario, incident)) {
        const key = pairKey(slowdown.from, slowdown.to);
        const list = this.#slowdowns.get(key) ?? [];
        list.push({
          start: Number(slowdown.start - originNanos) / Number(NANOS_PER_SECOND),
          end: Number(slowdown.end - originNanos) / Number(NANOS_PER_SECOND),
          factor: slowdown.factor,
          rampSeconds: slowdown.rampSeconds,
        });
        this.#slowdowns.set(key, list);
      }
    }
  }

  /** The origin's unix day: the timeline's second 0 is its midnight. */
  get originDay(): number {
    return this.#originDay;
  }

  /** Whether the day of `seconds` runs the scenario's weekend traffic (never without `weekend`). */
  isWeekendDay(seconds: number): boolean {
    if (this.#scenario.weekend === undefined) return false;
    const day = this.#originDay + Math.floor(seconds / SECONDS_PER_DAY);
    return isoDayOfWeek(day) >= 6 || this.#holidays.has(day);
  }

  /** The volume multiplier of every flow at `seconds`. */
  volumeAt(seconds: number): number {
    const weekend = this.#scenario.weekend;
    const profile =
      weekend !== undefined && this.isWeekendDay(seconds)
        ? weekend.dailyProfile
        : this.#scenario.dailyProfile;
    return profileAt(profile, seconds);
  }

  /** The most the volume multiplier ever is. */
  peakVolume(): number {
    return Math.max(...this.#scenario.dailyProfile, ...(this.#scenario.weekend?.dailyProfile ?? []));
  }

  /** How many times its free-flow time the segment takes for a vehicle entering it at `seconds`. */
  segmentFactor(segment: CompiledSegment, seconds: number): number {
    const secondOfDay = modulo(seconds, SECONDS_PER_DAY);
    let factor =
      this.#scenario.weekend === undefined || this.#scenario.weekend.congestion
        ? congestionFactor(segment.congestion, secondOfDay)
        : congestionFactor(
            // An episode belongs to the day it starts on; a weekend day's do not happen.
            segment.congestion.filter(
              (episode) =>
                !this.isWeekendDay(seconds - modulo(secondOfDay - episode.startSecondOfDay, SECONDS_PER_DAY)),
            ),
            secondOfDay,
          );
    for (const slowdown of this.#slowdowns.get(pairKey(segment.from, segment.to)) ?? []) {
      factor = Math.max(factor, slowdownFactor(slowdown, seconds));
    }
    return factor;
  }

  /** The true driving time of the segment for a vehicle entering it at `seconds`. */
  segmentSeconds(segment: CompiledSegment, seconds: number): number {
    return segment.freeFlowSeconds * this.segmentFactor(segment, seconds);
  }
}

/** A road segment with its free-flow time resolved. */
export interface CompiledSegment {
  readonly from: DetectorId;
  readonly to: DetectorId;
  readonly lengthMeters: number;
  readonly freeFlowSeconds: number;
  readonly congestion: readonly CongestionEpisode[];
  readonly signal?: SignalTiming;
}

/** How many times its free-flow time a segment takes at `secondOfDay`; overlapping episodes take the worst. */
export function congestionFactor(episodes: readonly CongestionEpisode[], secondOfDay: number): number {
  let factor = 1;
  for (const episode of episodes) {
    const sinceStart = modulo(secondOfDay - episode.startSecondOfDay, SECONDS_PER_DAY);
    const { rampSeconds, holdSeconds, peakFactor } = episode;
    let episodeFactor = 1;
    if (sinceStart < rampSeconds) {
      episodeFactor = 1 + ((peakFactor - 1) * sinceStart) / rampSeconds;
    } else if (sinceStart < rampSeconds + holdSeconds) {
      episodeFactor = peakFactor;
    } else if (sinceStart < 2 * rampSeconds + holdSeconds) {
      episodeFactor =
        peakFactor - ((peakFactor - 1) * (sinceStart - rampSeconds - holdSeconds)) / rampSeconds;
    }
    factor = Math.max(factor, episodeFactor);
  }
  return factor;
}

export function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

/** An incident's factor on its segment at `seconds`: ramping up from its start, down from its end. */
function slowdownFactor(slowdown: TimedSlowdown, seconds: number): number {
  const { start, end, factor, rampSeconds } = slowdown;
  if (seconds <= start || seconds >= end + rampSeconds) return 1;
  const rising = rampSeconds === 0 ? 1 : Math.min(1, (seconds - start) / rampSeconds);
  const falling = seconds < end ? 1 : 1 - (seconds - end) / rampSeconds;
  return 1 + (factor - 1) * Math.min(rising, falling);
}

/** ISO day of week (1 = Monday … 7 = Sunday) of a unix day number. */
export function isoDayOfWeek(unixDay: number): number {
  return modulo(unixDay + ISO_DAY_OF_UNIX_EPOCH - 1, 7) + 1;
}

/** The profile's multiplier at a time (seconds after a midnight), linear between the hourly values. */
function profileAt(profile: readonly number[], seconds: number): number {
  const hours = modulo(seconds, SECONDS_PER_DAY) / 3600;
  const hour = Math.floor(hours);
  const before = profile[hour] ?? 0;
  const after = profile[(hour + 1) % HOURS_PER_DAY] ?? 0;
  return before + (after - before) * (hours - hour);
}

export function floorDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value % divisor < 0n ? quotient - 1n : quotient;
}

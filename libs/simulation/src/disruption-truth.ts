import { NANOS_PER_SECOND, type DetectorId, type UnixNanos } from '@message-bus/domain';
import { incidentSlowdowns, type ClockDrift, type Disruptions, type Incident } from './disruptions';
import { groundTruth } from './ground-truth';
import { findRoadPath, pairKey, type Scenario } from './scenario';
import type { Journey } from './simulate';

/** Whether `detectorId` is silent (an outage) at `at`. */
export function silentAt(disruptions: Disruptions, detectorId: DetectorId, at: UnixNanos): boolean {
  return (disruptions.outages ?? []).some(
    (outage) =>
      outage.detectorId === detectorId &&
      at >= outage.from &&
      (outage.until === undefined || at < outage.until),
  );
}

/** How far ahead of true time the detector's clock is at `at`, in seconds: its fixed skew plus any drift. */
export function clockOffsetSecondsAt(
  scenario: Scenario,
  disruptions: Disruptions,
  detectorId: DetectorId,
  at: UnixNanos,
): number {
  let seconds = scenario.detectors.find((detector) => detector.id === detectorId)?.clockSkewSeconds ?? 0;
  for (const drift of disruptions.clockDrifts ?? []) {
    if (
      drift.detectorId !== detectorId ||
      at <= drift.from ||
      (drift.until !== undefined && at >= drift.until)
    ) {
      continue;
    }
    seconds += (drift.secondsPerHour * Number(at - drift.from)) / Number(NANOS_PER_SECOND) / 3600;
  }
  return seconds;
}

/** When the drifting clock's offset (its skew plus the drift) first reaches `offsetSeconds` in size. */
export function clockOffsetReachesAt(
  scenario: Scenario,
  drift: ClockDrift,
  offsetSeconds: number,
): UnixNanos {
  const skew = scenario.detectors.find((detector) => detector.id === drift.detectorId)?.clockSkewSeconds ?? 0;
  const target = Math.sign(drift.secondsPerHour) * Math.abs(offsetSeconds);
  const hours = Math.max(0, (target - skew) / drift.secondsPerHour);
  return drift.from + BigInt(Math.ceil(hours * 3600 * 1e9));
}

/** How one link lived through an incident. */
export interface LinkCongestion {
  readonly source: DetectorId;
  readonly destination: DetectorId;
  /** When the queue reached the link's road: the earliest slowdown of its segments. */
  readonly slowFrom: UnixNanos;
  /**
   * The arrivals whose travel time the incident made at least `minRatio` times what it
   * would have been: first and last such arrival instant (by `stepSeconds`); absent when none.
   */
  readonly congestedFrom?: UnixNanos;
  readonly congestedUntil?: UnixNanos;
  /** The highest travel time with the incident over without, among those arrivals. */
  readonly peakRatio: number;
}

export interface LinkCongestionOptions {
  /** Default 1.25: a quarter slower than it would have been. */
  readonly minRatio?: number;
  /** Arrival instants are scanned at this step; default 10 s. */
  readonly stepSeconds?: number;
}

/**
 * The incident's ground truth per link of the scenario: every link whose road it slows,
 * when the queue reached it, and the span of arrivals it made slower by `minRatio`
 * (the travel time with the incident against the same scenario without it).
 */
export function incidentCongestion(
  scenario: Scenario,
  incident: Incident,
  options: LinkCongestionOptions = {},
): LinkCongestion[] {
  const minRatio = options.minRatio ?? 1.25;
  const step = BigInt(Math.round((options.stepSeconds ?? 10) * 1e9));
  const normal = groundTruth(scenario);
  const disrupted = groundTruth(scenario, { incidents: [incident] });
  const slowdowns = incidentSlowdowns(scenario, incident);
  const congestion: LinkCongestion[] = [];
  for (const link of normal.links) {
    const road = roadKeys(scenario, link.source, link.destination);
    const slowed = slowdowns.filter((slowdown) => road.has(pairKey(slowdown.from, slowdown.to)));
    if (slowed.length === 0) continue;
    const slowFrom = slowed.reduce(
      (earliest, slowdown) => (slowdown.start < earliest ? slowdown.start : earliest),
      incident.end,
    );
    const lastSlow = Math.max(...slowed.map((slowdown) => slowdown.rampSeconds));
    const scanUntil = incident.end + BigInt(Math.ceil((lastSlow + link.maxSeconds) * 1e9));
    let congestedFrom: UnixNanos | undefined;
    let congestedUntil: UnixNanos | undefined;
    let peakRatio = 1;
    for (let at = slowFrom; at <= scanUntil; at += step) {
      const ratio = disrupted.travelSecondsArrivingAt(link, at) / normal.travelSecondsArrivingAt(link, at);
      peakRatio = Math.max(peakRatio, ratio);
      if (ratio < minRatio) continue;
      congestedFrom ??= at;
      congestedUntil = at;
    }
    congestion.push({
      source: link.source,
      destination: link.destination,
      slowFrom,
      ...(congestedFrom === undefined ? {} : { congestedFrom, congestedUntil }),
      peakRatio,
    });
  }
  return congestion;
}

/** One bin of a week of travel times. */
export interface WeekBinTruth {
  /** ISO day of week, 1 = Monday … 7 = Sunday (UTC). */
  readonly dayOfWeek: number;
  readonly minuteOfDay: number;
  /** The median of the truth at each step's instant in the bin. */
  readonly medianSeconds: number;
}

/**
 * A week of travel times by bin: for each bin of the week starting at `weekStart` (a
 * Monday 00:00 UTC), the median of `secondsAt` at the instants `binStart + k × stepSeconds`
 * within the bin: what a typical profile built from estimates every `stepSeconds` should
 * find there. `secondsAt` is a truth, e.g. `(at) => truth.travelSecondsArrivingAt(link, at)`.
 */
export function weekBins(
  secondsAt: (at: UnixNanos) => number,
  weekStart: UnixNanos,
  binMinutes = 15,
  stepSeconds = 60,
): WeekBinTruth[] {
  const bins: WeekBinTruth[] = [];
  const perBin = Math.max(1, Math.floor((binMinutes * 60) / stepSeconds));
  for (let day = 0; day < 7; day += 1) {
    for (let minute = 0; minute < 1440; minute += binMinutes) {
      const binStart = weekStart + BigInt((day * 1440 + minute) * 60) * NANOS_PER_SECOND;
      const values: number[] = [];
      for (let k = 0; k < perBin; k += 1)
        values.push(secondsAt(binStart + BigInt(k * stepSeconds) * NANOS_PER_SECOND));
      values.sort((a, b) => a - b);
      const middle = Math.floor(values.length / 2);
      const medianSeconds =
        values.length % 2 === 1
          ? (values[middle] as number)
          : ((values[middle - 1] as number) + (values[middle] as number)) / 2;
      bins.push({ dayOfWeek: day + 1, minuteOfDay: minute, medianSeconds });
    }
  }
  return bins;
}

/** The true trips between detectors. */
export interface OriginDestinationTruth {
  /** Trips by origin and destination, keyed `origin>destination`. */
  readonly trips: ReadonlyMap<string, number>;
  /** Trips seen at one detector only. */
  readonly singleDetectorTrips: number;
}

/**
 * The trips the simulated vehicles truly made among `detectorIds` in `[after, before)`:
 * each vehicle's sightings at those detectors in the range, split where it went unseen
 * for longer than `tripGapSeconds`; a trip counts from the detector it was first seen
 * at to the one it was last seen at, or as a single-detector trip when it was seen at
 * one detector only. Known by the vehicle, not by its (rotating) pseudonym.
 */
export function originDestinationTruth(
  journeys: readonly Journey[],
  detectorIds: readonly DetectorId[],
  range: { readonly after: UnixNanos; readonly before: UnixNanos },
  tripGapSeconds = 3600,
): OriginDestinationTruth {
  const counted = new Set<string>(detectorIds);
  const gap = BigInt(Math.round(tripGapSeconds * 1e9));
  const trips = new Map<string, number>();
  let singleDetectorTrips = 0;
  const close = (origin: string, last: string, moved: boolean): void => {
    if (!moved) {
      singleDetectorTrips += 1;
      return;
    }
    const key = `${origin}>${last}`;
    trips.set(key, (trips.get(key) ?? 0) + 1);
  };
  for (const journey of journeys) {
    const seen = journey.passes
      .filter((pass) => counted.has(pass.detectorId))
      .flatMap((pass) =>
        pass.times
          .filter((time) => time >= range.after && time < range.before)
          .map((time) => ({ detector: pass.detectorId as string, time })),
      )
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    let trip: { origin: string; last: string; lastTime: UnixNanos; moved: boolean } | undefined;
    for (const { detector, time } of seen) {
      if (trip !== undefined && time - trip.lastTime > gap) {
        close(trip.origin, trip.last, trip.moved);
        trip = undefined;
      }
      if (trip === undefined) trip = { origin: detector, last: detector, lastTime: time, moved: false };
      else {
        trip.last = detector;
        trip.lastTime = time;
        if (detector !== trip.origin) trip.moved = true;
      }
    }
    if (trip !== undefined) close(trip.origin, trip.last, trip.moved);
  }
  return { trips, singleDetectorTrips };
}

/** The `from>to` keys of the segments on the road from `source` to `destination`. */
function roadKeys(scenario: Scenario, source: string, destination: string): Set<string> {
  return new Set(
    (findRoadPath(scenario.segments, source, destination) ?? []).map((segment) =>
      pairKey(segment.from, segment.to),
    ),
  );
}

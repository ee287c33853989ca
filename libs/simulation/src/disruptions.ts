import {
  distanceMeters,
  parseDetectorId,
  ValidationError,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import { checkNumber } from './number-rules';
import { pairKey, type RoadSegment, type Scenario } from './scenario';

/**
 * A one-off slowdown: at `onset` the segment `from` → `to` starts to take `factor` times
 * its free-flow time; the queue behind it grows upstream at `upstreamMetersPerSecond`,
 * slowing each upstream segment by the same factor from the moment the queue reaches its
 * downstream end, until `end`. Each segment reaches the factor, and falls back from it
 * after `end`, within a ramp (see `SegmentSlowdown.rampSeconds`): just fast enough that
 * no vehicle overtakes another, so a vehicle's travel time is a function of its arrival.
 */
export interface Incident {
  readonly from: DetectorId;
  readonly to: DetectorId;
  readonly onset: UnixNanos;
  readonly end: UnixNanos;
  /** Travel time over free flow while it lasts, e.g. 3. */
  readonly factor: number;
  /** How fast the queue's tail moves upstream, e.g. 4 (about 15 km/h, a typical shock wave). */
  readonly upstreamMetersPerSecond: number;
}

/** A detector that reports nothing (no sightings, no status) from `from` until `until` (or for good). */
export interface DetectorOutage {
  readonly detectorId: DetectorId;
  readonly from: UnixNanos;
  readonly until?: UnixNanos;
}

/**
 * A detector whose clock drifts from `from` on: its offset grows by `secondsPerHour`
 * every hour, until `until` (when it is set right again; never, when absent).
 */
export interface ClockDrift {
  readonly detectorId: DetectorId;
  readonly from: UnixNanos;
  readonly until?: UnixNanos;
  /** Positive: the clock runs fast, its sightings carry later times than the truth. */
  readonly secondsPerHour: number;
}

/** A battery that stops charging at `from` and loses `voltsPerDay` from then on. */
export interface BatteryDrain {
  readonly detectorId: DetectorId;
  readonly from: UnixNanos;
  readonly voltsPerDay: number;
}

/**
 * What happens once, at known instants, on top of a scenario's recurring traffic: the
 * ground truth of the traffic products (alerts, detector health, typical profiles) is
 * these instants. Every list is optional.
 */
export interface Disruptions {
  readonly incidents?: readonly Incident[];
  readonly outages?: readonly DetectorOutage[];
  readonly clockDrifts?: readonly ClockDrift[];
  readonly batteryDrains?: readonly BatteryDrain[];
  /** Days (any instant in them, UTC) run as weekend days: the scenario's `weekend` traffic. */
  readonly holidays?: readonly UnixNanos[];
}

/** An incident's slowdown of one segment, in time order of the queue reaching it. */
export interface SegmentSlowdown {
  readonly from: DetectorId;
  readonly to: DetectorId;
  /** When the queue reached the segment's downstream end: from then on it is slow. */
  readonly start: UnixNanos;
  /** The incident's end: from then on it recovers. */
  readonly end: UnixNanos;
  readonly factor: number;
  /**
   * How long it takes to reach the factor, and to recover: 1.25 × (factor − 1) × its
   * free-flow time, so the travel time grows by 0.8 s per second of entry at most and a
   * later vehicle never arrives first.
   */
  readonly rampSeconds: number;
}

/** Travel time may grow by this much per second of later entry: below 1, no vehicle overtakes. */
const MAX_TRAVEL_TIME_GROWTH = 0.8;

/**
 * The segments an incident slows and from when: its own segment at its onset, then each
 * segment upstream (following the road backwards, the first segment into each detector
 * in scenario order) once the queue has grown over the segments between, while that is
 * before the incident's end.
 */
export function incidentSlowdowns(scenario: Scenario, incident: Incident): SegmentSlowdown[] {
  const slowdowns: SegmentSlowdown[] = [];
  const visited = new Set<string>();
  let segment: RoadSegment | undefined = scenario.segments.find(
    (candidate) => candidate.from === incident.from && candidate.to === incident.to,
  );
  let reached = incident.onset;
  while (segment !== undefined && reached < incident.end && !visited.has(pairKey(segment.from, segment.to))) {
    visited.add(pairKey(segment.from, segment.to));
    const lengthMeters = segmentLength(scenario, segment);
    const freeFlowSeconds = lengthMeters / (segment.freeFlowKmh / 3.6);
    slowdowns.push({
      from: segment.from,
      to: segment.to,
      start: reached,
      end: incident.end,
      factor: incident.factor,
      rampSeconds: ((incident.factor - 1) * freeFlowSeconds) / MAX_TRAVEL_TIME_GROWTH,
    });
    reached += BigInt(Math.round((lengthMeters / incident.upstreamMetersPerSecond) * 1e9));
    const upstreamOf: DetectorId = segment.from;
    segment = scenario.segments.find((candidate) => candidate.to === upstreamOf);
  }
  return slowdowns;
}

/** Checks disruptions against their scenario, naming the first bad field (`incidents[0].factor`) and why. */
export function validateDisruptions(scenario: Scenario, disruptions: Disruptions): void {
  const detectorIds = new Set<string>(scenario.detectors.map((detector) => detector.id));
  const detector = (id: string, field: string): void => {
    parseDetectorId(id, field);
    if (!detectorIds.has(id)) {
      throw new ValidationError(
        'unknown_value',
        field,
        `is "${id}", which is not a detector of the scenario`,
      );
    }
  };
  const ordered = (from: UnixNanos, until: UnixNanos, field: string): void => {
    if (until <= from) {
      throw new ValidationError('out_of_range', field, 'is not after the start; it must end after it begins');
    }
  };
  (disruptions.incidents ?? []).forEach((incident, index) => {
    const field = `incidents[${index}]`;
    if (!scenario.segments.some((segment) => segment.from === incident.from && segment.to === incident.to)) {
      throw new ValidationError(
        'unknown_value',
        field,
        `is on "${incident.from}" → "${incident.to}", which is not a segment of the scenario`,
      );
    }
    ordered(incident.onset, incident.end, `${field}.end`);
    checkNumber(
      incident.factor,
      `${field}.factor`,
      { min: 1, max: 20 },
      'a slowdown is 1 to 20 times free flow',
    );
    checkNumber(
      incident.upstreamMetersPerSecond,
      `${field}.upstreamMetersPerSecond`,
      { min: 0, minExclusive: true, max: 100 },
      'a queue grows upstream at more than 0 and at most 100 m/s',
    );
  });
  (disruptions.outages ?? []).forEach((outage, index) => {
    detector(outage.detectorId, `outages[${index}].detectorId`);
    if (outage.until !== undefined) ordered(outage.from, outage.until, `outages[${index}].until`);
  });
  (disruptions.clockDrifts ?? []).forEach((drift, index) => {
    detector(drift.detectorId, `clockDrifts[${index}].detectorId`);
    if (drift.until !== undefined) ordered(drift.from, drift.until, `clockDrifts[${index}].until`);
    checkNumber(
      drift.secondsPerHour,
      `clockDrifts[${index}].secondsPerHour`,
      { min: -3600, max: 3600 },
      'a drift is within ±3600 seconds per hour',
    );
  });
  (disruptions.batteryDrains ?? []).forEach((drain, index) => {
    detector(drain.detectorId, `batteryDrains[${index}].detectorId`);
    checkNumber(
      drain.voltsPerDay,
      `batteryDrains[${index}].voltsPerDay`,
      { min: 0, minExclusive: true, max: 60 },
      'a battery loses more than 0 and at most 60 V a day',
    );
  });
}

function segmentLength(scenario: Scenario, segment: RoadSegment): number {
  if (segment.lengthMeters !== undefined) return segment.lengthMeters;
  const at = (id: DetectorId) => scenario.detectors.find((detector) => detector.id === id)?.coordinates;
  const start = at(segment.from);
  const end = at(segment.to);
  return start === undefined || end === undefined ? 0 : distanceMeters(start, end);
}

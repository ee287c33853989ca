import {
  coordinatesFromFixed,
  DEVICE_KINDS,
  distanceMeters,
  parseDetectorId,
  parseDetectorLink,
  ValidationError,
  type Coordinates,
  type DetectorId,
  type DeviceKind,
} from '@message-bus/domain';
import { checkNumber } from './number-rules';

/** A roadside detector: where it stands, and how wrong its clock is. */
export interface ScenarioDetector {
  readonly id: DetectorId;
  readonly coordinates: Coordinates;
  /** Seconds this detector's clock runs ahead of true time (negative: behind); added to its sightings. */
  readonly clockSkewSeconds: number;
}

/**
 * A congestion episode on a road segment, repeating every day: the travel time rises
 * linearly from free flow to `peakFactor` × free flow over `rampSeconds`, holds for
 * `holdSeconds`, and falls back over another `rampSeconds`.
 */
export interface CongestionEpisode {
  /** When the ramp up begins, in seconds after midnight UTC (0..86399), e.g. 24300 for 06:45. */
  readonly startSecondOfDay: number;
  readonly rampSeconds: number;
  readonly holdSeconds: number;
  /** The travel time at the peak relative to free flow, e.g. 2 doubles it. */
  readonly peakFactor: number;
}

/**
 * A traffic signal at the end of a segment, before its `to` detector's range. A vehicle
 * reaches it at a random moment of the cycle: during the green (`greenSeconds` of every
 * `cycleSeconds`) it drives on, otherwise it waits out the rest of the red, uniform in
 * [0, cycle − green]. Travel times become bimodal: those who catch the green and those
 * who wait a red.
 */
export interface SignalTiming {
  readonly cycleSeconds: number;
  readonly greenSeconds: number;
}

/** The road between two consecutive detectors, driven from `from` to `to`. */
export interface RoadSegment {
  readonly from: DetectorId;
  readonly to: DetectorId;
  /** Driven distance; defaults to the straight line between the detectors. */
  readonly lengthMeters?: number;
  /** The speed of free-flowing traffic, which gives the free-flow travel time. */
  readonly freeFlowKmh: number;
  readonly congestion: readonly CongestionEpisode[];
  /** A signal where the segment ends; none on a motorway. */
  readonly signal?: SignalTiming;
}

/**
 * A link the system estimates, as it would be configured (`collector.DetectorLink`).
 * It follows the road: its true travel time is that of the chain of segments from
 * `source` to `destination`, so a link may skip detectors.
 */
export interface ScenarioLink {
  readonly source: DetectorId;
  readonly destination: DetectorId;
  readonly maxSeconds: number;
  /** A configured length for speeds; without it, speeds use the straight-line distance. */
  readonly lengthMeters?: number;
}

/** Vehicles that enter at `path[0]` (the corridor's start or an on-ramp) and leave after the last detector. */
export interface TrafficFlow {
  /** Consecutive detectors; each consecutive pair is a road segment. */
  readonly path: readonly DetectorId[];
  /** Vehicles entering per hour when the daily profile is 1. */
  readonly vehiclesPerHour: number;
}

export interface DetectionSettings {
  /** The share of vehicles carrying a device that detectors see, e.g. 0.05 (typically 0.02–0.09). */
  readonly share: number;
  /** Relative weights of the radios detected devices are seen on (normalised). */
  readonly kindShares: Readonly<Record<DeviceKind, number>>;
}

export interface PassSettings {
  /** A device is seen `min`..`max` times (uniform) while in range of a detector. */
  readonly min: number;
  readonly max: number;
  /**
   * How long a free-flowing vehicle stays in range, in seconds; sightings fall
   * uniformly within it, centred on the moment it passes. Slower traffic stays longer.
   */
  readonly dwellSeconds: number;
}

export interface StopSettings {
  /** The share of link traversals on which a vehicle stops or detours, e.g. 0.15. */
  readonly share: number;
  /** The extra time such a vehicle takes is uniform in [minDelaySeconds, maxDelaySeconds]. */
  readonly minDelaySeconds: number;
  readonly maxDelaySeconds: number;
}

/** How Saturdays and Sundays (and holidays) differ from weekdays. */
export interface WeekendSettings {
  /** 24 volume multipliers, as the scenario's `dailyProfile` (which then applies Monday to Friday). */
  readonly dailyProfile: readonly number[];
  /** Whether the segments' congestion episodes happen on weekend days too; commuter jams do not. */
  readonly congestion: boolean;
}

/** Everything a simulation needs besides a seed and a time span. Times of day are UTC. */
export interface Scenario {
  readonly name: string;
  readonly detectors: readonly ScenarioDetector[];
  readonly segments: readonly RoadSegment[];
  readonly links: readonly ScenarioLink[];
  readonly flows: readonly TrafficFlow[];
  /** 24 multipliers of every flow's volume at 00:00, 01:00, … 23:00 UTC, linear in between. */
  readonly dailyProfile: readonly number[];
  /** Weekend traffic; absent, every day is like a weekday. */
  readonly weekend?: WeekendSettings;
  readonly detection: DetectionSettings;
  readonly sightingsPerPass: PassSettings;
  readonly stops: StopSettings;
  /**
   * The spread of individual vehicles around the true travel time: each traversal takes
   * truth × exp(spread × N(0, 1)), so the truth is the median vehicle. 0.06 is about ±6 %.
   */
  readonly travelTimeSpread: number;
}

export const HOURS_PER_DAY = 24;
export const SECONDS_PER_DAY = 86_400;

/** Typical shares of detected radios: phones' WiFi and Bluetooth, some cellular (IMSI) catchers. */
export const DEFAULT_KIND_SHARES: Readonly<Record<DeviceKind, number>> = {
  wifi: 0.4,
  bluetooth: 0.45,
  mobile: 0.15,
};
/** 1–3 sightings within about 110 m of range at 100 km/h. */
export const DEFAULT_SIGHTINGS_PER_PASS: PassSettings = { min: 1, max: 3, dwellSeconds: 4 };
/** No stops unless asked for; when asked, a stop or detour costs 2 to 20 minutes. */
export const DEFAULT_STOPS: StopSettings = { share: 0, minDelaySeconds: 120, maxDelaySeconds: 1200 };
export const DEFAULT_TRAVEL_TIME_SPREAD = 0.06;

/**
 * Checks every rule a scenario must satisfy before it is simulated, throwing a
 * `ValidationError` that names the field (`segments[3].congestion[0].peakFactor`) and why.
 */
export function validateScenario(scenario: Scenario): void {
  if (scenario.name.length === 0) {
    throw new ValidationError('empty', 'name', 'is empty; a scenario has a name');
  }
  const detectorIds = validateDetectors(scenario.detectors);
  const segmentKeys = validateSegments(scenario.segments, scenario.detectors);
  validateLinks(scenario.links, detectorIds, scenario.segments);
  validateFlows(scenario.flows, segmentKeys);
  validateDailyProfile(scenario.dailyProfile, 'dailyProfile');
  if (scenario.weekend !== undefined) {
    validateDailyProfile(scenario.weekend.dailyProfile, 'weekend.dailyProfile');
    if (typeof scenario.weekend.congestion !== 'boolean') {
      throw new ValidationError('unknown_value', 'weekend.congestion', 'is not true or false');
    }
  }
  validateDetection(scenario.detection);
  validatePasses(scenario.sightingsPerPass);
  validateStops(scenario.stops);
  checkNumber(
    scenario.travelTimeSpread,
    'travelTimeSpread',
    { min: 0, max: 1 },
    'the spread is a lognormal sigma',
  );
}

/** The key of a directed pair of detectors, unique because detector ids cannot contain `>`. */
export function pairKey(from: string, to: string): string {
  return `${from}>${to}`;
}

/**
 * The road from `from` to `to`: the chain of segments with the fewest steps (the
 * first found, in segment order, when several tie), or undefined when there is none.
 */
export function findRoadPath(
  segments: readonly RoadSegment[],
  from: string,
  to: string,
): RoadSegment[] | undefined {
  const cameBy = new Map<string, RoadSegment>();
  let frontier = [from];
  while (frontier.length > 0 && !cameBy.has(to)) {
    const next: string[] = [];
    for (const at of frontier) {
      for (const segment of segments) {
        if (segment.from !== at || segment.to === from || cameBy.has(segment.to)) continue;
        cameBy.set(segment.to, segment);
        next.push(segment.to);
      }
    }
    frontier = next;
  }
  if (!cameBy.has(to)) return undefined;
  const path: RoadSegment[] = [];
  for (let at = to; at !== from;) {
    const segment = cameBy.get(at);
    if (segment === undefined) return undefined;
    path.unshift(segment);
    at = segment.from;
  }
  return path;
}

function validateDetectors(detectors: readonly ScenarioDetector[]): ReadonlySet<string> {
  if (detectors.length < 2) {
    throw new ValidationError(
      'too_short',
      'detectors',
      `has ${detectors.length}; a scenario needs at least 2 detectors`,
    );
  }
  const ids = new Set<string>();
  detectors.forEach((detector, index) => {
    const field = `detectors[${index}]`;
    const id = parseDetectorId(detector.id, `${field}.id`);
    if (ids.has(id)) {
      throw new ValidationError(
        'duplicate',
        `${field}.id`,
        `is "${id}", which an earlier detector already has`,
      );
    }
    ids.add(id);
    coordinatesFromFixed(detector.coordinates.latitude, detector.coordinates.longitude, {
      latitude: `${field}.coordinates.latitude`,
      longitude: `${field}.coordinates.longitude`,
    });
    checkNumber(
      detector.clockSkewSeconds,
      `${field}.clockSkewSeconds`,
      { min: -3600, max: 3600 },
      'a clock skew is within ±3600 seconds',
    );
  });
  return ids;
}

function validateSegments(
  segments: readonly RoadSegment[],
  detectors: readonly ScenarioDetector[],
): ReadonlySet<string> {
  const coordinatesOf = new Map(detectors.map((detector) => [detector.id as string, detector.coordinates]));
  const detectorIds = new Set(coordinatesOf.keys());
  const keys = new Set<string>();
  segments.forEach((segment, index) => {
    const field = `segments[${index}]`;
    requireDetector(segment.from, `${field}.from`, detectorIds);
    requireDetector(segment.to, `${field}.to`, detectorIds);
    if (segment.from === segment.to) {
      throw new ValidationError('self_link', `${field}.to`, `is "${segment.to}", the segment's start itself`);
    }
    const key = pairKey(segment.from, segment.to);
    if (keys.has(key)) {
      throw new ValidationError(
        'duplicate',
        field,
        `repeats the segment "${segment.from}" → "${segment.to}"; each pair of detectors has one road`,
      );
    }
    keys.add(key);
    if (segment.lengthMeters !== undefined) {
      checkNumber(
        segment.lengthMeters,
        `${field}.lengthMeters`,
        { min: 0, minExclusive: true, max: 1_000_000 },
        'a segment is longer than 0 and at most 1000 km',
      );
    } else if (
      distanceMeters(
        coordinatesOf.get(segment.from) as Coordinates,
        coordinatesOf.get(segment.to) as Coordinates,
      ) < 1
    ) {
      throw new ValidationError(
        'empty',
        `${field}.lengthMeters`,
        `is missing, and "${segment.from}" and "${segment.to}" stand at the same place; give the road's length`,
      );
    }
    checkNumber(
      segment.freeFlowKmh,
      `${field}.freeFlowKmh`,
      { min: 0, minExclusive: true, max: 300 },
      'a free-flow speed is above 0 and at most 300 km/h',
    );
    segment.congestion.forEach((episode, episodeIndex) =>
      validateEpisode(episode, `${field}.congestion[${episodeIndex}]`),
    );
    if (segment.signal !== undefined) validateSignal(segment.signal, `${field}.signal`);
  });
  return keys;
}

function validateEpisode(episode: CongestionEpisode, field: string): void {
  checkNumber(
    episode.startSecondOfDay,
    `${field}.startSecondOfDay`,
    { min: 0, max: SECONDS_PER_DAY, maxExclusive: true, integer: true },
    'a time of day is a whole second from 0 to 86399 after midnight UTC',
  );
  checkNumber(
    episode.rampSeconds,
    `${field}.rampSeconds`,
    { min: 0, max: 21_600 },
    'a ramp lasts 0 to 21600 s',
  );
  checkNumber(
    episode.holdSeconds,
    `${field}.holdSeconds`,
    { min: 0, max: 86_400 },
    'a hold lasts 0 to 86400 s',
  );
  const total = 2 * episode.rampSeconds + episode.holdSeconds;
  if (total >= SECONDS_PER_DAY) {
    throw new ValidationError(
      'out_of_range',
      `${field}.holdSeconds`,
      `makes the episode last ${total} s (two ramps and the hold); an episode is shorter than a day`,
    );
  }
  checkNumber(
    episode.peakFactor,
    `${field}.peakFactor`,
    { min: 1, max: 20 },
    'a peak factor is 1 (no congestion) to 20 times the free-flow travel time',
  );
}

function validateSignal(signal: SignalTiming, field: string): void {
  checkNumber(
    signal.cycleSeconds,
    `${field}.cycleSeconds`,
    { min: 10, max: 600 },
    'a signal cycle lasts 10 to 600 s',
  );
  checkNumber(
    signal.greenSeconds,
    `${field}.greenSeconds`,
    { min: 1, max: signal.cycleSeconds },
    `a green lasts 1 s to the whole cycle (${signal.cycleSeconds} s)`,
  );
}

function validateLinks(
  links: readonly ScenarioLink[],
  detectorIds: ReadonlySet<string>,
  segments: readonly RoadSegment[],
): void {
  const keys = new Set<string>();
  links.forEach((link, index) => {
    const field = `links[${index}]`;
    parseDetectorLink(link, {
      source: `${field}.source`,
      destination: `${field}.destination`,
      maxSeconds: `${field}.maxSeconds`,
    });
    requireDetector(link.source, `${field}.source`, detectorIds);
    requireDetector(link.destination, `${field}.destination`, detectorIds);
    const key = pairKey(link.source, link.destination);
    if (keys.has(key)) {
      throw new ValidationError(
        'duplicate',
        field,
        `repeats the link "${link.source}" → "${link.destination}"`,
      );
    }
    keys.add(key);
    if (findRoadPath(segments, link.source, link.destination) === undefined) {
      throw new ValidationError(
        'unknown_value',
        field,
        `runs from "${link.source}" to "${link.destination}", but no chain of segments leads there`,
      );
    }
    if (link.lengthMeters !== undefined) {
      checkNumber(
        link.lengthMeters,
        `${field}.lengthMeters`,
        { min: 0, minExclusive: true, max: 1_000_000 },
        'a link is longer than 0 and at most 1000 km',
      );
    }
  });
}

function validateFlows(flows: readonly TrafficFlow[], segmentKeys: ReadonlySet<string>): void {
  flows.forEach((flow, index) => {
    const field = `flows[${index}]`;
    if (flow.path.length < 2) {
      throw new ValidationError(
        'too_short',
        `${field}.path`,
        `has ${flow.path.length} detector(s); a flow passes at least 2`,
      );
    }
    for (let step = 1; step < flow.path.length; step += 1) {
      const from = flow.path[step - 1] ?? '';
      const to = flow.path[step] ?? '';
      if (!segmentKeys.has(pairKey(from, to))) {
        throw new ValidationError(
          'unknown_value',
          `${field}.path[${step}]`,
          `is "${to}", but no segment leads from "${from}" to it`,
        );
      }
    }
    checkNumber(
      flow.vehiclesPerHour,
      `${field}.vehiclesPerHour`,
      { min: 0, max: 100_000 },
      'a flow carries 0 to 100000 vehicles per hour',
    );
  });
}

function validateDailyProfile(profile: readonly number[], field: string): void {
  if (profile.length !== HOURS_PER_DAY) {
    throw new ValidationError('out_of_range', field, `has ${profile.length} values; it has one per hour, 24`);
  }
  profile.forEach((value, hour) =>
    checkNumber(value, `${field}[${hour}]`, { min: 0, max: 100 }, 'a volume multiplier is 0 to 100'),
  );
}

function validateDetection(detection: DetectionSettings): void {
  checkNumber(
    detection.share,
    'detection.share',
    { min: 0, minExclusive: true, max: 1 },
    'the detected share of vehicles is a fraction above 0 and at most 1',
  );
  let total = 0;
  for (const kind of DEVICE_KINDS) {
    total += checkNumber(
      detection.kindShares[kind],
      `detection.kindShares.${kind}`,
      { min: 0, max: 1_000_000 },
      'a weight is 0 or more',
    );
  }
  if (total === 0) {
    throw new ValidationError(
      'out_of_range',
      'detection.kindShares',
      'are all 0; at least one device kind must have a weight',
    );
  }
}

function validatePasses(passes: PassSettings): void {
  checkNumber(
    passes.min,
    'sightingsPerPass.min',
    { min: 1, max: 1000, integer: true },
    'a pass has 1 to 1000 sightings',
  );
  checkNumber(
    passes.max,
    'sightingsPerPass.max',
    { min: passes.min, max: 1000, integer: true },
    `a pass has at most 1000 sightings and no fewer than min (${passes.min})`,
  );
  checkNumber(
    passes.dwellSeconds,
    'sightingsPerPass.dwellSeconds',
    { min: 0, max: 600 },
    'a vehicle stays in range 0 to 600 seconds',
  );
}

function validateStops(stops: StopSettings): void {
  checkNumber(stops.share, 'stops.share', { min: 0, max: 1 }, 'the stopping share is a fraction from 0 to 1');
  checkNumber(
    stops.minDelaySeconds,
    'stops.minDelaySeconds',
    { min: 0, max: 86_400 },
    'a delay is 0 to 86400 seconds',
  );
  checkNumber(
    stops.maxDelaySeconds,
    'stops.maxDelaySeconds',
    { min: stops.minDelaySeconds, max: 86_400 },
    `a delay is at most 86400 seconds and no less than minDelaySeconds (${stops.minDelaySeconds})`,
  );
}

function requireDetector(id: string, field: string, detectorIds: ReadonlySet<string>): void {
  if (!detectorIds.has(id)) {
    throw new ValidationError('unknown_value', field, `is "${id}", which is not a detector of the scenario`);
  }
}

import {
  coordinatesFromDegrees,
  coordinatesToDegrees,
  DEVICE_KINDS,
  ValidationError,
  type DetectorId,
  type DeviceKind,
} from '@message-bus/domain';
import { describeType } from './number-rules';
import {
  DEFAULT_KIND_SHARES,
  DEFAULT_SIGHTINGS_PER_PASS,
  DEFAULT_STOPS,
  DEFAULT_TRAVEL_TIME_SPREAD,
  HOURS_PER_DAY,
  validateScenario,
  type CongestionEpisode,
  type RoadSegment,
  type Scenario,
  type ScenarioDetector,
  type ScenarioLink,
  type TrafficFlow,
  type WeekendSettings,
} from './scenario';

/**
 * A scenario file as JSON. It differs from `Scenario` in two places, for people
 * writing it: coordinates are decimal degrees, and an episode starts at a UTC time
 * of day `"HH:MM"` or `"HH:MM:SS"`. Fields marked optional take the defaults.
 */
export interface ScenarioJson {
  name: string;
  detectors: { id: string; latitude: number; longitude: number; clockSkewSeconds?: number }[];
  segments: {
    from: string;
    to: string;
    lengthMeters?: number;
    freeFlowKmh: number;
    congestion?: { start: string; rampSeconds: number; holdSeconds: number; peakFactor: number }[];
  }[];
  links: { source: string; destination: string; maxSeconds: number; lengthMeters?: number }[];
  flows: { path: string[]; vehiclesPerHour: number }[];
  dailyProfile?: number[];
  weekend?: { dailyProfile: number[]; congestion: boolean };
  detection: { share: number; kindShares?: Partial<Record<DeviceKind, number>> };
  sightingsPerPass?: { min: number; max: number; dwellSeconds: number };
  stops?: { share: number; minDelaySeconds: number; maxDelaySeconds: number };
  travelTimeSpread?: number;
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/**
 * Reads a scenario from parsed JSON (see `ScenarioJson`), checking every field:
 * a `ValidationError` names the first bad one by its path (`segments[2].congestion[0].start`)
 * and says why. Unknown fields are rejected, so a misspelt option cannot pass unnoticed.
 */
export function parseScenario(json: unknown): Scenario {
  const root = objectAt(json, 'scenario', [
    'name',
    'detectors',
    'segments',
    'links',
    'flows',
    'dailyProfile',
    'weekend',
    'detection',
    'sightingsPerPass',
    'stops',
    'travelTimeSpread',
  ]);
  const detection = objectAt(root.detection, 'detection', ['share', 'kindShares']);
  const scenario: Scenario = {
    name: stringAt(root.name, 'name'),
    detectors: arrayAt(root.detectors, 'detectors').map(readDetector),
    segments: arrayAt(root.segments, 'segments').map(readSegment),
    links: arrayAt(root.links, 'links').map(readLink),
    flows: arrayAt(root.flows, 'flows').map(readFlow),
    dailyProfile:
      root.dailyProfile === undefined
        ? new Array<number>(HOURS_PER_DAY).fill(1)
        : arrayAt(root.dailyProfile, 'dailyProfile').map((value, hour) =>
            numberAt(value, `dailyProfile[${hour}]`),
          ),
    ...(root.weekend === undefined ? {} : { weekend: readWeekend(root.weekend) }),
    detection: {
      share: numberAt(detection.share, 'detection.share'),
      kindShares: readKindShares(detection.kindShares),
    },
    sightingsPerPass:
      root.sightingsPerPass === undefined ? DEFAULT_SIGHTINGS_PER_PASS : readPasses(root.sightingsPerPass),
    stops: root.stops === undefined ? DEFAULT_STOPS : readStops(root.stops),
    travelTimeSpread:
      root.travelTimeSpread === undefined
        ? DEFAULT_TRAVEL_TIME_SPREAD
        : numberAt(root.travelTimeSpread, 'travelTimeSpread'),
  };
  validateScenario(scenario);
  return scenario;
}

/** The scenario as a JSON file would hold it; `parseScenario` reads it back. */
export function scenarioToJson(scenario: Scenario): ScenarioJson {
  return {
    name: scenario.name,
    detectors: scenario.detectors.map((detector) => ({
      id: detector.id,
      ...coordinatesToDegrees(detector.coordinates),
      clockSkewSeconds: detector.clockSkewSeconds,
    })),
    segments: scenario.segments.map((segment) => ({
      from: segment.from,
      to: segment.to,
      ...(segment.lengthMeters === undefined ? {} : { lengthMeters: segment.lengthMeters }),
      freeFlowKmh: segment.freeFlowKmh,
      congestion: segment.congestion.map((episode) => ({
        start: formatTimeOfDay(episode.startSecondOfDay),
        rampSeconds: episode.rampSeconds,
        holdSeconds: episode.holdSeconds,
        peakFactor: episode.peakFactor,
      })),
    })),
    links: scenario.links.map((link) => ({
      source: link.source,
      destination: link.destination,
      maxSeconds: link.maxSeconds,
      ...(link.lengthMeters === undefined ? {} : { lengthMeters: link.lengthMeters }),
    })),
    flows: scenario.flows.map((flow) => ({ path: [...flow.path], vehiclesPerHour: flow.vehiclesPerHour })),
    dailyProfile: [...scenario.dailyProfile],
    ...(scenario.weekend === undefined
      ? {}
      : {
          weekend: {
            dailyProfile: [...scenario.weekend.dailyProfile],
            congestion: scenario.weekend.congestion,
          },
        }),
    detection: { share: scenario.detection.share, kindShares: { ...scenario.detection.kindShares } },
    sightingsPerPass: { ...scenario.sightingsPerPass },
    stops: { ...scenario.stops },
    travelTimeSpread: scenario.travelTimeSpread,
  };
}

function readWeekend(value: unknown): WeekendSettings {
  const weekend = objectAt(value, 'weekend', ['dailyProfile', 'congestion']);
  if (typeof weekend.congestion !== 'boolean') {
    throw new ValidationError(
      'unknown_value',
      'weekend.congestion',
      `is ${describeType(weekend.congestion)}; expected true or false (whether the daily jams happen on weekends)`,
    );
  }
  return {
    dailyProfile: arrayAt(weekend.dailyProfile, 'weekend.dailyProfile').map((entry, hour) =>
      numberAt(entry, `weekend.dailyProfile[${hour}]`),
    ),
    congestion: weekend.congestion,
  };
}

function readDetector(value: unknown, index: number): ScenarioDetector {
  const field = `detectors[${index}]`;
  const detector = objectAt(value, field, ['id', 'latitude', 'longitude', 'clockSkewSeconds']);
  return {
    // The id is checked (and branded) by validateScenario.
    id: stringAt(detector.id, `${field}.id`) as DetectorId,
    coordinates: coordinatesFromDegrees(
      numberAt(detector.latitude, `${field}.latitude`),
      numberAt(detector.longitude, `${field}.longitude`),
      { latitude: `${field}.latitude`, longitude: `${field}.longitude` },
    ),
    clockSkewSeconds:
      detector.clockSkewSeconds === undefined
        ? 0
        : numberAt(detector.clockSkewSeconds, `${field}.clockSkewSeconds`),
  };
}

function readSegment(value: unknown, index: number): RoadSegment {
  const field = `segments[${index}]`;
  const segment = objectAt(value, field, ['from', 'to', 'lengthMeters', 'freeFlowKmh', 'congestion']);
  return {
    from: stringAt(segment.from, `${field}.from`) as DetectorId,
    to: stringAt(segment.to, `${field}.to`) as DetectorId,
    ...(segment.lengthMeters === undefined
      ? {}
      : { lengthMeters: numberAt(segment.lengthMeters, `${field}.lengthMeters`) }),
    freeFlowKmh: numberAt(segment.freeFlowKmh, `${field}.freeFlowKmh`),
    congestion:
      segment.congestion === undefined
        ? []
        : arrayAt(segment.congestion, `${field}.congestion`).map((episode, episodeIndex) =>
            readEpisode(episode, `${field}.congestion[${episodeIndex}]`),
          ),
  };
}

function readEpisode(value: unknown, field: string): CongestionEpisode {
  const episode = objectAt(value, field, ['start', 'rampSeconds', 'holdSeconds', 'peakFactor']);
  return {
    startSecondOfDay: parseTimeOfDay(stringAt(episode.start, `${field}.start`), `${field}.start`),
    rampSeconds: numberAt(episode.rampSeconds, `${field}.rampSeconds`),
    holdSeconds: numberAt(episode.holdSeconds, `${field}.holdSeconds`),
    peakFactor: numberAt(episode.peakFactor, `${field}.peakFactor`),
  };
}

function readLink(value: unknown, index: number): ScenarioLink {
  const field = `links[${index}]`;
  const link = objectAt(value, field, ['source', 'destination', 'maxSeconds', 'lengthMeters']);
  return {
    source: stringAt(link.source, `${field}.source`) as DetectorId,
    destination: stringAt(link.destination, `${field}.destination`) as DetectorId,
    maxSeconds: numberAt(link.maxSeconds, `${field}.maxSeconds`),
    ...(link.lengthMeters === undefined
      ? {}
      : { lengthMeters: numberAt(link.lengthMeters, `${field}.lengthMeters`) }),
  };
}

function readFlow(value: unknown, index: number): TrafficFlow {
  const field = `flows[${index}]`;
  const flow = objectAt(value, field, ['path', 'vehiclesPerHour']);
  return {
    path: arrayAt(flow.path, `${field}.path`).map(
      (id, step) => stringAt(id, `${field}.path[${step}]`) as DetectorId,
    ),
    vehiclesPerHour: numberAt(flow.vehiclesPerHour, `${field}.vehiclesPerHour`),
  };
}

function readKindShares(value: unknown): Record<DeviceKind, number> {
  if (value === undefined) return { ...DEFAULT_KIND_SHARES };
  const shares = objectAt(value, 'detection.kindShares', DEVICE_KINDS);
  const result = { wifi: 0, bluetooth: 0, mobile: 0 };
  for (const kind of DEVICE_KINDS) {
    if (shares[kind] !== undefined) result[kind] = numberAt(shares[kind], `detection.kindShares.${kind}`);
  }
  return result;
}

function readPasses(value: unknown): Scenario['sightingsPerPass'] {
  const passes = objectAt(value, 'sightingsPerPass', ['min', 'max', 'dwellSeconds']);
  return {
    min: numberAt(passes.min, 'sightingsPerPass.min'),
    max: numberAt(passes.max, 'sightingsPerPass.max'),
    dwellSeconds: numberAt(passes.dwellSeconds, 'sightingsPerPass.dwellSeconds'),
  };
}

function readStops(value: unknown): Scenario['stops'] {
  const stops = objectAt(value, 'stops', ['share', 'minDelaySeconds', 'maxDelaySeconds']);
  return {
    share: numberAt(stops.share, 'stops.share'),
    minDelaySeconds: numberAt(stops.minDelaySeconds, 'stops.minDelaySeconds'),
    maxDelaySeconds: numberAt(stops.maxDelaySeconds, 'stops.maxDelaySeconds'),
  };
}

function objectAt(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw wrongType(value, field, 'an object');
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(
        'unknown_value',
        `${field}.${key}`,
        `is not a field here; expected ${allowed.join(', ')}`,
      );
    }
  }
  return value as Record<string, unknown>;
}

function arrayAt(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) {
    throw wrongType(value, field, 'an array');
  }
  return value;
}

function stringAt(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw wrongType(value, field, 'a string');
  }
  return value;
}

/** A number of any value; ranges are checked by validateScenario. */
function numberAt(value: unknown, field: string): number {
  if (typeof value !== 'number') {
    throw wrongType(value, field, 'a number');
  }
  return value;
}

/** A missing field is `empty`; a present one of the wrong JSON type is `unknown_value`. */
function wrongType(value: unknown, field: string, expected: string): ValidationError {
  const code = value === undefined ? 'empty' : 'unknown_value';
  return new ValidationError(code, field, `is ${describeType(value)}; expected ${expected}`);
}

function parseTimeOfDay(text: string, field: string): number {
  const match = TIME_OF_DAY.exec(text);
  if (match === null) {
    throw new ValidationError(
      'unknown_value',
      field,
      `is "${text}"; expected a UTC time of day "HH:MM" or "HH:MM:SS", e.g. "06:45"`,
    );
  }
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
}

function formatTimeOfDay(secondOfDay: number): string {
  const whole = Math.floor(secondOfDay);
  const parts = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  return parts.map((part) => String(part).padStart(2, '0')).join(':');
}

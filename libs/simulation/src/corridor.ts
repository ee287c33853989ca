import { coordinatesFromDegrees, parseDetectorId, type DetectorId } from '@message-bus/domain';
import { checkNumber } from './number-rules';
import {
  DEFAULT_KIND_SHARES,
  DEFAULT_SIGHTINGS_PER_PASS,
  DEFAULT_STOPS,
  DEFAULT_TRAVEL_TIME_SPREAD,
  type CongestionEpisode,
  type RoadSegment,
  type Scenario,
  type ScenarioDetector,
  type ScenarioLink,
  type TrafficFlow,
} from './scenario';

/** What can be changed in the built-in corridor. */
export interface CorridorOptions {
  readonly name: string;
  /** Detectors along the road (2..999); consecutive ones are linked. */
  readonly detectorCount: number;
  /** Also link every fourth detector with the one two further on, across two segments. */
  readonly skipLinks: boolean;
  /** Vehicles per hour on every segment when the daily profile is 1 (10:00–14:00 UTC). */
  readonly vehiclesPerHour: number;
  readonly detectionShare: number;
  /** The share of segment traversals with a stop or detour of 2–20 minutes. */
  readonly stopShare: number;
  readonly travelTimeSpread: number;
  /** Detector clocks are off by up to this many seconds either way. */
  readonly maxClockSkewSeconds: number;
  /** Saturdays and Sundays carry `WEEKEND_PROFILE` traffic without the jams; otherwise every day is a weekday. */
  readonly weekend: boolean;
}

/**
 * The defaults give a median of about 5 matched vehicles per link per 15 minutes
 * off-peak, what real deployments see: 400 vehicles/h × 5 % detected / 4.
 */
export const DEFAULT_CORRIDOR_OPTIONS: CorridorOptions = {
  name: 'corridor',
  detectorCount: 12,
  skipLinks: true,
  vehiclesPerHour: 400,
  detectionShare: 0.05,
  stopShare: 0.15,
  travelTimeSpread: DEFAULT_TRAVEL_TIME_SPREAD,
  maxClockSkewSeconds: 1,
  weekend: false,
};

/**
 * Traffic volume through the day (UTC; the road is in the Netherlands, UTC+1): quiet
 * nights, a morning peak around 07:00–09:00 and an evening peak around 16:00–18:00.
 */
export const WEEKDAY_PROFILE: readonly number[] = [
  0.12, 0.08, 0.06, 0.06, 0.1, 0.35, 0.85, 1.5, 1.6, 1.2, 1.0, 1.0, 1.0, 1.0, 1.05, 1.3, 1.55, 1.6, 1.25,
  0.85, 0.6, 0.45, 0.3, 0.18,
];

/** Weekend traffic (UTC): late, quiet mornings, a broad midday hump, no commuter peaks. */
export const WEEKEND_PROFILE: readonly number[] = [
  0.2, 0.14, 0.1, 0.08, 0.08, 0.12, 0.2, 0.35, 0.55, 0.75, 0.9, 1.0, 1.0, 1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6,
  0.5, 0.4, 0.3, 0.25,
];

/** The morning jam: 06:45 UTC, 15 minutes to double, an hour at double, 15 minutes to clear. */
export const MORNING_JAM: CongestionEpisode = {
  startSecondOfDay: 6 * 3600 + 45 * 60,
  rampSeconds: 900,
  holdSeconds: 3600,
  peakFactor: 2,
};

/** The evening jam: 15:30 UTC, 20 minutes to 1.8 times, 45 minutes held. */
export const EVENING_JAM: CongestionEpisode = {
  startSecondOfDay: 15 * 3600 + 30 * 60,
  rampSeconds: 1200,
  holdSeconds: 2700,
  peakFactor: 1.8,
};

/** Where the corridor starts: the A12 motorway east of Utrecht, heading towards Arnhem. */
const ORIGIN = { latitude: 52.0894, longitude: 5.1776 };
const METERS_PER_DEGREE_LATITUDE = 111_195;
/** A motorway is a little longer than the straight line between its detectors. */
const ROAD_WINDING = 1.03;
/** Share of each segment's traffic that drives the whole corridor; the rest is local, 3 segments long. */
const THROUGH_SHARE = 0.6;
const LOCAL_TRIP_SEGMENTS = 3;

/**
 * A motorway corridor of `detectorCount` detectors 1.8–3.2 km apart, links between
 * consecutive detectors (plus skip links), a morning jam doubling the travel time on
 * four segments in the middle and an evening jam (×1.8) on three near the start,
 * through traffic plus local traffic entering and leaving at ramps, 5 % of vehicles
 * detected and 15 % of traversals with a stop or detour.
 */
export function corridorScenario(overrides: Partial<CorridorOptions> = {}): Scenario {
  const options = { ...DEFAULT_CORRIDOR_OPTIONS, ...overrides };
  const count = checkNumber(
    options.detectorCount,
    'detectorCount',
    { min: 2, max: 999, integer: true },
    'a corridor has 2 to 999 detectors',
  );
  const segmentCount = count - 1;
  const idWidth = Math.max(2, String(count).length);
  const ids: DetectorId[] = Array.from({ length: count }, (_, index) =>
    parseDetectorId(`D${String(index + 1).padStart(idWidth, '0')}`),
  );

  const detectors: ScenarioDetector[] = [];
  const segmentLengths: number[] = [];
  let { latitude, longitude } = ORIGIN;
  for (let index = 0; index < count; index += 1) {
    detectors.push({
      id: ids[index] as DetectorId,
      coordinates: coordinatesFromDegrees(latitude, longitude),
      clockSkewSeconds: Math.round(options.maxClockSkewSeconds * Math.sin(1 + index * 2.4) * 100) / 100,
    });
    const straightMeters = 1800 + ((index * 7) % 8) * 200;
    const bearing = ((105 + 10 * Math.sin(index * 0.7)) * Math.PI) / 180;
    latitude += (straightMeters * Math.cos(bearing)) / METERS_PER_DEGREE_LATITUDE;
    longitude +=
      (straightMeters * Math.sin(bearing)) /
      (METERS_PER_DEGREE_LATITUDE * Math.cos((latitude * Math.PI) / 180));
    segmentLengths.push(Math.round(straightMeters * ROAD_WINDING));
  }

  const segments: RoadSegment[] = Array.from({ length: segmentCount }, (_, index) => ({
    from: ids[index] as DetectorId,
    to: ids[index + 1] as DetectorId,
    lengthMeters: segmentLengths[index] as number,
    freeFlowKmh: index % 5 === 3 ? 120 : 100,
    congestion: congestionOf(index),
  }));

  const link = (from: number, to: number): ScenarioLink => {
    const road = segments.slice(from, to);
    const freeFlowSeconds = road.reduce(
      (total, segment) => total + (segment.lengthMeters ?? 0) / (segment.freeFlowKmh / 3.6),
      0,
    );
    return {
      source: ids[from] as DetectorId,
      destination: ids[to] as DetectorId,
      // Ten times free flow, in whole minutes: room for jams, not for a day's errands.
      maxSeconds: Math.ceil((10 * freeFlowSeconds) / 60) * 60,
      lengthMeters: road.reduce((total, segment) => total + (segment.lengthMeters ?? 0), 0),
    };
  };
  const links: ScenarioLink[] = [];
  for (let index = 0; index < segmentCount; index += 1) links.push(link(index, index + 1));
  if (options.skipLinks) {
    for (let index = 1; index + 2 < count; index += 4) links.push(link(index, index + 2));
  }

  const flows: TrafficFlow[] = [{ path: ids, vehiclesPerHour: options.vehiclesPerHour * THROUGH_SHARE }];
  for (let first = 0; first < segmentCount; first += LOCAL_TRIP_SEGMENTS) {
    flows.push({
      path: ids.slice(first, Math.min(first + LOCAL_TRIP_SEGMENTS, segmentCount) + 1),
      vehiclesPerHour: options.vehiclesPerHour * (1 - THROUGH_SHARE),
    });
  }

  return {
    name: options.name,
    detectors,
    segments,
    links,
    flows,
    dailyProfile: WEEKDAY_PROFILE,
    ...(options.weekend ? { weekend: { dailyProfile: WEEKEND_PROFILE, congestion: false } } : {}),
    detection: { share: options.detectionShare, kindShares: DEFAULT_KIND_SHARES },
    sightingsPerPass: DEFAULT_SIGHTINGS_PER_PASS,
    stops: { ...DEFAULT_STOPS, share: options.stopShare },
    travelTimeSpread: options.travelTimeSpread,
  };
}

/** Every 11 segments: the morning jam on the 5th to 8th, the evening jam on the 2nd to 4th. */
function congestionOf(segmentIndex: number): CongestionEpisode[] {
  const position = segmentIndex % 11;
  if (position >= 4 && position <= 7) return [MORNING_JAM];
  if (position >= 1 && position <= 3) return [EVENING_JAM];
  return [];
}

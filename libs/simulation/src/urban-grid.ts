import { coordinatesFromDegrees, parseDetectorId, type DetectorId } from '@message-bus/domain';
import { WEEKDAY_PROFILE } from './corridor';
import { checkNumber } from './number-rules';
import {
  DEFAULT_KIND_SHARES,
  type CongestionEpisode,
  type RoadSegment,
  type Scenario,
  type ScenarioDetector,
  type ScenarioLink,
  type SignalTiming,
  type TrafficFlow,
} from './scenario';

/** What can be changed in the built-in urban grid. */
export interface UrbanGridOptions {
  readonly name: string;
  /** Intersections north to south and west to east (2..20 each); each has a detector. */
  readonly rows: number;
  readonly columns: number;
  /** Vehicles per hour along each street and direction when the daily profile is 1. */
  readonly vehiclesPerHour: number;
  readonly detectionShare: number;
  /** The share of link traversals with a stop (parking, a delivery) of 1–10 minutes. */
  readonly stopShare: number;
  readonly travelTimeSpread: number;
  /**
   * How long a vehicle at the speed limit stays in a reader's range, e.g. 14 s: about
   * 80 m either side at 40 km/h, so the ranges of readers 100–150 m apart overlap.
   */
  readonly dwellSeconds: number;
}

/**
 * Readers on a dense city grid see a few more devices than on a motorway (slower
 * traffic, more phones per vehicle): 8 % of vehicles. 450 vehicles/h per street and
 * direction give about 9 matches per link per 15 minutes off-peak.
 */
export const DEFAULT_URBAN_GRID_OPTIONS: UrbanGridOptions = {
  name: 'urban-grid',
  rows: 4,
  columns: 4,
  vehiclesPerHour: 450,
  detectionShare: 0.08,
  stopShare: 0.05,
  travelTimeSpread: 0.08,
  dwellSeconds: 14,
};

/** Where the grid lies: the centre of Utrecht. */
const ORIGIN = { latitude: 52.0907, longitude: 5.1214 };
const METERS_PER_DEGREE_LATITUDE = 111_195;
/** Block lengths repeat along each axis: 100–250 m, as in an old city centre. */
const EAST_WEST_BLOCKS = [120, 180, 240, 150];
const NORTH_SOUTH_BLOCKS = [150, 100, 220, 130];
const SPEED_LIMIT_KMH = 40;
/** Signal plans repeat along the streets: cycles of 60–90 s, a green for 55–70 % of it. */
const SIGNALS: readonly SignalTiming[] = [
  { cycleSeconds: 60, greenSeconds: 36 },
  { cycleSeconds: 90, greenSeconds: 60 },
  { cycleSeconds: 75, greenSeconds: 45 },
  { cycleSeconds: 80, greenSeconds: 44 },
];

/** The morning peak on the second street west to east: 07:15 UTC, 15 minutes to 1.8 times, an hour held. */
export const GRID_MORNING_PEAK: CongestionEpisode = {
  startSecondOfDay: 7 * 3600 + 15 * 60,
  rampSeconds: 900,
  holdSeconds: 3600,
  peakFactor: 1.8,
};

/**
 * A city-centre grid of `rows` × `columns` signalised intersections, a reader at each,
 * blocks of 100–250 m, two-way streets at 40 km/h with every block a link in both
 * directions (true travel times of 9–30 s). The short links' hard parts are all there:
 * reader ranges that overlap (a device is read at the next intersection while still in
 * range of the last: 1–3 reads per pass over `dwellSeconds`), signal timing that makes
 * travel times bimodal (a green caught or a red waited out), a few stops, and a
 * morning peak on one street.
 */
export function urbanGridScenario(overrides: Partial<UrbanGridOptions> = {}): Scenario {
  const options = { ...DEFAULT_URBAN_GRID_OPTIONS, ...overrides };
  const rows = checkNumber(
    options.rows,
    'rows',
    { min: 2, max: 20, integer: true },
    'a grid has 2 to 20 rows',
  );
  const columns = checkNumber(
    options.columns,
    'columns',
    { min: 2, max: 20, integer: true },
    'a grid has 2 to 20 columns',
  );
  const idOf = (row: number, column: number): DetectorId =>
    parseDetectorId(`G${String.fromCharCode(65 + row)}${String(column + 1).padStart(2, '0')}`);

  const detectors: ScenarioDetector[] = [];
  let northOffset = 0;
  for (let row = 0; row < rows; row += 1) {
    let eastOffset = 0;
    for (let column = 0; column < columns; column += 1) {
      const latitude = ORIGIN.latitude - northOffset / METERS_PER_DEGREE_LATITUDE;
      const longitude =
        ORIGIN.longitude +
        eastOffset / (METERS_PER_DEGREE_LATITUDE * Math.cos((ORIGIN.latitude * Math.PI) / 180));
      detectors.push({
        id: idOf(row, column),
        coordinates: coordinatesFromDegrees(latitude, longitude),
        clockSkewSeconds: Math.round(0.5 * Math.sin(1 + (row * columns + column) * 2.4) * 100) / 100,
      });
      eastOffset += blockOf(EAST_WEST_BLOCKS, column);
    }
    northOffset += blockOf(NORTH_SOUTH_BLOCKS, row);
  }

  const segments: RoadSegment[] = [];
  const flows: TrafficFlow[] = [];
  /** Both directions of a street through `path`, `blocks[i]` metres from path[i] to path[i + 1]. */
  const street = (path: DetectorId[], blocks: number[], peakStreet: boolean): void => {
    for (const forward of [true, false]) {
      const direction = forward ? path : [...path].reverse();
      const lengths = forward ? blocks : [...blocks].reverse();
      direction.slice(1).forEach((to, step) => {
        segments.push({
          from: direction[step] as DetectorId,
          to,
          lengthMeters: lengths[step] as number,
          freeFlowKmh: SPEED_LIMIT_KMH,
          congestion: peakStreet && forward ? [GRID_MORNING_PEAK] : [],
          signal: SIGNALS[segments.length % SIGNALS.length] as SignalTiming,
        });
      });
      flows.push({ path: direction, vehiclesPerHour: options.vehiclesPerHour });
    }
  };
  for (let row = 0; row < rows; row += 1) {
    const path = Array.from({ length: columns }, (_, column) => idOf(row, column));
    street(
      path,
      path.slice(1).map((_, column) => blockOf(EAST_WEST_BLOCKS, column)),
      row === 1,
    );
  }
  for (let column = 0; column < columns; column += 1) {
    const path = Array.from({ length: rows }, (_, row) => idOf(row, column));
    street(
      path,
      path.slice(1).map((_, row) => blockOf(NORTH_SOUTH_BLOCKS, row)),
      false,
    );
  }

  const links: ScenarioLink[] = segments.map((segment) => {
    const signal = segment.signal as SignalTiming;
    const slowestSeconds = (segment.lengthMeters as number) / (SPEED_LIMIT_KMH / 3.6) + signal.cycleSeconds;
    // Ten times a trip that waits a whole cycle, in whole minutes: room for a jam, not an errand.
    return {
      source: segment.from,
      destination: segment.to,
      maxSeconds: Math.ceil((10 * slowestSeconds) / 60) * 60,
    };
  });

  return {
    name: options.name,
    detectors,
    segments,
    links,
    flows,
    dailyProfile: WEEKDAY_PROFILE,
    detection: { share: options.detectionShare, kindShares: DEFAULT_KIND_SHARES },
    sightingsPerPass: { min: 1, max: 3, dwellSeconds: options.dwellSeconds },
    stops: { share: options.stopShare, minDelaySeconds: 60, maxDelaySeconds: 600 },
    travelTimeSpread: options.travelTimeSpread,
  };
}

function blockOf(blocks: readonly number[], index: number): number {
  return blocks[index % blocks.length] as number;
}

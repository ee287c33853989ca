import {
  distanceMeters,
  NANOS_PER_SECOND,
  ValidationError,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import { validateDisruptions, type Disruptions } from './disruptions';
import {
  findRoadPath,
  pairKey,
  SECONDS_PER_DAY,
  validateScenario,
  type RoadSegment,
  type Scenario,
  type SignalTiming,
} from './scenario';
import { floorDiv, Timeline, type CompiledSegment } from './timeline';

/** A link named by its ends, as estimates and `DetectorLink`s name it. */
export interface LinkRef {
  readonly source: string;
  readonly destination: string;
}

/** A scenario link with what the truth knows about it. */
export interface TruthLink {
  readonly source: DetectorId;
  readonly destination: DetectorId;
  readonly maxSeconds: number;
  /** Driven distance along the link's segments. */
  readonly roadMeters: number;
  /** The distance the system uses for speeds: the link's configured length, else the straight line. */
  readonly distanceMeters: number;
  /** The travel time without congestion (the median vehicle's, signal waits included). */
  readonly freeFlowSeconds: number;
}

/**
 * The true travel time of every link at every instant: a function of the time of day
 * (UTC), of the day (weekend traffic, holidays) and of the incidents. The simulator
 * samples vehicles around it; accuracy checks compare with it.
 */
export interface GroundTruth {
  /** Seconds a vehicle entering the link (passing its source) at `at` takes to its destination. */
  travelSeconds(link: LinkRef, at: UnixNanos): number;
  /**
   * Seconds a vehicle reaching the link's destination at `at` took: what the latest
   * possible sample at `at` measures. Solves entry + travelSeconds(entry) = at.
   */
  travelSecondsArrivingAt(link: LinkRef, at: UnixNanos): number;
  /**
   * Seconds a vehicle reaching the last of `detectorIds` at `at` took from the first,
   * along the road through each in turn: a route's end-to-end travel time.
   */
  pathSecondsArrivingAt(detectorIds: readonly string[], at: UnixNanos): number;
  readonly links: readonly TruthLink[];
}

const DAY_NANOS = BigInt(SECONDS_PER_DAY) * NANOS_PER_SECOND;
/** Arrival-time inversion converges geometrically; this many steps reach well below a microsecond. */
const ARRIVAL_ITERATIONS = 60;

/** The ground truth of a scenario and its disruptions (both validated first). */
export function groundTruth(scenario: Scenario, disruptions: Disruptions = {}): GroundTruth {
  validateScenario(scenario);
  validateDisruptions(scenario, disruptions);
  return new ScenarioTruth(scenario, disruptions, compileSegments(scenario));
}

/** Resolves each segment's length (the straight line when not given) and free-flow time. */
export function compileSegments(scenario: Scenario): ReadonlyMap<string, CompiledSegment> {
  const coordinatesOf = new Map(scenario.detectors.map((detector) => [detector.id, detector.coordinates]));
  const compiled = new Map<string, CompiledSegment>();
  for (const segment of scenario.segments) {
    const lengthMeters = segment.lengthMeters ?? straightLine(coordinatesOf, segment.from, segment.to);
    compiled.set(pairKey(segment.from, segment.to), {
      from: segment.from,
      to: segment.to,
      lengthMeters,
      freeFlowSeconds: lengthMeters / (segment.freeFlowKmh / 3.6),
      congestion: segment.congestion,
      ...(segment.signal === undefined ? {} : { signal: segment.signal }),
    });
  }
  return compiled;
}

/** A uniform draw in [0, 1) and the wait at `signal` it gives: 0 on green, the rest of the red otherwise. */
export function signalWaitSeconds(signal: SignalTiming, draw: number): number {
  const phase = draw * signal.cycleSeconds;
  return phase < signal.greenSeconds ? 0 : phase - signal.greenSeconds;
}

/** Bisection steps for the median: the bracket shrinks below a microsecond. */
const MEDIAN_BISECTIONS = 60;

/**
 * The median travel time over a signalled segment whose driving part takes
 * `driveSeconds` × exp(spread × N(0, 1)) and is followed by the signal's wait (see
 * `signalWaitSeconds`): the t where
 *   P = g × Φ(ln(t / drive) / spread) + (1 − g) × clamp((t − drive) / red, 0, 1) = 0.5,
 * g the green share. The red waiters' spread is left out of their part: the wait is
 * uniform, so a few percent of spread barely moves it. With g > 0.5 the median vehicle
 * caught the green, a little slower than the green vehicles' own median.
 */
export function signalledMedianSeconds(driveSeconds: number, signal: SignalTiming, spread: number): number {
  const greenShare = signal.greenSeconds / signal.cycleSeconds;
  const redSeconds = signal.cycleSeconds - signal.greenSeconds;
  const share = (seconds: number): number => {
    const green =
      spread === 0 ? (seconds >= driveSeconds ? 1 : 0) : normalCdf(Math.log(seconds / driveSeconds) / spread);
    const red = redSeconds === 0 ? 1 : Math.min(1, Math.max(0, (seconds - driveSeconds) / redSeconds));
    return greenShare * green + (1 - greenShare) * red;
  };
  let low = driveSeconds * Math.exp(-6 * spread) - 1e-9;
  let high = driveSeconds * Math.exp(6 * spread) + redSeconds + 1e-9;
  for (let step = 0; step < MEDIAN_BISECTIONS; step += 1) {
    const middle = (low + high) / 2;
    if (share(middle) < 0.5) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** Φ, the standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152073 + t * 1.061405429)))) *
      Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Seconds after midnight UTC of an instant, in [0, 86400). */
export function secondOfDay(at: UnixNanos): number {
  const withinDay = ((at % DAY_NANOS) + DAY_NANOS) % DAY_NANOS;
  return Number(withinDay) / Number(NANOS_PER_SECOND);
}

class ScenarioTruth implements GroundTruth {
  readonly links: readonly TruthLink[];
  readonly #scenario: Scenario;
  readonly #disruptions: Disruptions;
  readonly #segments: ReadonlyMap<string, CompiledSegment>;
  readonly #roads = new Map<string, readonly CompiledSegment[]>();
  /** One timeline per UTC day asked about, so each instant keeps its time of day's precision. */
  readonly #timelines = new Map<bigint, Timeline>();
  readonly #spread: number;

  constructor(scenario: Scenario, disruptions: Disruptions, segments: ReadonlyMap<string, CompiledSegment>) {
    this.#scenario = scenario;
    this.#disruptions = disruptions;
    this.#segments = segments;
    this.#spread = scenario.travelTimeSpread;
    const coordinatesOf = new Map(scenario.detectors.map((detector) => [detector.id, detector.coordinates]));
    this.links = scenario.links.map((link) => {
      const road = (findRoadPath(scenario.segments, link.source, link.destination) ?? []).map((segment) =>
        compiledOf(segments, segment),
      );
      this.#roads.set(pairKey(link.source, link.destination), road);
      return {
        source: link.source,
        destination: link.destination,
        maxSeconds: link.maxSeconds,
        roadMeters: sum(road.map((segment) => segment.lengthMeters)),
        distanceMeters: link.lengthMeters ?? straightLine(coordinatesOf, link.source, link.destination),
        freeFlowSeconds: sum(
          road.map((segment) => truthSegmentSeconds(segment, segment.freeFlowSeconds, this.#spread)),
        ),
      };
    });
  }

  travelSeconds(link: LinkRef, at: UnixNanos): number {
    return this.#roadSeconds(this.#roadOf(link), at);
  }

  travelSecondsArrivingAt(link: LinkRef, at: UnixNanos): number {
    return this.#arrivingAt(this.#roadOf(link), at);
  }

  pathSecondsArrivingAt(detectorIds: readonly string[], at: UnixNanos): number {
    return this.#arrivingAt(this.#pathRoad(detectorIds), at);
  }

  #arrivingAt(road: readonly CompiledSegment[], at: UnixNanos): number {
    const timeline = this.#timelineOf(at);
    const arrival = secondOfDay(at);
    let travel = roadTravelSeconds(road, timeline, arrival, this.#spread);
    for (let step = 0; step < ARRIVAL_ITERATIONS; step += 1) {
      const next = roadTravelSeconds(road, timeline, arrival - travel, this.#spread);
      if (Math.abs(next - travel) < 1e-9) return next;
      travel = next;
    }
    return travel;
  }

  #roadSeconds(road: readonly CompiledSegment[], at: UnixNanos): number {
    return roadTravelSeconds(road, this.#timelineOf(at), secondOfDay(at), this.#spread);
  }

  #timelineOf(at: UnixNanos): Timeline {
    const day = floorDiv(at, DAY_NANOS);
    let timeline = this.#timelines.get(day);
    if (timeline === undefined) {
      timeline = new Timeline(this.#scenario, this.#disruptions, day * DAY_NANOS);
      this.#timelines.set(day, timeline);
    }
    return timeline;
  }

  #roadOf(link: LinkRef): readonly CompiledSegment[] {
    const road = this.#roads.get(pairKey(link.source, link.destination));
    if (road === undefined) {
      throw new ValidationError(
        'unknown_value',
        'link',
        `is "${link.source}" → "${link.destination}", which is not a link of the scenario`,
      );
    }
    return road;
  }

  /** The road through `detectorIds` in turn, each step along the road between them. */
  #pathRoad(detectorIds: readonly string[]): readonly CompiledSegment[] {
    const key = detectorIds.join('>');
    const known = this.#roads.get(key);
    if (known !== undefined) return known;
    const road: CompiledSegment[] = [];
    for (let step = 1; step < detectorIds.length; step += 1) {
      const from = detectorIds[step - 1] ?? '';
      const to = detectorIds[step] ?? '';
      const segments = findRoadPath(this.#scenario.segments, from, to);
      if (segments === undefined) {
        throw new ValidationError(
          'unknown_value',
          `detectorIds[${step}]`,
          `is "${to}", which no road leads to from "${from}"`,
        );
      }
      road.push(...segments.map((segment) => compiledOf(this.#segments, segment)));
    }
    if (road.length === 0) {
      throw new ValidationError(
        'too_short',
        'detectorIds',
        'has fewer than 2 detectors; a path has two ends',
      );
    }
    this.#roads.set(key, road);
    return road;
  }
}

/**
 * Travel time along consecutive segments for a vehicle entering the first at `entry`
 * (seconds on `timeline`): each segment's median vehicle, signal wait included.
 */
function roadTravelSeconds(
  road: readonly CompiledSegment[],
  timeline: Timeline,
  entry: number,
  spread: number,
): number {
  let elapsed = 0;
  for (const segment of road) {
    const drive = timeline.segmentSeconds(segment, entry + elapsed);
    elapsed += truthSegmentSeconds(segment, drive, spread);
  }
  return elapsed;
}

/** The median vehicle's time over a segment whose driving part takes `driveSeconds`. */
function truthSegmentSeconds(segment: CompiledSegment, driveSeconds: number, spread: number): number {
  return segment.signal === undefined
    ? driveSeconds
    : signalledMedianSeconds(driveSeconds, segment.signal, spread);
}

function compiledOf(segments: ReadonlyMap<string, CompiledSegment>, segment: RoadSegment): CompiledSegment {
  const compiled = segments.get(pairKey(segment.from, segment.to));
  if (compiled === undefined) throw new Error(`segment ${segment.from} → ${segment.to} was not compiled`);
  return compiled;
}

function straightLine(
  coordinatesOf: ReadonlyMap<DetectorId, Parameters<typeof distanceMeters>[0]>,
  from: DetectorId,
  to: DetectorId,
): number {
  const start = coordinatesOf.get(from);
  const end = coordinatesOf.get(to);
  if (start === undefined || end === undefined)
    throw new Error(`detector ${from} or ${to} has no coordinates`);
  return distanceMeters(start, end);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

import {
  distanceMeters,
  NANOS_PER_SECOND,
  ValidationError,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import {
  findRoadPath,
  pairKey,
  SECONDS_PER_DAY,
  validateScenario,
  type CongestionEpisode,
  type RoadSegment,
  type Scenario,
  type SignalTiming,
} from './scenario';

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
 * The true travel time of every link at every instant, a function of time of day
 * (UTC) alone: the simulator samples vehicles around it, accuracy checks compare with it.
 */
export interface GroundTruth {
  /** Seconds a vehicle entering the link (passing its source) at `at` takes to its destination. */
  travelSeconds(link: LinkRef, at: UnixNanos): number;
  /**
   * Seconds a vehicle reaching the link's destination at `at` took: what the latest
   * possible sample at `at` measures. Solves entry + travelSeconds(entry) = at.
   */
  travelSecondsArrivingAt(link: LinkRef, at: UnixNanos): number;
  readonly links: readonly TruthLink[];
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

const DAY_NANOS = BigInt(SECONDS_PER_DAY) * NANOS_PER_SECOND;
/** Arrival-time inversion converges geometrically; this many steps reach well below a microsecond. */
const ARRIVAL_ITERATIONS = 60;

/** The ground truth of a scenario (validated first). */
export function groundTruth(scenario: Scenario): GroundTruth {
  validateScenario(scenario);
  return new ScenarioTruth(scenario, compileSegments(scenario));
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

/** The true travel time of a segment for a vehicle entering it at `secondOfDay`. */
export function segmentTravelSeconds(segment: CompiledSegment, secondOfDay: number): number {
  return segment.freeFlowSeconds * congestionFactor(segment.congestion, secondOfDay);
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

export function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

class ScenarioTruth implements GroundTruth {
  readonly links: readonly TruthLink[];
  readonly #roads = new Map<string, readonly CompiledSegment[]>();
  readonly #spread: number;

  constructor(scenario: Scenario, segments: ReadonlyMap<string, CompiledSegment>) {
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
    return roadTravelSeconds(this.#roadOf(link), secondOfDay(at), this.#spread);
  }

  travelSecondsArrivingAt(link: LinkRef, at: UnixNanos): number {
    const road = this.#roadOf(link);
    const arrival = secondOfDay(at);
    let travel = roadTravelSeconds(road, arrival, this.#spread);
    for (let step = 0; step < ARRIVAL_ITERATIONS; step += 1) {
      const next = roadTravelSeconds(road, arrival - travel, this.#spread);
      if (Math.abs(next - travel) < 1e-9) return next;
      travel = next;
    }
    return travel;
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
}

/**
 * Travel time along consecutive segments for a vehicle entering the first at
 * `entrySecondOfDay`: each segment's median vehicle, signal wait included.
 */
function roadTravelSeconds(
  road: readonly CompiledSegment[],
  entrySecondOfDay: number,
  spread: number,
): number {
  let elapsed = 0;
  for (const segment of road) {
    const drive = segmentTravelSeconds(segment, modulo(entrySecondOfDay + elapsed, SECONDS_PER_DAY));
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

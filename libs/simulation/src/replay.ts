import {
  NANOS_PER_SECOND,
  parseDetectorLink,
  percentile,
  resolveEstimatorConfig,
  type DetectorId,
  type EstimatorConfig,
  type LinkEstimateInput,
  type Pseudonymiser,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import type { GroundTruth, TruthLink } from './ground-truth';
import type { SimulatedSighting } from './simulate';

/**
 * A simulation's sightings as the store would hold them (pseudonymised when a
 * pseudonymiser is given, else with the raw identifier as device id), per detector and
 * sorted by time, so the estimator's input for any link and interval is two binary searches.
 */
export class SightingIndex {
  readonly #sightings = new Map<string, Sighting[]>();
  readonly #times = new Map<string, UnixNanos[]>();

  constructor(simulated: readonly SimulatedSighting[], pseudonymiser?: Pseudonymiser) {
    for (const sighting of simulated) {
      const stored = storedSighting(sighting, pseudonymiser);
      const list = this.#sightings.get(sighting.detectorId);
      if (list === undefined) this.#sightings.set(sighting.detectorId, [stored]);
      else list.push(stored);
    }
    for (const [detector, list] of this.#sightings) {
      list.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      this.#times.set(
        detector,
        list.map((sighting) => sighting.time),
      );
    }
  }

  /** How many sightings the index holds. */
  get size(): number {
    let total = 0;
    for (const list of this.#sightings.values()) total += list.length;
    return total;
  }

  /** The detector's sightings with time in [from, to), oldest first. */
  between(detector: DetectorId, from: UnixNanos, to: UnixNanos): Sighting[] {
    const times = this.#times.get(detector) ?? [];
    return (this.#sightings.get(detector) ?? []).slice(lowerBound(times, from), lowerBound(times, to));
  }

  /** Everything the estimator needs for `link` and the window ending at `intervalEnd`, and no more. */
  linkInput(
    link: TruthLink,
    intervalEnd: UnixNanos,
    config: Partial<EstimatorConfig> = {},
  ): LinkEstimateInput {
    const resolved = resolveEstimatorConfig(config);
    const destinationLookback = resolved.windowSeconds + resolved.historySeconds + resolved.passGapSeconds;
    const sourceLookback = destinationLookback + link.maxSeconds;
    return {
      link: parseDetectorLink(link),
      source: this.between(link.source, intervalEnd - secondsToNanos(sourceLookback), intervalEnd),
      destination: this.between(
        link.destination,
        intervalEnd - secondsToNanos(destinationLookback),
        intervalEnd,
      ),
      intervalEnd,
      distanceMeters: link.distanceMeters,
      config,
    };
  }
}

/** One link's estimate for one interval beside the truth. */
export interface ScoredInterval {
  readonly link: TruthLink;
  readonly intervalEnd: UnixNanos;
  /** The travel time of a vehicle reaching the destination at intervalEnd: the current travel time. */
  readonly truthSeconds: number;
  readonly estimateSeconds: number | undefined;
  readonly validSamples: number;
}

/** What an estimator under test reports: a travel time (undefined when it has none) and its valid samples. */
export interface EstimatorReading {
  readonly seconds: number | undefined;
  readonly validSamples: number;
}

/**
 * Runs `estimate` for every link of `truth` at every `stepSeconds` interval end in
 * (from, from + durationSeconds], scoring each against the truth at that instant.
 */
export function scoreEstimator(options: {
  readonly index: SightingIndex;
  readonly truth: GroundTruth;
  readonly from: UnixNanos;
  readonly durationSeconds: number;
  readonly stepSeconds: number;
  readonly estimate: (input: LinkEstimateInput) => EstimatorReading;
  readonly config?: Partial<EstimatorConfig>;
}): ScoredInterval[] {
  const { index, truth, from, durationSeconds, stepSeconds, estimate, config } = options;
  const scored: ScoredInterval[] = [];
  for (const link of truth.links) {
    for (let offset = stepSeconds; offset <= durationSeconds; offset += stepSeconds) {
      const intervalEnd = from + secondsToNanos(offset);
      const reading = estimate(index.linkInput(link, intervalEnd, config));
      scored.push({
        link,
        intervalEnd,
        truthSeconds: truth.travelSecondsArrivingAt(link, intervalEnd),
        estimateSeconds: reading.seconds,
        validSamples: reading.validSamples,
      });
    }
  }
  return scored;
}

export interface ErrorSummary {
  /** Intervals scored: those with an estimate from at least the required valid samples. */
  readonly intervals: number;
  /** Median and 90th percentile of |estimate − truth| / truth, as fractions. */
  readonly medianApe: number;
  readonly p90Ape: number;
  /** The share of scored intervals within 10 % of the truth. */
  readonly within10Percent: number;
}

/** Absolute percentage errors of the intervals with an estimate from ≥ `minValidSamples` samples. */
export function summariseErrors(intervals: readonly ScoredInterval[], minValidSamples = 3): ErrorSummary {
  const errors = absolutePercentageErrors(intervals, minValidSamples);
  return {
    intervals: errors.length,
    medianApe: percentile(errors, 0.5) ?? Number.NaN,
    p90Ape: percentile(errors, 0.9) ?? Number.NaN,
    within10Percent: errors.filter((error) => error <= 0.1).length / errors.length,
  };
}

export function absolutePercentageErrors(
  intervals: readonly ScoredInterval[],
  minValidSamples = 3,
): number[] {
  const errors: number[] = [];
  for (const interval of intervals) {
    if (interval.estimateSeconds === undefined || interval.validSamples < minValidSamples) continue;
    errors.push(Math.abs(interval.estimateSeconds - interval.truthSeconds) / interval.truthSeconds);
  }
  return errors;
}

function storedSighting(sighting: SimulatedSighting, pseudonymiser: Pseudonymiser | undefined): Sighting {
  const { detectorId, time } = sighting;
  if (pseudonymiser === undefined) return { detectorId, deviceId: sighting.rawDeviceId, time };
  const { current, previous } = pseudonymiser.pseudonymsAt(sighting.kind, sighting.rawDeviceId, time);
  return previous === undefined
    ? { detectorId, deviceId: current, time }
    : { detectorId, deviceId: current, time, previousDeviceId: previous };
}

/** The first index whose time is ≥ `time` (times sorted ascending). */
function lowerBound(times: readonly UnixNanos[], time: UnixNanos): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as UnixNanos) < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function secondsToNanos(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e6)) * (NANOS_PER_SECOND / 1_000_000n);
}

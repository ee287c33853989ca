import type { DetectorLink } from '../detector-link';
import { secondsToNanos } from '../duration';
import type { EstimatorConfig } from './estimator-config';
import { matchPasses, type TravelSample } from './pass-matching';
import { collapsePasses } from './passes';
import type { Sighting } from '../sighting';
import type { UnixNanos } from '../time';
import { ValidationError } from '../validation-error';

/** What an estimate of one link for one interval is computed from. */
export interface LinkEstimateInput {
  /** The link: source → destination and its maxSeconds. */
  readonly link: DetectorLink;
  /**
   * Sightings at link.source in [intervalEnd − window − history − maxSeconds − passGap,
   * intervalEnd). Wider input is allowed: sightings at or after intervalEnd are ignored.
   */
  readonly source: readonly Sighting[];
  /** Sightings at link.destination in [intervalEnd − window − history − passGap, intervalEnd). */
  readonly destination: readonly Sighting[];
  /** End of the estimated window (exclusive), e.g. the start of the current minute. */
  readonly intervalEnd: UnixNanos;
  /**
   * The link's length in metres for the speed: the straight-line distance between the
   * detectors, or a configured road length. Without it there is no speed.
   */
  readonly distanceMeters?: number;
  /** Overrides of DEFAULT_ESTIMATOR_CONFIG. */
  readonly config?: Partial<EstimatorConfig>;
}

/** A link's samples for one interval, in destination-time order. */
export interface LinkSamples {
  /** Samples with destination time in [intervalEnd − window − history, intervalEnd). */
  readonly samples: readonly TravelSample[];
  /** intervalEnd − window: samples from here on are the estimate's. */
  readonly windowStart: UnixNanos;
}

/**
 * The estimator's first steps, public for methods of one's own built on the same
 * samples (the benchmark's baselines are). Collapses both detectors' sightings (before intervalEnd) into passes, matches them,
 * and keeps the samples whose destination time lies in the filter's span. Matching
 * runs over all the given passes, so a source pass consumed by an earlier destination
 * pass stays consumed even when that earlier sample lies before the span.
 */
export function linkSamples(input: LinkEstimateInput, config: EstimatorConfig): LinkSamples {
  const { link, intervalEnd } = input;
  checkDetector(input.source, link.source, 'source');
  checkDetector(input.destination, link.destination, 'destination');
  const before = (sighting: Sighting) => sighting.time < intervalEnd;
  const matched = matchPasses(
    collapsePasses(input.source.filter(before), config.passGapSeconds),
    collapsePasses(input.destination.filter(before), config.passGapSeconds),
    { maxSeconds: link.maxSeconds, measure: config.measure },
  );
  const windowStart = intervalEnd - secondsToNanos(config.windowSeconds);
  const spanStart = windowStart - secondsToNanos(config.historySeconds);
  return { samples: matched.filter((sample) => sample.destinationTime >= spanStart), windowStart };
}

/** The link length as given, checked: finite and > 0. */
export function checkedDistance(distanceMeters: number | undefined): number | undefined {
  if (distanceMeters === undefined) return undefined;
  if (!Number.isFinite(distanceMeters)) {
    throw new ValidationError(
      'not_finite',
      'distanceMeters',
      `is ${distanceMeters}; expected a length in metres`,
    );
  }
  if (distanceMeters <= 0) {
    throw new ValidationError(
      'out_of_range',
      'distanceMeters',
      `is ${distanceMeters}; a link's length must be > 0`,
    );
  }
  return distanceMeters;
}

function checkDetector(
  sightings: readonly Sighting[],
  detector: string,
  field: 'source' | 'destination',
): void {
  sightings.forEach((sighting, index) => {
    if (sighting.detectorId !== detector) {
      throw new RangeError(
        `${field}[${index}].detectorId is "${sighting.detectorId}", not the link's ${field} "${detector}"`,
      );
    }
  });
}

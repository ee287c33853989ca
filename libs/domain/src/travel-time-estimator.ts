import type { DetectorLink } from './detector-link';
import { secondsToNanos } from './duration';
import { resolveEstimatorConfig, type EstimatorConfig } from './estimator-config';
import { checkedDistance, linkSamples, type LinkEstimateInput } from './link-samples';
import { newestConsistentSamples } from './newest-consistent-samples';
import { mean, percentileOfSorted, sortedAscending } from './percentiles';
import { filterTravelTimes } from './sample-filter';
import type { UnixNanos } from './time';
import type { EstimateStatus, TravelTimeEstimate } from './travel-time-estimate';

/**
 * The travel time of one link for the window ending at `input.intervalEnd`: passes,
 * matching, the adaptive outlier filter over window + history, then statistics of the
 * valid samples in the window. Pure: the same input always gives the same estimate.
 *
 * - Valid samples are the window's samples the filter accepted, from the latest
 *   regime change on when one falls inside the window (older ones describe traffic
 *   that has changed: counting them would hold the estimate back for a whole window),
 *   and of those the newest consistent part (`newestConsistentSamples`), so a
 *   gradually building jam is followed too.
 * - totalSamples counts every matched sample in the window, valid or not.
 * - Median, 15th and 85th percentiles by linear interpolation (`percentileOfSorted`),
 *   and the mean, of the valid samples; undefined when there are none.
 * - speedKmh = distanceMeters / median, when a distance is given.
 * - status: `stale` when no valid sample arrived in the last staleAfterSeconds before
 *   intervalEnd (none at all included); otherwise `insufficient_data` with fewer than
 *   minValidSamples valid samples (the statistics of those few are still given);
 *   otherwise `ok`.
 */
export function estimateLink(input: LinkEstimateInput): TravelTimeEstimate {
  const config = resolveEstimatorConfig(input.config);
  const distanceMeters = checkedDistance(input.distanceMeters);
  const { samples, windowStart } = linkSamples(input, config);
  const { accepted, regimeStart } = filterTravelTimes(
    samples.map((sample) => sample.travelSeconds),
    config.outlierK,
  );
  const regimeStartTime = regimeStart === undefined ? undefined : samples[regimeStart]?.destinationTime;
  const validFrom =
    regimeStartTime !== undefined && regimeStartTime > windowStart ? regimeStartTime : windowStart;
  const valid: number[] = [];
  let totalSamples = 0;
  let newestValid: UnixNanos | undefined;
  samples.forEach((sample, index) => {
    if (accepted[index] === true) newestValid = sample.destinationTime;
    if (sample.destinationTime < windowStart) return;
    totalSamples += 1;
    if (accepted[index] === true && sample.destinationTime >= validFrom) valid.push(sample.travelSeconds);
  });
  return summariseEstimate({
    link: input.link,
    intervalEnd: input.intervalEnd,
    config,
    valid: newestConsistentSamples(valid),
    totalSamples,
    newestValid,
    distanceMeters,
  });
}

/** What an estimate is summarised from, whichever method picked the valid samples. */
export interface EstimateParts {
  readonly link: DetectorLink;
  readonly intervalEnd: UnixNanos;
  readonly config: EstimatorConfig;
  /** Travel times (seconds) the estimate describes. */
  readonly valid: readonly number[];
  readonly totalSamples: number;
  /** Destination time of the newest valid sample, for staleness. */
  readonly newestValid: UnixNanos | undefined;
  readonly distanceMeters: number | undefined;
}

/** The estimate of `parts`: statistics, speed and status as `estimateLink` defines them. */
export function summariseEstimate(parts: EstimateParts): TravelTimeEstimate {
  const { link, intervalEnd, config, valid, distanceMeters } = parts;
  const sorted = sortedAscending(valid);
  const estimate: TravelTimeEstimate = {
    source: link.source,
    destination: link.destination,
    intervalEnd,
    windowSeconds: config.windowSeconds,
    validSamples: sorted.length,
    totalSamples: parts.totalSamples,
    status: statusOf(parts),
  };
  const medianSeconds = percentileOfSorted(sorted, 0.5);
  if (medianSeconds === undefined) return estimate;
  return {
    ...estimate,
    medianSeconds,
    p15Seconds: percentileOfSorted(sorted, 0.15),
    p85Seconds: percentileOfSorted(sorted, 0.85),
    meanSeconds: mean(sorted),
    ...(distanceMeters === undefined ? {} : { speedKmh: (distanceMeters / medianSeconds) * 3.6 }),
  };
}

function statusOf({ intervalEnd, config, valid, newestValid }: EstimateParts): EstimateStatus {
  const staleBefore = intervalEnd - secondsToNanos(config.staleAfterSeconds);
  if (newestValid === undefined || newestValid < staleBefore) return 'stale';
  return valid.length < config.minValidSamples ? 'insufficient_data' : 'ok';
}

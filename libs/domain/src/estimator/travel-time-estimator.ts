import type { DetectorLink } from '../detector-link';
import { secondsToNanos } from '../duration';
import { resolveEstimatorConfig, type EstimatorConfig } from './estimator-config';
import { checkedDistance, linkSamples, type LinkEstimateInput } from './link-samples';
import { newestConsistentSamples } from './newest-consistent-samples';
import { withoutOvertakenSamples } from './overtaken-samples';
import { mean, median, percentileOfSorted, sortedAscending } from './percentiles';
import type { TravelSample } from './pass-matching';
import { filterTravelTimes, type FilteredTravelTimes } from './sample-filter';
import type { UnixNanos } from '../time';
import type { EstimateStatus, TravelTimeEstimate } from './travel-time-estimate';

/**
 * A window with at least this many plausible samples is never outvoted by its history:
 * five trips are more than a stray run of odd ones, and few enough that a quiet link
 * still reaches it within a window.
 */
const WINDOW_QUORUM = 5;

/**
 * The travel time of one link for the window ending at `input.intervalEnd`: passes,
 * matching, the plausible minimum, the adaptive outlier filter over window + history,
 * then statistics of the valid samples in the window. Pure: the same input always
 * gives the same estimate.
 *
 * - Samples shorter than the link's minimum travel time (`minimumTravelSeconds`) are
 *   impossible trips (overlapping reader ranges, clock jumps): they are rejected before
 *   the filter, so they can neither be valid nor anchor its reference.
 * - Trips clearly overtaken by a vehicle that left later (`withoutOvertakenSamples`)
 *   stopped on the way and are dropped too: the filter cannot tell three stops in a row
 *   from a jam by their lengths, but queued traffic keeps its order and stops do not.
 * - History informs but never outvotes: when the window holds at least 5 plausible
 *   samples and the filter, anchored on the history, rejects most of them while the
 *   window filtered on its own accepts most, the window's own judgement is taken.
 * - Valid samples are the window's samples the filter accepted, from the latest
 *   regime change on when one falls inside the window (older ones describe traffic
 *   that has changed: counting them would hold the estimate back for a whole window),
 *   and of those the newest consistent part (`newestConsistentSamples`), so a
 *   gradually building jam is followed too.
 * - totalSamples counts every matched sample in the window, valid or not.
 * - Median, 15th and 85th percentiles by linear interpolation (`percentileOfSorted`),
 *   and the mean, of the valid samples; undefined when there are none.
 * - speedKmh = distanceMeters / median, when a distance is given.
 * - status: see `statusOf`.
 */
export function estimateLink(input: LinkEstimateInput): TravelTimeEstimate {
  const config = resolveEstimatorConfig(input.config);
  const distanceMeters = checkedDistance(input.distanceMeters);
  const { samples, windowStart } = linkSamples(input, config);
  const minSeconds = minimumTravelSeconds(input.link, distanceMeters, config);
  const plausible = withoutOvertakenSamples(samples.filter((sample) => sample.travelSeconds >= minSeconds));
  const { accepted, regimeStart } = filterWithoutOutvotingWindow(plausible, windowStart, config.outlierK);
  const regimeStartTime = regimeStart === undefined ? undefined : plausible[regimeStart]?.destinationTime;
  const validFrom =
    regimeStartTime !== undefined && regimeStartTime > windowStart ? regimeStartTime : windowStart;
  const valid: number[] = [];
  let newestValid: UnixNanos | undefined;
  plausible.forEach((sample, index) => {
    if (accepted[index] !== true) return;
    newestValid = sample.destinationTime;
    if (sample.destinationTime >= validFrom) valid.push(sample.travelSeconds);
  });
  return summariseEstimate({
    link: input.link,
    intervalEnd: input.intervalEnd,
    config,
    valid: newestConsistentSamples(valid),
    totalSamples: samples.filter((sample) => sample.destinationTime >= windowStart).length,
    newestValid,
    distanceMeters,
  });
}

/**
 * The shortest plausible trip over the link, in seconds: the link's configured
 * `minSeconds`, else its length at the speed cap, else 0 (no length, no minimum).
 */
export function minimumTravelSeconds(
  link: DetectorLink,
  distanceMeters: number | undefined,
  config: EstimatorConfig,
): number {
  if (link.minSeconds !== undefined) return link.minSeconds;
  if (distanceMeters === undefined) return 0;
  return distanceMeters / (config.maxSpeedKmh / KMH_PER_METER_PER_SECOND);
}

const KMH_PER_METER_PER_SECOND = 3.6;

/**
 * The filter over history + window, unless that lets the history outvote a window with
 * a quorum of its own: then the window filtered alone. "Outvote" is a majority of the
 * window's samples rejected by the history-anchored filter while a majority of them
 * lie within ±50 % of the window's own median, i.e. the window agrees with itself. A
 * window that does not (a burst of stops of unrelated lengths) keeps the history's
 * judgement.
 */
function filterWithoutOutvotingWindow(
  samples: readonly TravelSample[],
  windowStart: UnixNanos,
  outlierK: number,
): FilteredTravelTimes {
  const travelSeconds = samples.map((sample) => sample.travelSeconds);
  const withHistory = filterTravelTimes(travelSeconds, outlierK);
  const firstInWindow = samples.findIndex((sample) => sample.destinationTime >= windowStart);
  if (firstInWindow <= 0) return withHistory;
  const inWindow = travelSeconds.slice(firstInWindow);
  if (inWindow.length < WINDOW_QUORUM) return withHistory;
  const acceptedWithHistory = countTrue(withHistory.accepted.slice(firstInWindow));
  if (2 * acceptedWithHistory > inWindow.length || !agreesWithItself(inWindow)) return withHistory;
  const alone = filterTravelTimes(inWindow, outlierK);
  const accepted = [...travelSeconds.slice(0, firstInWindow).map(() => false), ...alone.accepted];
  return { accepted, regimeStart: firstInWindow + (alone.regimeStart ?? 0) };
}

/** A window agrees with itself when most of its samples lie within ±50 % of its median. */
const WINDOW_AGREEMENT_RELATIVE_HALF_WIDTH = 0.5;

function agreesWithItself(travelSeconds: readonly number[]): boolean {
  const center = median(travelSeconds) as number;
  const near = travelSeconds.filter(
    (value) => Math.abs(value - center) <= WINDOW_AGREEMENT_RELATIVE_HALF_WIDTH * center,
  ).length;
  return 2 * near > travelSeconds.length;
}

function countTrue(flags: readonly boolean[]): number {
  return flags.reduce((count, flag) => (flag ? count + 1 : count), 0);
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

/**
 * - `no_samples`: no matched sample in the window;
 * - `all_rejected`: samples were matched, but none is valid;
 * - `stale`: valid samples, but none in the last staleAfterSeconds before intervalEnd
 *   (possible when staleAfterSeconds is shorter than the window);
 * - `insufficient_data`: fewer than minValidSamples valid samples (their statistics
 *   are still given);
 * - otherwise `ok`.
 */
function statusOf({ intervalEnd, config, valid, newestValid, totalSamples }: EstimateParts): EstimateStatus {
  if (totalSamples === 0) return 'no_samples';
  if (valid.length === 0) return 'all_rejected';
  const staleBefore = intervalEnd - secondsToNanos(config.staleAfterSeconds);
  if (newestValid === undefined || newestValid < staleBefore) return 'stale';
  return valid.length < config.minValidSamples ? 'insufficient_data' : 'ok';
}

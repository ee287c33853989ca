// BENCHMARK BASELINES ONLY: the common methods the estimator is measured against in
// the travel-time suite. No deployment publishes them, so they live here, not in domain.
import {
  linkSamples,
  percentileOfSorted,
  resolveEstimatorConfig,
  summariseEstimate,
  type LinkEstimateInput,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';

/** A baseline's estimate, with the one value that baseline publishes as the travel time. */
export interface BaselineEstimate extends TravelTimeEstimate {
  /** The baseline's travel time: the mean for the IQR filter, the median for the plain median. */
  readonly travelSeconds?: number;
}

/** The IQR filter looks back over this many previous samples. */
export const IQR_BASELINE_PREVIOUS_SAMPLES = 15;
/** Fences at Q1 − 0.75 × IQR and Q3 + 0.75 × IQR of the previous samples. */
export const IQR_BASELINE_FENCE = 0.75;
/** With fewer previous samples than this, quartiles mean little and a sample is accepted. */
const IQR_BASELINE_MIN_PREVIOUS = 4;

/**
 * Benchmark baseline (a): the mean of the window's samples that pass the common
 * "within 75 % of the interquartile range of the previous 15 samples" filter. Each
 * sample, in destination-time order, is kept when it lies within
 * [Q1 − 0.75 × IQR, Q3 + 0.75 × IQR] of the (up to) 15 matched samples before it,
 * valid or not (as the filter is usually run on the raw stream); with fewer than 4
 * previous samples it is kept. Passes, matching, window, history and statuses are
 * the estimator's, so only the filter and the statistic differ.
 */
export function iqrFilteredMeanEstimate(input: LinkEstimateInput): BaselineEstimate {
  const config = resolveEstimatorConfig(input.config);
  const { samples, windowStart } = linkSamples(input, config);
  const travelSeconds = samples.map((sample) => sample.travelSeconds);
  const valid: number[] = [];
  let totalSamples = 0;
  let newestValid: UnixNanos | undefined;
  samples.forEach((sample, index) => {
    const inWindow = sample.destinationTime >= windowStart;
    if (inWindow) totalSamples += 1;
    const previous = travelSeconds.slice(Math.max(0, index - IQR_BASELINE_PREVIOUS_SAMPLES), index);
    if (!withinIqrFences(sample.travelSeconds, previous)) return;
    newestValid = sample.destinationTime;
    if (inWindow) valid.push(sample.travelSeconds);
  });
  const estimate = summariseEstimate({
    link: input.link,
    intervalEnd: input.intervalEnd,
    config,
    valid,
    totalSamples,
    newestValid,
    distanceMeters: input.distanceMeters,
  });
  return estimate.meanSeconds === undefined ? estimate : { ...estimate, travelSeconds: estimate.meanSeconds };
}

/**
 * Benchmark baseline (b): the median of every matched sample in the window, without
 * any filter. Statistics and statuses as the estimator's, over all samples.
 */
export function plainMedianEstimate(input: LinkEstimateInput): BaselineEstimate {
  const config = resolveEstimatorConfig(input.config);
  const { samples, windowStart } = linkSamples(input, config);
  const inWindow = samples.filter((sample) => sample.destinationTime >= windowStart);
  const estimate = summariseEstimate({
    link: input.link,
    intervalEnd: input.intervalEnd,
    config,
    valid: inWindow.map((sample) => sample.travelSeconds),
    totalSamples: inWindow.length,
    newestValid: samples[samples.length - 1]?.destinationTime,
    distanceMeters: input.distanceMeters,
  });
  return estimate.medianSeconds === undefined
    ? estimate
    : { ...estimate, travelSeconds: estimate.medianSeconds };
}

function withinIqrFences(value: number, previous: readonly number[]): boolean {
  if (previous.length < IQR_BASELINE_MIN_PREVIOUS) return true;
  const sorted = Float64Array.from(previous).sort();
  const lowerQuartile = percentileOfSorted(sorted, 0.25) as number;
  const upperQuartile = percentileOfSorted(sorted, 0.75) as number;
  const fence = IQR_BASELINE_FENCE * (upperQuartile - lowerQuartile);
  return value >= lowerQuartile - fence && value <= upperQuartile + fence;
}

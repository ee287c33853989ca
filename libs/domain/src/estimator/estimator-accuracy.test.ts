import { describe, expect, it } from 'vitest';
import { at, LINK, syntheticTraffic } from '../../test/synthetic-traffic';
import type { LinkEstimateInput } from './link-samples';
import { median } from './percentiles';
import type { Sighting } from '../sighting';
import { estimateLink } from './travel-time-estimator';

// A six-hour synthetic link: 300 s, congestion doubling it to 600 s from 3 h to 4 h,
// 120 detected trips an hour, 8 % spread, 15 % of vehicles stopping for 1–20 minutes.
const ONSET = 3 * 3600;
const CLEARING = 4 * 3600;
const truth = (seconds: number) => (seconds >= ONSET && seconds < CLEARING ? 600 : 300);
const traffic = syntheticTraffic({
  seed: 7,
  startSeconds: 0,
  endSeconds: 6 * 3600,
  tripsPerHour: 120,
  truth,
  spread: 0.08,
  stopShare: 0.15,
});

/** The input a worker would read for the interval ending at `endSeconds` (one estimate a minute). */
function inputAt(endSeconds: number): LinkEstimateInput {
  const destinationFrom = endSeconds - 900 - 1800 - 120;
  const within = (from: number) => (sighting: Sighting) =>
    sighting.time >= at(from) && sighting.time < at(endSeconds);
  return {
    link: LINK,
    source: traffic.source.filter(within(destinationFrom - LINK.maxSeconds)),
    destination: traffic.destination.filter(within(destinationFrom)),
    intervalEnd: at(endSeconds),
  };
}

const intervalEnds = Array.from({ length: 5 * 60 + 1 }, (_, minute) => 3600 + 60 * minute);
const estimates = intervalEnds.map((end) => ({ end, ours: estimateLink(inputAt(end)) }));

function absolutePercentageError(value: number | undefined, end: number): number {
  return Math.abs((value as number) - truth(end)) / truth(end);
}

describe('estimator on a synthetic day with stops and a congestion episode', () => {
  it('keeps the median absolute percentage error ≤ 5 % on intervals with ≥ 3 valid samples', () => {
    const errors = estimates
      .filter(({ ours }) => ours.validSamples >= 3)
      .map(({ ours, end }) => absolutePercentageError(ours.medianSeconds, end));
    expect(errors.length).toBeGreaterThan(280);
    expect(median(errors)).toBeLessThanOrEqual(0.05);
  });

  it('tracks the onset and the clearing within 5 minutes', () => {
    const firstWithin15Percent = (from: number) =>
      estimates.find(
        ({ end, ours }) => end > from && absolutePercentageError(ours.medianSeconds, end) <= 0.15,
      )?.end;
    expect((firstWithin15Percent(ONSET) as number) - ONSET).toBeLessThanOrEqual(300);
    expect((firstWithin15Percent(CLEARING) as number) - CLEARING).toBeLessThanOrEqual(300);
  });
});

import {
  estimateLink,
  parseDetectorId,
  type DetectorLink,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { iqrFilteredMeanEstimate, plainMedianEstimate } from './baselines';

/** 2027-01-15T08:00:00Z: times below are seconds after it. */
const BASE: UnixNanos = 1_800_000_000n * 1_000_000_000n;
const LINK: DetectorLink = {
  source: parseDetectorId('det-A'),
  destination: parseDetectorId('det-B'),
  maxSeconds: 1800,
};
const at = (seconds: number): UnixNanos => BASE + BigInt(Math.round(seconds * 1e9));

const INTERVAL_END = at(3600);

/** One sighting per detector per device, arriving one a minute from 2760 s (inside the window [2700, 3600)). */
function inputOf(travelSeconds: number[]) {
  const source: Sighting[] = [];
  const destination: Sighting[] = [];
  travelSeconds.forEach((seconds, index) => {
    const arrival = 2760 + 60 * index;
    source.push({ detectorId: LINK.source, deviceId: `dev-${index}`, time: at(arrival - seconds) });
    destination.push({ detectorId: LINK.destination, deviceId: `dev-${index}`, time: at(arrival) });
  });
  return { link: LINK, source, destination, intervalEnd: INTERVAL_END };
}

/** One sighting per detector per device: each trip leaves at `departure` s and takes `seconds`. */
function tripsOf(trips: readonly { departure: number; seconds: number }[]) {
  const source: Sighting[] = [];
  const destination: Sighting[] = [];
  trips.forEach(({ departure, seconds }, index) => {
    source.push({ detectorId: LINK.source, deviceId: `dev-${index}`, time: at(departure) });
    destination.push({ detectorId: LINK.destination, deviceId: `dev-${index}`, time: at(departure + seconds) });
  });
  return { link: LINK, source, destination, intervalEnd: INTERVAL_END };
}

describe('benchmark baselines', () => {
  it('plain median: every matched sample in the window, unfiltered', () => {
    expect(plainMedianEstimate(inputOf([290, 295, 300, 305, 310, 1200]))).toMatchObject({
      travelSeconds: 302.5,
      medianSeconds: 302.5,
      meanSeconds: 450,
      validSamples: 6,
      totalSamples: 6,
      status: 'ok',
    });
  });

  it('IQR-filtered mean: keeps samples within Q1 − 0.75 IQR .. Q3 + 0.75 IQR of the previous 15', () => {
    // 295 is judged against [300, 310, 290, 305]: fences 290.94..312.81, kept.
    // 900 against [300, 310, 290, 305, 295]: fences 287.5..312.5, dropped.
    // 302 against the six before it, 900 included: fences 286.875..318.125, kept.
    const estimate = iqrFilteredMeanEstimate(inputOf([300, 310, 290, 305, 295, 900, 302]));
    expect(estimate).toMatchObject({ validSamples: 6, totalSamples: 7, status: 'ok' });
    expect(estimate.travelSeconds).toBeCloseTo(1802 / 6, 12);
    expect(estimate.meanSeconds).toBeCloseTo(1802 / 6, 12);
    // With fewer than 4 previous samples everything is kept.
    expect(iqrFilteredMeanEstimate(inputOf([300, 900, 1500]))).toMatchObject({
      travelSeconds: 900,
      validSamples: 3,
    });
  });

  it('lag behind a congestion onset that the estimator follows', () => {
    // A queue keeps its order: vehicles leave a minute apart at ~300 s, then the next four,
    // 15 s apart, take ~600 s, each arriving after the one before it (no one overtakes).
    const steady = [300, 305, 295, 310, 290, 302, 298, 301, 304].map((seconds, index) => ({
      departure: 2400 + 60 * index,
      seconds,
    }));
    const slow = [600, 610, 605, 615].map((seconds, index) => ({ departure: 2900 + 15 * index, seconds }));
    const input = tripsOf([...steady, ...slow]);
    // None of the four 600 s trips passes the fences of the 300 s trips before them (nor
    // does 290, judged against [300, 305, 295, 310] alone: fences 293.125..311.875).
    expect(iqrFilteredMeanEstimate(input)).toMatchObject({ travelSeconds: 2415 / 8, validSamples: 8 });
    expect(plainMedianEstimate(input).travelSeconds).toBe(304);
    expect(estimateLink(input)).toMatchObject({ medianSeconds: 607.5, validSamples: 4, totalSamples: 13 });
  });

  it('have no travel time without samples', () => {
    const empty = { link: LINK, source: [], destination: [], intervalEnd: INTERVAL_END };
    expect(plainMedianEstimate(empty)).not.toHaveProperty('travelSeconds');
    expect(iqrFilteredMeanEstimate(empty)).toMatchObject({ validSamples: 0, status: 'no_samples' });
    expect(iqrFilteredMeanEstimate(empty)).not.toHaveProperty('travelSeconds');
  });
});

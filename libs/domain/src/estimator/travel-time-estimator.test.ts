import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../test/expect-rejection';
import {
  at,
  DESTINATION,
  LINK,
  SOURCE,
  sightingsOf,
  tripsArriving,
  type Trip,
} from '../../test/synthetic-traffic';
import type { LinkEstimateInput } from './link-samples';
import type { Sighting } from '../sighting';
import { estimateLink } from './travel-time-estimator';

/** Window [2700, 3600) s, history [900, 2700) s. */
const INTERVAL_END = at(3600);

function estimate(trips: readonly Trip[], extra: Partial<LinkEstimateInput> = {}) {
  return estimateLink({ link: LINK, ...sightingsOf(trips), intervalEnd: INTERVAL_END, ...extra });
}

const FIVE_TRIPS = tripsArriving([2800, 2900, 3000, 3100, 3200], [290, 295, 300, 305, 310]);

describe('estimateLink', () => {
  it('gives median, 15th/85th percentiles (interpolated), mean, counts and ok', () => {
    expect(estimate(FIVE_TRIPS)).toEqual({
      source: SOURCE,
      destination: DESTINATION,
      intervalEnd: INTERVAL_END,
      windowSeconds: 900,
      medianSeconds: 300,
      p15Seconds: 293,
      p85Seconds: 307,
      meanSeconds: 300,
      validSamples: 5,
      totalSamples: 5,
      status: 'ok',
    });
  });

  it('gives the speed in km/h from the link length and the median', () => {
    expect(estimate(FIVE_TRIPS, { distanceMeters: 5000 }).speedKmh).toBeCloseTo(60, 12);
    expect(estimate(FIVE_TRIPS)).not.toHaveProperty('speedKmh');
  });

  it('counts a stopped vehicle in totalSamples but not in the statistics', () => {
    const trips = [
      ...FIVE_TRIPS,
      ...tripsArriving([3300], [1200]).map((trip) => ({ ...trip, deviceId: 'stopper' })),
    ];
    expect(estimate(trips)).toMatchObject({
      medianSeconds: 300,
      meanSeconds: 300,
      validSamples: 5,
      totalSamples: 6,
    });
  });

  it('judges the window in the context of the history before it', () => {
    // Steady 300 s trips in the history; in the window one ordinary trip and two long ones.
    const history = tripsArriving([1000, 1200, 1400, 1600, 1800, 2000], [300, 302, 298, 305, 295, 300]);
    const window = tripsArriving([2800, 3000, 3200], [301, 700, 900]).map((trip, index) => ({
      ...trip,
      deviceId: `window-${index}`,
    }));
    expect(estimate([...history, ...window])).toMatchObject({
      medianSeconds: 301,
      validSamples: 1,
      totalSamples: 3,
      status: 'insufficient_data',
    });
  });

  it('reports what there is as insufficient_data below minValidSamples', () => {
    const trips = tripsArriving([3000, 3300], [300, 310]);
    expect(estimate(trips)).toMatchObject({
      medianSeconds: 305,
      meanSeconds: 305,
      validSamples: 2,
      totalSamples: 2,
      status: 'insufficient_data',
    });
    expect(estimate(trips, { config: { minValidSamples: 2 } }).status).toBe('ok');
  });

  it('tells no samples, all rejected, stale, insufficient and ok apart', () => {
    // Only history: nothing matched in the window.
    const historyOnly = tripsArriving([1000, 1500, 2000], [300, 300, 300]);
    expect(estimate(historyOnly)).toEqual({
      source: SOURCE,
      destination: DESTINATION,
      intervalEnd: INTERVAL_END,
      windowSeconds: 900,
      validSamples: 0,
      totalSamples: 0,
      status: 'no_samples',
    });
    expect(estimate([]).status).toBe('no_samples');
    // Matched in the window, but every one faster than the configured minimum.
    expect(estimate(FIVE_TRIPS, { link: { ...LINK, minSeconds: 400 } })).toEqual({
      source: SOURCE,
      destination: DESTINATION,
      intervalEnd: INTERVAL_END,
      windowSeconds: 900,
      validSamples: 0,
      totalSamples: 5,
      status: 'all_rejected',
    });
    // The newest valid sample arrived at 3200: 400 s before intervalEnd.
    expect(estimate(FIVE_TRIPS, { config: { staleAfterSeconds: 399 } })).toMatchObject({
      medianSeconds: 300,
      validSamples: 5,
      status: 'stale',
    });
    expect(estimate(FIVE_TRIPS, { config: { staleAfterSeconds: 400 } }).status).toBe('ok');
    expect(estimate(FIVE_TRIPS.slice(0, 2)).status).toBe('insufficient_data');
  });

  it('rejects samples faster than the link length at the speed cap allows, before the filter', () => {
    // 200 m at 130 km/h takes 5.54 s: the overlapping-range reads of 1 and 2 s are
    // impossible, and 4 of them must not anchor the filter against the 30 s trips.
    const trips = tripsArriving(
      [2750, 2800, 2850, 2900, 2950, 3000, 3050, 3100, 3150],
      [1, 30, 2, 31, 1, 29, 2, 30, 32],
    );
    expect(estimate(trips, { distanceMeters: 200 })).toMatchObject({
      medianSeconds: 30,
      validSamples: 5,
      totalSamples: 9,
      status: 'ok',
    });
    // A slower cap raises the minimum: 200 m at 20 km/h is 36 s.
    expect(estimate(trips, { distanceMeters: 200, config: { maxSpeedKmh: 20 } }).status).toBe('all_rejected');
    // The link's own minimum takes precedence over the length.
    expect(estimate(trips, { link: { ...LINK, minSeconds: 30 } })).toMatchObject({
      medianSeconds: 30.5,
      validSamples: 4,
    });
  });

  it('never lets a history of near-zero samples outvote a window of ten consistent ones', () => {
    // The history of a short link without a known length: a run of overlapping-range
    // reads near 1 s. The window then holds ten ordinary trips around 32 s.
    const history = tripsArriving(
      Array.from({ length: 12 }, (_, index) => 1000 + 120 * index),
      [1, 1.2, 0.8, 1, 1.1, 0.9, 1, 1.3, 0.7, 1, 1.2, 0.9],
    ).map((trip) => ({ ...trip, deviceId: `history-${trip.deviceId}` }));
    const window = tripsArriving(
      Array.from({ length: 10 }, (_, index) => 2750 + 80 * index),
      [31, 33, 30, 34, 32, 29, 35, 32, 31, 33],
    );
    expect(estimate([...history, ...window])).toMatchObject({
      medianSeconds: 32,
      validSamples: 10,
      totalSamples: 10,
      status: 'ok',
    });
  });

  it('keeps the history when the window does not agree with itself either', () => {
    // Steady 300 s trips, then a window of five stops of unrelated lengths.
    const history = tripsArriving([1000, 1200, 1400, 1600, 1800, 2000], [300, 302, 298, 305, 295, 300]).map(
      (trip) => ({ ...trip, deviceId: `history-${trip.deviceId}` }),
    );
    const window = tripsArriving([2800, 2900, 3000, 3100, 3200], [700, 1500, 303, 1100, 450]);
    expect(estimate([...history, ...window])).toMatchObject({
      medianSeconds: 303,
      validSamples: 1,
      totalSamples: 5,
      status: 'insufficient_data',
    });
  });

  it('measures trips through overlapping reader ranges first-first under last-first', () => {
    // Each device is read at the source at departure and again 12 s later, after its
    // first read at the destination (departure + 10 s): last-first would be −2 s.
    const departures = [2800, 2900, 3000, 3100, 3200];
    const source = departures.flatMap((departure, index) => [
      { detectorId: SOURCE, deviceId: `dev-${index}`, time: at(departure) },
      { detectorId: SOURCE, deviceId: `dev-${index}`, time: at(departure + 12) },
    ]);
    const destination = departures.map((departure, index) => ({
      detectorId: DESTINATION,
      deviceId: `dev-${index}`,
      time: at(departure + 10),
    }));
    const input = { link: LINK, source, destination, intervalEnd: INTERVAL_END, distanceMeters: 150 };
    expect(estimateLink({ ...input, config: { measure: 'last-first' } })).toMatchObject({
      medianSeconds: 10,
      validSamples: 5,
      totalSamples: 5,
      status: 'ok',
    });
  });

  it('windows samples by destination time: [intervalEnd − window, intervalEnd)', () => {
    const trips = tripsArriving([2699.999999999, 2700, 3599.999999999, 3600], [300, 300, 300, 300]);
    expect(estimate(trips)).toMatchObject({ validSamples: 2, totalSamples: 2 });
    expect(estimate(trips, { config: { windowSeconds: 60 } })).toMatchObject({
      validSamples: 1,
      totalSamples: 1,
    });
  });

  it('ignores sightings at or after intervalEnd, so wider input gives the same estimate', () => {
    const { source, destination } = sightingsOf(FIVE_TRIPS);
    const later = (sighting: Sighting, seconds: number): Sighting => ({ ...sighting, time: at(seconds) });
    const wider = {
      source: [...source, ...source.map((sighting) => later(sighting, 3610))],
      destination: [...destination, ...destination.map((sighting) => later(sighting, 3600))],
    };
    expect(estimateLink({ link: LINK, ...wider, intervalEnd: INTERVAL_END })).toEqual(estimate(FIVE_TRIPS));
  });

  it('measures middle-middle by default, first-first or last-first when configured', () => {
    const trips = tripsArriving([3000, 3100, 3200], [300, 300, 300]);
    const { source, destination } = sightingsOf(trips);
    // Each device lingers 20 s at the source: a second sighting before the departure.
    const lingering = [
      ...source,
      ...source.map((sighting) => ({ ...sighting, time: sighting.time - 20_000_000_000n })),
    ];
    const input = { link: LINK, source: lingering, destination, intervalEnd: INTERVAL_END };
    expect(estimateLink(input).medianSeconds).toBe(310);
    expect(estimateLink({ ...input, config: { measure: 'first-first' } }).medianSeconds).toBe(320);
    expect(estimateLink({ ...input, config: { measure: 'last-first' } }).medianSeconds).toBe(300);
  });

  it('follows a congestion onset once two trips agree on it', () => {
    // One departure a minute; 300 s (± a few) until 2700 s, then 600 s. Queued traffic
    // keeps its order: the first slow trip arrives at 3300 s, after every fast one.
    const departures = Array.from({ length: 58 }, (_, minute) => 60 * minute);
    const travel = departures.map((departure, index) => (departure < 2700 ? 300 : 600) + ((index * 7) % 11) - 5);
    const trips = tripsArriving(
      departures.map((departure, index) => departure + (travel[index] as number)),
      travel,
    );
    const estimateAt = (seconds: number) =>
      estimateLink({ link: LINK, ...sightingsOf(trips), intervalEnd: at(seconds) });
    expect(estimateAt(3300)).toMatchObject({ validSamples: 9, totalSamples: 9, status: 'ok' });
    expect(estimateAt(3300).medianSeconds).toBeCloseTo(300, -1);
    const twoNew = estimateAt(3366);
    expect(twoNew).toMatchObject({ validSamples: 2, totalSamples: 10, status: 'insufficient_data' });
    expect(Math.abs((twoNew.medianSeconds as number) - 600) / 600).toBeLessThanOrEqual(0.15);
    expect(estimateAt(3426)).toMatchObject({ validSamples: 3, status: 'ok' });
  });

  it('follows a jam building gradually through the window', () => {
    // One trip a minute, the travel time growing by 10 s a minute from 300 s.
    const arrivals = Array.from({ length: 15 }, (_, minute) => 2700 + 60 * minute);
    const trips = tripsArriving(
      arrivals,
      arrivals.map((_, minute) => 300 + 10 * minute),
    );
    // The window's median (370 s) lags 70 s behind the newest trip (440 s); its newest
    // consistent part, the last 8 trips (370–440 s), lags half as much.
    expect(estimate(trips)).toMatchObject({ medianSeconds: 405, validSamples: 8, totalSamples: 15 });
  });

  it('matches trips across a pseudonym rotation', () => {
    const sightings = (
      detectorId: typeof SOURCE,
      deviceId: string,
      seconds: number,
      previousDeviceId?: string,
    ) => ({
      detectorId,
      deviceId,
      time: at(seconds),
      ...(previousDeviceId === undefined ? {} : { previousDeviceId }),
    });
    // Boundary at 2400 s with an overlap to 2700 s.
    const source = [
      sightings(SOURCE, 'old-1', 2300), // left before the boundary...
      sightings(SOURCE, 'new-2', 2500, 'old-2'), // left in the overlap...
      sightings(SOURCE, 'old-3', 2300),
    ];
    const destination = [
      sightings(DESTINATION, 'new-1', 2600, 'old-1'), // ...arrived in the overlap (stored with both)
      sightings(DESTINATION, 'new-2', 2810), // ...arrived after it (new pseudonym only)
      sightings(DESTINATION, 'new-3', 2950), // never seen in the overlap: cannot be matched
    ];
    expect(estimateLink({ link: LINK, source, destination, intervalEnd: at(3000) })).toMatchObject({
      medianSeconds: 305,
      p15Seconds: 301.5,
      validSamples: 2,
      totalSamples: 2,
    });
  });

  it('refuses sightings of another detector, a bad length and a bad config, naming the field', () => {
    const { source, destination } = sightingsOf(FIVE_TRIPS);
    expect(() =>
      estimateLink({ link: LINK, source: destination, destination, intervalEnd: INTERVAL_END }),
    ).toThrow(new RangeError(`source[0].detectorId is "det-B", not the link's source "det-A"`));
    expect(() =>
      estimateLink({ link: LINK, source, destination: source, intervalEnd: INTERVAL_END }),
    ).toThrow(new RangeError(`destination[0].detectorId is "det-A", not the link's destination "det-B"`));
    expectRejection(
      () => estimate(FIVE_TRIPS, { distanceMeters: 0 }),
      'out_of_range',
      'distanceMeters',
      "is 0; a link's length must be > 0",
    );
    expectRejection(
      () => estimate(FIVE_TRIPS, { distanceMeters: Number.NaN }),
      'not_finite',
      'distanceMeters',
      'is NaN; expected a length in metres',
    );
    expectRejection(
      () => estimate(FIVE_TRIPS, { config: { outlierK: -1 } }),
      'out_of_range',
      'outlierK',
      'is -1; it must be > 0',
    );
  });
});

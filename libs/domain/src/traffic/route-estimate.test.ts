import { describe, expect, it } from 'vitest';
import { at } from '../../test/synthetic-traffic';
import type { DetectorLink } from '../detector-link';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { parseDetectorId, type DetectorId } from '../ids/detector-id';
import type { Sighting } from '../sighting';
import { parseRoute } from './route';
import { estimateRoute, MIN_MATCHED_ROUTE_SAMPLES, routeLink, sumOfLinkEstimates } from './route-estimate';

const A = parseDetectorId('a');
const B = parseDetectorId('b');
const C = parseDetectorId('c');
const ROUTE = parseRoute({ name: 'corridor', detectorIds: ['a', 'b', 'c'] });
const LINKS: DetectorLink[] = [
  { source: A, destination: B, maxSeconds: 600, minSeconds: 30 },
  { source: B, destination: C, maxSeconds: 900 },
];
const INTERVAL_END = at(3600);

function linkEstimate(
  source: DetectorId,
  destination: DetectorId,
  fields: Partial<TravelTimeEstimate>,
): TravelTimeEstimate {
  return {
    source,
    destination,
    intervalEnd: INTERVAL_END,
    windowSeconds: 900,
    validSamples: 10,
    totalSamples: 12,
    status: 'ok',
    ...fields,
  };
}

const AB = linkEstimate(A, B, { medianSeconds: 100, p15Seconds: 97, p85Seconds: 110, meanSeconds: 101 });
const BC = linkEstimate(B, C, {
  medianSeconds: 200,
  p15Seconds: 196,
  p85Seconds: 205,
  meanSeconds: 199,
  validSamples: 4,
  totalSamples: 30,
});

/**
 * Devices seen at A then C, arriving at C every 60 s within the window: one per entry
 * of `travelSeconds`, or `count` of them when it is one number.
 */
function endToEnd(
  count: number,
  travelSeconds: number | readonly number[],
): { first: Sighting[]; last: Sighting[] } {
  const trips =
    typeof travelSeconds === 'number' ? Array.from({ length: count }, () => travelSeconds) : travelSeconds;
  const first: Sighting[] = [];
  const last: Sighting[] = [];
  trips.forEach((seconds, index) => {
    const arrival = 2800 + index * 60;
    first.push({ detectorId: A, deviceId: `dev-${index}`, time: at(arrival - seconds) });
    last.push({ detectorId: C, deviceId: `dev-${index}`, time: at(arrival) });
  });
  return { first, last };
}

describe('routeLink', () => {
  it('runs first → last with the summed maxSeconds, and a minSeconds only when every link has one', () => {
    expect(routeLink(ROUTE, LINKS)).toEqual({ source: A, destination: C, maxSeconds: 1500 });
    expect(routeLink(ROUTE, [LINKS[0]!, { ...LINKS[1]!, minSeconds: 40 }])).toEqual({
      source: A,
      destination: C,
      maxSeconds: 1500,
      minSeconds: 70,
    });
    expect(routeLink(ROUTE, [LINKS[0]!])).toBeUndefined();
  });
});

describe('estimateRoute', () => {
  it('takes the end-to-end matches when they make an ok estimate', () => {
    const estimate = estimateRoute({
      route: ROUTE,
      intervalEnd: INTERVAL_END,
      link: routeLink(ROUTE, LINKS),
      ...endToEnd(6, 320),
      linkEstimates: [AB, BC],
      distanceMeters: 3200,
    });
    expect(estimate).toEqual({
      source: A,
      destination: C,
      intervalEnd: INTERVAL_END,
      windowSeconds: 900,
      medianSeconds: 320,
      p15Seconds: 320,
      p85Seconds: 320,
      meanSeconds: 320,
      validSamples: 6,
      totalSamples: 6,
      speedKmh: 36,
      status: 'ok',
      route: ROUTE.name,
      routeMethod: 'matched',
    });
  });

  it('sums the links when too few devices cross the whole route', () => {
    const estimate = estimateRoute({
      route: ROUTE,
      intervalEnd: INTERVAL_END,
      link: routeLink(ROUTE, LINKS),
      ...endToEnd(2, 320),
      linkEstimates: [BC, AB],
      distanceMeters: 3000,
    });
    expect(estimate).toEqual({
      source: A,
      destination: C,
      intervalEnd: INTERVAL_END,
      windowSeconds: 900,
      medianSeconds: 300,
      // Offsets 3 and 4 below, 10 and 5 above, in quadrature.
      p15Seconds: 295,
      p85Seconds: 300 + Math.sqrt(125),
      meanSeconds: 300,
      validSamples: 4,
      totalSamples: 12,
      speedKmh: 36,
      status: 'ok',
      route: ROUTE.name,
      routeMethod: 'sum_of_links',
    });
  });
});

describe('estimateRoute against the links', () => {
  // The links sum to 300 s with the band 295–311.2 s; the margin is 10 % of 300 s, so
  // end-to-end trips count within 265–341.2 s.
  const input = {
    route: ROUTE,
    intervalEnd: INTERVAL_END,
    link: routeLink(ROUTE, LINKS),
    linkEstimates: [AB, BC],
    distanceMeters: 3000,
  };

  it('drops trips slower than the band before estimating, so stopped trips cannot make the median', () => {
    // Seven of ten through trips stopped for 2–5 minutes: the median of all ten is 480 s.
    const trips = [310, 305, 315, 430, 480, 600, 450, 520, 470, 500];
    const estimate = estimateRoute({ ...input, ...endToEnd(0, trips) });
    // Only the three unstopped trips are left: too few to be taken over the links.
    expect(estimate).toMatchObject({ routeMethod: 'sum_of_links', medianSeconds: 300 });

    const more = [310, 305, 315, 312, 308, 480, 600, 450, 520, 470];
    expect(estimateRoute({ ...input, ...endToEnd(0, more) })).toMatchObject({
      routeMethod: 'matched',
      medianSeconds: 310,
      validSamples: 5,
      totalSamples: 5,
      status: 'ok',
    });
  });

  it('takes the links when the end-to-end median lies outside the widened band', () => {
    // 250 s is below 265 s: faster than the links allow.
    expect(estimateRoute({ ...input, ...endToEnd(8, 250) })).toMatchObject({
      routeMethod: 'sum_of_links',
      medianSeconds: 300,
    });
    expect(estimateRoute({ ...input, ...endToEnd(8, 266) })).toMatchObject({
      routeMethod: 'matched',
      medianSeconds: 266,
    });
  });

  it(`needs ${MIN_MATCHED_ROUTE_SAMPLES} end-to-end samples to take them over the links`, () => {
    expect(estimateRoute({ ...input, ...endToEnd(MIN_MATCHED_ROUTE_SAMPLES - 1, 320) })).toMatchObject({
      routeMethod: 'sum_of_links',
      status: 'ok',
    });
    expect(estimateRoute({ ...input, ...endToEnd(MIN_MATCHED_ROUTE_SAMPLES, 320) })).toMatchObject({
      routeMethod: 'matched',
      medianSeconds: 320,
    });
  });

  it('takes no end-to-end estimate when a link has none to compare it with', () => {
    const estimate = estimateRoute({ ...input, linkEstimates: [AB], ...endToEnd(8, 320) });
    expect(estimate).toMatchObject({ routeMethod: 'sum_of_links', status: 'no_samples', validSamples: 0 });
    expect(estimate.medianSeconds).toBeUndefined();
  });
});

describe('sumOfLinkEstimates', () => {
  it('takes the worst status, and gives statistics only when every link has a median', () => {
    const short = sumOfLinkEstimates(ROUTE, INTERVAL_END, [AB, { ...BC, status: 'insufficient_data' }]);
    expect(short).toMatchObject({ status: 'insufficient_data', medianSeconds: 300 });
    expect(short.speedKmh).toBeUndefined();

    const missing = sumOfLinkEstimates(ROUTE, INTERVAL_END, [AB]);
    expect(sumOfLinkEstimates(ROUTE, INTERVAL_END, [], undefined, 600).windowSeconds).toBe(600);
    expect(missing).toEqual({
      source: A,
      destination: C,
      intervalEnd: INTERVAL_END,
      windowSeconds: 900,
      validSamples: 0,
      totalSamples: 0,
      status: 'no_samples',
      route: ROUTE.name,
      routeMethod: 'sum_of_links',
    });
  });
});

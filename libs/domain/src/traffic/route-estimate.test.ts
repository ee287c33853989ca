import { describe, expect, it } from 'vitest';
import { at } from '../../test/synthetic-traffic';
import type { DetectorLink } from '../detector-link';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { parseDetectorId, type DetectorId } from '../ids/detector-id';
import type { Sighting } from '../sighting';
import { parseRoute } from './route';
import { estimateRoute, routeLink, sumOfLinkEstimates } from './route-estimate';

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

/** Devices seen at A then C, `travelSeconds` apart, arriving at C every 60 s within the window. */
function endToEnd(count: number, travelSeconds: number): { first: Sighting[]; last: Sighting[] } {
  const first: Sighting[] = [];
  const last: Sighting[] = [];
  for (let index = 0; index < count; index += 1) {
    const arrival = 2800 + index * 60;
    first.push({ detectorId: A, deviceId: `dev-${index}`, time: at(arrival - travelSeconds) });
    last.push({ detectorId: C, deviceId: `dev-${index}`, time: at(arrival) });
  }
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

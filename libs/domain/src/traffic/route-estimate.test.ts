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

/** One device's trip along the route: seconds over A → B and B → C; `seenAtB: false` for a missed sighting. */
interface Trip {
  readonly ab: number;
  readonly bc: number;
  readonly seenAtB?: boolean;
}

/**
 * The sightings at A, B and C of devices on `trips`, one sighting a pass, arriving at C
 * every 60 s within the window ending at INTERVAL_END.
 */
function along(trips: readonly Trip[]): Sighting[][] {
  const sightings: Sighting[][] = [[], [], []];
  trips.forEach(({ ab, bc, seenAtB = true }, index) => {
    const arrival = 2800 + index * 60;
    const deviceId = `dev-${index}`;
    sightings[0]!.push({ detectorId: A, deviceId, time: at(arrival - bc - ab) });
    if (seenAtB) sightings[1]!.push({ detectorId: B, deviceId, time: at(arrival - bc) });
    sightings[2]!.push({ detectorId: C, deviceId, time: at(arrival) });
  });
  return sightings;
}

/** `count` devices on the same trip. */
function alike(count: number, trip: Trip): Trip[] {
  return Array.from({ length: count }, () => trip);
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
  // Each hop is plausible within its links' p15–p85 widened by 25 %: A → B 72.75–137.5 s,
  // B → C 147–256.25 s, and A → C (B missed) 219.75–393.75 s. The links sum to 300 s
  // (295–311.2 s), so the trips' median must lie within 265–341.2 s.
  const input = {
    route: ROUTE,
    intervalEnd: INTERVAL_END,
    link: routeLink(ROUTE, LINKS),
    linkEstimates: [AB, BC],
    distanceMeters: 3200,
  };

  it('takes devices seen on every hop, with their first-to-last times', () => {
    const trips = [
      { ab: 98, bc: 202 },
      { ab: 104, bc: 216 },
      { ab: 101, bc: 199 },
      { ab: 95, bc: 215 },
      { ab: 100, bc: 210 },
      { ab: 102, bc: 218 },
    ];
    expect(estimateRoute({ ...input, sightings: along(trips) })).toEqual({
      source: A,
      destination: C,
      intervalEnd: INTERVAL_END,
      windowSeconds: 900,
      // Trips of 300, 320, 300, 310, 310 and 320 s.
      medianSeconds: 310,
      p15Seconds: 300,
      p85Seconds: 320,
      meanSeconds: 310,
      validSamples: 6,
      totalSamples: 6,
      speedKmh: (3200 / 310) * 3.6,
      status: 'ok',
      route: ROUTE.name,
      routeMethod: 'matched',
    });
  });

  it('does not take a through device that stopped on one hop, however its other hop went', () => {
    const clean = { ab: 100, bc: 200 };
    // One device 150 s late on B → C (a stop), though quick on A → B.
    const stopped = { ab: 80, bc: 350 };
    const trips = [...alike(MIN_MATCHED_ROUTE_SAMPLES, clean), stopped];
    expect(estimateRoute({ ...input, sightings: along(trips) })).toMatchObject({
      routeMethod: 'matched',
      medianSeconds: 300,
      p85Seconds: 300,
      validSamples: MIN_MATCHED_ROUTE_SAMPLES,
      totalSamples: MIN_MATCHED_ROUTE_SAMPLES + 1,
    });
    // One unstopped device fewer: too few, the links' sum.
    const fewer = [...alike(MIN_MATCHED_ROUTE_SAMPLES - 1, clean), ...alike(4, stopped)];
    expect(estimateRoute({ ...input, sightings: along(fewer) })).toMatchObject({
      routeMethod: 'sum_of_links',
      medianSeconds: 300,
    });
  });

  it('takes a device missed at a middle detector when its hop is plausible over both links', () => {
    const clean = alike(MIN_MATCHED_ROUTE_SAMPLES - 1, { ab: 100, bc: 200 });
    const trips = [...clean, { ab: 100, bc: 230, seenAtB: false }];
    expect(estimateRoute({ ...input, sightings: along(trips) })).toMatchObject({
      routeMethod: 'matched',
      validSamples: MIN_MATCHED_ROUTE_SAMPLES,
      meanSeconds: (300 * (MIN_MATCHED_ROUTE_SAMPLES - 1) + 330) / MIN_MATCHED_ROUTE_SAMPLES,
    });
    // 300 s of stop over A → C is beyond the combined band: not a match.
    const stopped = [...clean, { ab: 100, bc: 500, seenAtB: false }];
    expect(estimateRoute({ ...input, sightings: along(stopped) })).toMatchObject({
      routeMethod: 'sum_of_links',
    });
  });

  it('takes the links when the trips, each plausible, lie beyond the widened summed band', () => {
    // 370 s is above 341.2 s: the links have moved on since these trips began.
    expect(estimateRoute({ ...input, sightings: along(alike(5, { ab: 130, bc: 240 })) })).toMatchObject({
      routeMethod: 'sum_of_links',
      medianSeconds: 300,
    });
    expect(estimateRoute({ ...input, sightings: along(alike(5, { ab: 120, bc: 220 })) })).toMatchObject({
      routeMethod: 'matched',
      medianSeconds: 340,
    });
  });

  it(`needs ${MIN_MATCHED_ROUTE_SAMPLES} plausible trips, else sums the links with combined spread`, () => {
    const few = along(alike(MIN_MATCHED_ROUTE_SAMPLES - 1, { ab: 100, bc: 220 }));
    expect(estimateRoute({ ...input, sightings: few, distanceMeters: 3000 })).toEqual({
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
    const enough = along(alike(MIN_MATCHED_ROUTE_SAMPLES, { ab: 100, bc: 220 }));
    expect(estimateRoute({ ...input, sightings: enough })).toMatchObject({
      routeMethod: 'matched',
      medianSeconds: 320,
    });
  });

  it('judges each hop by its link estimate of the time the hop was made', () => {
    // A → B was jammed (about 200 s) until five minutes before the interval end, 150 s then.
    const earlier = at(3600 - 300);
    const jammed = linkEstimate(A, B, {
      intervalEnd: earlier,
      medianSeconds: 200,
      p15Seconds: 190,
      p85Seconds: 215,
    });
    const clearing = linkEstimate(A, B, { medianSeconds: 150, p15Seconds: 145, p85Seconds: 160 });
    const sightings = along(alike(4, { ab: 205, bc: 180 }));
    // Hops into B at 2620–2800 s, judged by the first estimates ending 450 s later or after: at 3300 s.
    const estimates = [clearing, BC, jammed, { ...BC, intervalEnd: earlier }];
    expect(estimateRoute({ ...input, linkEstimates: estimates, sightings })).toMatchObject({
      routeMethod: 'matched',
      medianSeconds: 385,
    });
    // By the newest estimate alone, 205 s is beyond 1.25 × 160 s.
    expect(estimateRoute({ ...input, linkEstimates: [clearing, BC], sightings })).toMatchObject({
      routeMethod: 'sum_of_links',
    });
  });

  it('takes no trip over a link without an ok estimate to judge it by', () => {
    const sightings = along(alike(8, { ab: 100, bc: 200 }));
    const quiet = estimateRoute({
      ...input,
      linkEstimates: [AB, { ...BC, status: 'insufficient_data' }],
      sightings,
    });
    expect(quiet).toMatchObject({
      routeMethod: 'sum_of_links',
      status: 'insufficient_data',
      medianSeconds: 300,
    });
    const missing = estimateRoute({ ...input, linkEstimates: [AB], sightings });
    expect(missing).toMatchObject({ routeMethod: 'sum_of_links', status: 'no_samples', validSamples: 0 });
    expect(missing.medianSeconds).toBeUndefined();
  });

  it('takes no end-to-end estimate when the route is not all links', () => {
    const sightings = along(alike(8, { ab: 100, bc: 200 }));
    expect(estimateRoute({ ...input, link: undefined, sightings })).toMatchObject({
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

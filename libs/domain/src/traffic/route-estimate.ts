import type { DetectorLink } from '../detector-link';
import type { DetectorId } from '../ids/detector-id';
import {
  DEFAULT_ESTIMATOR_CONFIG,
  resolveEstimatorConfig,
  type EstimatorConfig,
} from '../estimator/estimator-config';
import type { EstimateStatus, TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { ESTIMATE_STATUSES } from '../estimator/travel-time-estimate';
import { checkedDistance } from '../estimator/link-samples';
import { newestConsistentSamples } from '../estimator/newest-consistent-samples';
import { summariseEstimate } from '../estimator/travel-time-estimator';
import type { Sighting } from '../sighting';
import type { UnixNanos } from '../time';
import type { Route } from './route';
import { plausibleRouteTrips } from './route-trips';

/**
 * The synthetic link a route's end-to-end trips are summarised on: first → last
 * detector, as long as the sum of its links' maxSeconds (no trip is longer), and as
 * short as the sum of their minSeconds when every link has one. Undefined when some
 * pair of the route is not among `links`.
 */
export function routeLink(route: Route, links: readonly DetectorLink[]): DetectorLink | undefined {
  let maxSeconds = 0;
  let minSeconds: number | undefined = 0;
  for (let index = 1; index < route.detectorIds.length; index += 1) {
    const source = route.detectorIds[index - 1];
    const destination = route.detectorIds[index];
    const link = links.find(
      (candidate) => candidate.source === source && candidate.destination === destination,
    );
    if (link === undefined) return undefined;
    maxSeconds += link.maxSeconds;
    minSeconds =
      minSeconds === undefined || link.minSeconds === undefined ? undefined : minSeconds + link.minSeconds;
  }
  return {
    source: route.detectorIds[0] as DetectorId,
    destination: route.detectorIds[route.detectorIds.length - 1] as DetectorId,
    maxSeconds,
    ...(minSeconds === undefined ? {} : { minSeconds }),
  };
}

/** What a route's estimate for one interval is made from. */
export interface RouteEstimateInput {
  readonly route: Route;
  readonly intervalEnd: UnixNanos;
  /** From `routeLink`; undefined when the route's pairs are not all links (no end-to-end estimate then). */
  readonly link: DetectorLink | undefined;
  /**
   * Sightings at each route detector, in the route's order, over at least
   * [intervalEnd − window − passGap − link.maxSeconds, intervalEnd): a trip arriving at
   * the window's start may have left `link.maxSeconds` before.
   */
  readonly sightings: readonly (readonly Sighting[])[];
  /**
   * The estimates of the route's links, in any order: those for `intervalEnd` make the
   * sum (a missing one counts as `no_samples`), and those of earlier interval ends over
   * the lookback judge the end-to-end trips hop by hop (`plausibleRouteTrips`).
   */
  readonly linkEstimates: readonly TravelTimeEstimate[];
  /** The route's length in metres (the sum of its links'), for the speed. */
  readonly distanceMeters?: number;
  readonly config?: Partial<EstimatorConfig>;
}

/**
 * A matched route estimate needs this many plausible end-to-end trips in its window,
 * as a link needs `minValidSamples` (3). Every hop of each trip has passed its link's
 * band, so no stopped trip is left to move the median, and what remains is the
 * drivers' pace: about 6 % per link and independent, 2–3 % over a route of 5–11
 * links. On the products bench's corridor (5 % of vehicles detected, 15 % stopping per
 * link) 5 such trips in a window were too rare to use (0.2 % of the whole corridor's
 * intervals, 3 % of its middle's), and 3 were as accurate (median error 1.3 % and 1.4 %).
 */
export const MIN_MATCHED_ROUTE_SAMPLES = 3;

/**
 * How far (as a share of the links' summed median) the end-to-end median may lie
 * beyond the links' summed p15–p85 band. Its trips arrived over the last window after
 * up to a route's travel time each (17 minutes on the bench's corridor), while each
 * link's estimate follows its own, shorter trips: when a jam clears or an incident
 * begins, the end-to-end median lags by up to 20 % and the links have already moved.
 * 10 % is more than the drivers' pace moves a median of a few trips.
 */
export const MATCHED_ROUTE_MARGIN = 0.1;

/**
 * A route's travel time for one interval:
 *
 * - `matched` when at least `MIN_MATCHED_ROUTE_SAMPLES` devices reached the last
 *   detector in the window on a trip from the first that was plausible on every hop
 *   (`plausibleRouteTrips`: each hop within its links' band of that time, so a trip
 *   that stopped or detoured on any link is not a match) and their estimate is `ok`:
 *   median, p15/p85 and mean of those trips' first-to-last times, of the newest
 *   consistent part of the window (`newestConsistentSamples`, as for a link: a jam
 *   clearing moves a long route's time by a third within the window). No outlier filter
 *   runs over them: every hop has passed its link's, and what is left varies only by
 *   the drivers' pace. Their median must still lie within the links' summed band of
 *   `intervalEnd` widened by `MATCHED_ROUTE_MARGIN`, since it lags a changing route
 *   (see there); without a summed median nothing checks it, and the route has none.
 * - `sum_of_links` (`sumOfLinkEstimates`) otherwise: every link has its own,
 *   outlier-filtered estimate, while few devices cross a long route in one window
 *   without stopping anywhere.
 */
export function estimateRoute(input: RouteEstimateInput): TravelTimeEstimate {
  const { route, intervalEnd, link } = input;
  const config = resolveEstimatorConfig(input.config);
  const atEnd = input.linkEstimates.filter((estimate) => estimate.intervalEnd === intervalEnd);
  const summed = sumOfLinkEstimates(route, intervalEnd, atEnd, input.distanceMeters, config.windowSeconds);
  if (link === undefined) return summed;
  const trips = plausibleRouteTrips({
    route,
    intervalEnd,
    maxSeconds: link.maxSeconds,
    sightings: input.sightings,
    linkEstimates: input.linkEstimates,
    config,
  });
  const valid = newestConsistentSamples(trips.travelSeconds);
  if (valid.length < MIN_MATCHED_ROUTE_SAMPLES) return summed;
  const band = matchedBand(summed);
  if (band === undefined) return summed;
  const matched = summariseEstimate({
    link,
    intervalEnd,
    config,
    valid,
    totalSamples: trips.candidates,
    newestValid: trips.newestArrival,
    distanceMeters: checkedDistance(input.distanceMeters),
  });
  const median = matched.medianSeconds as number;
  if (matched.status !== 'ok' || median < band.low || median > band.high) return summed;
  return { ...matched, route: route.name, routeMethod: 'matched' };
}

/** The links' summed p15–p85 band widened by `MATCHED_ROUTE_MARGIN`; undefined without a summed median. */
function matchedBand(summed: TravelTimeEstimate): { low: number; high: number } | undefined {
  const { medianSeconds, p15Seconds, p85Seconds } = summed;
  if (medianSeconds === undefined || p15Seconds === undefined || p85Seconds === undefined) return undefined;
  const margin = MATCHED_ROUTE_MARGIN * medianSeconds;
  return { low: p15Seconds - margin, high: p85Seconds + margin };
}

/**
 * The route's travel time as the sum of its links' estimates for `intervalEnd` (taken
 * from `linkEstimates` by source and destination; a missing one counts as `no_samples`):
 *
 * - median and mean: the sums of the links' (the mean only when every link has one);
 * - p15/p85: the summed median minus/plus the links' offsets (median − p15, p85 − median)
 *   combined in quadrature, as for independent delays; exactly the sum for one link;
 * - valid and total samples: the least over the links, since the route is only as well
 *   observed as its least observed link;
 * - status: the worst of the links' (in `ESTIMATE_STATUSES` order), so `ok` only when
 *   every link is; statistics only when every link has a median;
 * - speed from `distanceMeters` when given;
 * - the links' window, or `windowSeconds` when no link has an estimate.
 */
export function sumOfLinkEstimates(
  route: Route,
  intervalEnd: UnixNanos,
  linkEstimates: readonly TravelTimeEstimate[],
  distanceMeters?: number,
  windowSeconds: number = DEFAULT_ESTIMATOR_CONFIG.windowSeconds,
): TravelTimeEstimate {
  const pairs = route.detectorIds.slice(1).map((destination, index) => ({
    source: route.detectorIds[index] as DetectorId,
    destination,
  }));
  const parts = pairs.map(({ source, destination }) =>
    linkEstimates.find((estimate) => estimate.source === source && estimate.destination === destination),
  );
  const window = parts.find((part) => part !== undefined)?.windowSeconds ?? windowSeconds;
  let status: EstimateStatus = 'ok';
  for (const part of parts) {
    const partStatus = part?.status ?? 'no_samples';
    if (ESTIMATE_STATUSES.indexOf(partStatus) > ESTIMATE_STATUSES.indexOf(status)) status = partStatus;
  }
  const estimate: TravelTimeEstimate = {
    source: pairs[0]!.source,
    destination: pairs[pairs.length - 1]!.destination,
    intervalEnd,
    windowSeconds: window,
    validSamples: Math.min(...parts.map((part) => part?.validSamples ?? 0)),
    totalSamples: Math.min(...parts.map((part) => part?.totalSamples ?? 0)),
    status,
    route: route.name,
    routeMethod: 'sum_of_links',
  };
  const withMedians = parts.filter((part) => part?.medianSeconds !== undefined) as TravelTimeEstimate[];
  if (withMedians.length < parts.length) return estimate;
  let medianSeconds = 0;
  let below = 0;
  let above = 0;
  let meanSeconds: number | undefined = 0;
  for (const part of withMedians) {
    const partMedian = part.medianSeconds as number;
    medianSeconds += partMedian;
    below += (partMedian - (part.p15Seconds ?? partMedian)) ** 2;
    above += ((part.p85Seconds ?? partMedian) - partMedian) ** 2;
    meanSeconds =
      meanSeconds === undefined || part.meanSeconds === undefined
        ? undefined
        : meanSeconds + part.meanSeconds;
  }
  return {
    ...estimate,
    medianSeconds,
    p15Seconds: medianSeconds - Math.sqrt(below),
    p85Seconds: medianSeconds + Math.sqrt(above),
    ...(meanSeconds === undefined ? {} : { meanSeconds }),
    ...(distanceMeters === undefined || medianSeconds <= 0
      ? {}
      : { speedKmh: (distanceMeters / medianSeconds) * 3.6 }),
  };
}

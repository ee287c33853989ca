import type { DetectorLink } from '../detector-link';
import type { DetectorId } from '../ids/detector-id';
import {
  DEFAULT_ESTIMATOR_CONFIG,
  resolveEstimatorConfig,
  type EstimatorConfig,
} from '../estimator/estimator-config';
import type { EstimateStatus, TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { ESTIMATE_STATUSES } from '../estimator/travel-time-estimate';
import { estimateLink } from '../estimator/travel-time-estimator';
import type { Sighting } from '../sighting';
import type { UnixNanos } from '../time';
import type { Route } from './route';

/**
 * The synthetic link a route's end-to-end matches are estimated on: first → last
 * detector, as long as the sum of its links' maxSeconds, and as short as the sum of
 * their minSeconds when every link has one (else the estimator derives it from the
 * route's length). Undefined when some pair of the route is not among `links`.
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
  /** Sightings at the first detector over the lookback of `link` (see `LinkEstimateInput.source`). */
  readonly first: readonly Sighting[];
  /** Sightings at the last detector (see `LinkEstimateInput.destination`). */
  readonly last: readonly Sighting[];
  /**
   * The estimates of the route's links for `intervalEnd`, in any order; a missing one
   * counts as `no_samples`.
   */
  readonly linkEstimates: readonly TravelTimeEstimate[];
  /** The route's length in metres (the sum of its links'), for the speed. */
  readonly distanceMeters?: number;
  readonly config?: Partial<EstimatorConfig>;
}

/**
 * A matched route estimate needs this many valid end-to-end samples: with fewer, one
 * odd through trip moves its median, and the links' sum is the steadier figure.
 */
export const MIN_MATCHED_ROUTE_SAMPLES = 5;

/**
 * How far (as a share of the links' summed median) the end-to-end trips may lie
 * beyond the links' summed p15–p85 band. That band is combined in quadrature, as for
 * independent delays, so it is narrow on a long route while one driver's pace carries
 * over from link to link; 10 % leaves room for that, and is less than what a stop or
 * detour adds to a trip (the links' own filters reject those on each link).
 */
export const MATCHED_ROUTE_MARGIN = 0.1;

/**
 * A route's travel time for one interval:
 *
 * - `sum_of_links` (`sumOfLinkEstimates`) by default: every link has its own,
 *   outlier-filtered estimate, while few devices are seen at both ends of a long route
 *   in one window;
 * - `matched` (devices seen at the first and then the last detector, through
 *   `estimateLink` on the route's synthetic link, `routeLink`) only when it agrees with
 *   the links. A trip stopping on any link is slow end to end, and with a share p of
 *   traversals stopping on each of n links only (1 − p)^n of the through trips do not
 *   stop (17 % for 15 % on 11 links): the end-to-end median then describes stopped
 *   trips, and no outlier filter can reject a majority. So when the links give a
 *   summed median, end-to-end samples slower than their summed p85 plus
 *   `MATCHED_ROUTE_MARGIN` are dropped before estimating (the synthetic link's
 *   maxSeconds is capped there), and the result is taken only when it is `ok`, has
 *   `MIN_MATCHED_ROUTE_SAMPLES` and its median lies within the links' p15–p85 band
 *   widened by the margin. Taking it only then also keeps the route's figure from
 *   jumping between two methods that disagree, which would make its alerts flap.
 * - Without a summed median (a link with no estimate: a quiet night, a silent
 *   detector) nothing tells through trips from stopped ones, so the route has no
 *   median either: the products bench measured 71–106 % median error on the
 *   end-to-end estimates taken unchecked then.
 */
export function estimateRoute(input: RouteEstimateInput): TravelTimeEstimate {
  const { route, intervalEnd, link } = input;
  const summed = sumOfLinkEstimates(
    route,
    intervalEnd,
    input.linkEstimates,
    input.distanceMeters,
    resolveEstimatorConfig(input.config).windowSeconds,
  );
  const band = matchedBand(summed);
  if (link === undefined || band === undefined) return summed;
  const matched = estimateLink({
    link: { ...link, maxSeconds: Math.min(link.maxSeconds, band.high) },
    source: input.first,
    destination: input.last,
    intervalEnd,
    distanceMeters: input.distanceMeters,
    config: input.config,
  });
  const median = matched.medianSeconds;
  const agrees = median !== undefined && median >= band.low && median <= band.high;
  if (matched.status !== 'ok' || !agrees || matched.validSamples < MIN_MATCHED_ROUTE_SAMPLES) return summed;
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

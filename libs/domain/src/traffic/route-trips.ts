import { nanosToSeconds, secondsToNanos } from '../duration';
import type { EstimatorConfig, TravelTimeMeasure } from '../estimator/estimator-config';
import { collapsePasses, identitiesOf, type Pass } from '../estimator/passes';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import type { Sighting } from '../sighting';
import type { UnixNanos } from '../time';
import type { Route } from './route';

/**
 * How far a hop may lie outside its links' p15–p85 band, as a share of the band's
 * edge, and still be a plausible trip. A stop or detour adds at least 2 minutes, about
 * a whole motorway link's time and far beyond 25 %; one driver's pace (a few % either
 * way) and an estimate that lags a building jam by a few minutes stay within it.
 */
export const ROUTE_HOP_MARGIN = 0.25;

/** The end-to-end trips of one route interval whose every hop is a plausible trip on its links. */
export interface RouteTrips {
  /** End-to-end seconds of the plausible trips, by arrival at the last detector. */
  readonly travelSeconds: readonly number[];
  /** Devices that reached the last detector in the window after a pass at the first: plausible or not. */
  readonly candidates: number;
  /** Arrival at the last detector of the newest plausible trip. */
  readonly newestArrival: UnixNanos | undefined;
}

/** What `plausibleRouteTrips` reads. */
export interface RouteTripsInput {
  readonly route: Route;
  readonly intervalEnd: UnixNanos;
  /** No trip is longer (the sum of the route's links' maxSeconds). */
  readonly maxSeconds: number;
  /** Sightings at each route detector, in the route's order. */
  readonly sightings: readonly (readonly Sighting[])[];
  /** The route's links' estimates, for any interval ends: each hop is judged by those of its time. */
  readonly linkEstimates: readonly TravelTimeEstimate[];
  readonly config: EstimatorConfig;
}

/**
 * A route's end-to-end trips for the window ending at `intervalEnd`, kept only when the
 * device's trip was plausible on every hop, which is what tells a through trip from
 * one with a stop or detour on some link (with 15 % stopping per link, 83 % of the
 * trips over 11 links stop somewhere, so the end-to-end median alone measures stops).
 *
 * For each device's pass at the last detector in [intervalEnd − window, intervalEnd),
 * walking back over the route: at each detector the device's latest pass that began
 * before the pass taken at the next one (matched by pseudonym or alias, as links match),
 * no further back than `maxSeconds` before the arrival. A detector with no such pass
 * is a gap (a missed sighting); the first detector must have one or there is no trip.
 * Each hop between consecutive detectors that saw the device is then judged against
 * the links it spans: their p15 and p85 summed, widened by `ROUTE_HOP_MARGIN`, taken
 * from each link's estimate nearest to the middle of the window that hop arrived in
 * (its interval end at hop arrival + window / 2, at most `intervalEnd`). A hop over a
 * link with no `ok` estimate then is not judged plausible: on a quiet night a link's
 * one or two samples may be the stopped trip itself. The trip's time is first pass to
 * last, timed like a link's (`config.measure`).
 */
export function plausibleRouteTrips(input: RouteTripsInput): RouteTrips {
  const { route, intervalEnd, config } = input;
  const detectorPasses = input.sightings.map(
    (sightings) =>
      new DetectorPasses(
        sightings.filter((sighting) => sighting.time < intervalEnd),
        config,
      ),
  );
  const bands = new HopBands(route, input.linkEstimates, config.windowSeconds, intervalEnd);
  const windowStart = intervalEnd - secondsToNanos(config.windowSeconds);
  const maxNanos = secondsToNanos(input.maxSeconds);
  const lastIndex = route.detectorIds.length - 1;
  const arrivals = (detectorPasses[lastIndex]?.passes ?? []).filter((pass) => pass.first >= windowStart);
  const travelSeconds: number[] = [];
  let candidates = 0;
  let newestArrival: UnixNanos | undefined;
  for (const arrival of arrivals) {
    const earliest = arrival.first - maxNanos;
    const identities = new Set(identitiesOf(arrival));
    const seen: { index: number; pass: Pass }[] = [{ index: lastIndex, pass: arrival }];
    for (let index = lastIndex - 1; index >= 0; index -= 1) {
      const next = seen[seen.length - 1]!.pass;
      const pass = detectorPasses[index]?.latestBefore(identities, next.first, earliest);
      if (pass === undefined) continue;
      for (const identity of identitiesOf(pass)) identities.add(identity);
      seen.push({ index, pass });
    }
    const departure = seen[seen.length - 1]!;
    if (departure.index !== 0) continue;
    candidates += 1;
    let plausible = true;
    for (let hop = seen.length - 1; hop > 0 && plausible; hop -= 1) {
      const from = seen[hop]!;
      const to = seen[hop - 1]!;
      const band = bands.between(from.index, to.index, to.pass.first);
      const seconds = passSeconds(from.pass, to.pass, config.measure);
      plausible = band !== undefined && seconds >= band.low && seconds <= band.high;
    }
    if (!plausible) continue;
    travelSeconds.push(passSeconds(departure.pass, arrival, config.measure));
    newestArrival = arrival.first;
  }
  return { travelSeconds, candidates, newestArrival };
}

/** One detector's passes, found by identity. */
class DetectorPasses {
  readonly passes: readonly Pass[];
  private readonly ofIdentity = new Map<string, Pass[]>();

  constructor(sightings: readonly Sighting[], config: EstimatorConfig) {
    this.passes = collapsePasses(sightings, config.passGapSeconds);
    for (const pass of this.passes) {
      for (const identity of identitiesOf(pass)) {
        const passes = this.ofIdentity.get(identity);
        if (passes === undefined) this.ofIdentity.set(identity, [pass]);
        else passes.push(pass);
      }
    }
  }

  /** The latest pass of any of `identities` that began in [earliest, before). */
  latestBefore(identities: ReadonlySet<string>, before: UnixNanos, earliest: UnixNanos): Pass | undefined {
    let latest: Pass | undefined;
    for (const identity of identities) {
      for (const pass of this.ofIdentity.get(identity) ?? []) {
        if (
          pass.first < before &&
          pass.first >= earliest &&
          (latest === undefined || pass.first > latest.first)
        )
          latest = pass;
      }
    }
    return latest;
  }
}

/** The route's links' estimates by link and interval end, giving a hop's plausible band. */
class HopBands {
  /** Per link of the route (by its source's index), estimates with a band, oldest first. */
  private readonly ofLink: TravelTimeEstimate[][];
  private readonly halfWindow: bigint;

  constructor(
    route: Route,
    estimates: readonly TravelTimeEstimate[],
    windowSeconds: number,
    private readonly intervalEnd: UnixNanos,
  ) {
    this.halfWindow = secondsToNanos(windowSeconds / 2);
    this.ofLink = route.detectorIds
      .slice(1)
      .map((destination, index) =>
        estimates
          .filter(
            (estimate) =>
              estimate.source === route.detectorIds[index] &&
              estimate.destination === destination &&
              estimate.status === 'ok' &&
              estimate.p15Seconds !== undefined &&
              estimate.p85Seconds !== undefined &&
              estimate.intervalEnd <= intervalEnd,
          )
          .sort((a, b) => (a.intervalEnd < b.intervalEnd ? -1 : a.intervalEnd > b.intervalEnd ? 1 : 0)),
      );
  }

  /**
   * The band of a hop from detector `from` to detector `to` (route indices) arriving at
   * `arrival`: the links' p15 and p85 summed, widened by `ROUTE_HOP_MARGIN`. None when
   * a link has no estimate within a window of that time: nothing judges the hop then.
   */
  between(from: number, to: number, arrival: UnixNanos): { low: number; high: number } | undefined {
    const centred = arrival + this.halfWindow;
    const at = centred < this.intervalEnd ? centred : this.intervalEnd;
    let low = 0;
    let high = 0;
    for (let link = from; link < to; link += 1) {
      const estimate = this.nearest(this.ofLink[link] ?? [], at);
      if (estimate === undefined || distance(estimate.intervalEnd, at) > this.halfWindow * 2n)
        return undefined;
      low += estimate.p15Seconds as number;
      high += estimate.p85Seconds as number;
    }
    return { low: low * (1 - ROUTE_HOP_MARGIN), high: high * (1 + ROUTE_HOP_MARGIN) };
  }

  /** The first estimate ending at or after `at`, else the newest before it (a window away at most: see `between`). */
  private nearest(estimates: readonly TravelTimeEstimate[], at: UnixNanos): TravelTimeEstimate | undefined {
    let low = 0;
    let high = estimates.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (estimates[middle]!.intervalEnd < at) low = middle + 1;
      else high = middle;
    }
    return estimates[low] ?? estimates[estimates.length - 1];
  }
}

function distance(a: UnixNanos, b: UnixNanos): bigint {
  return a > b ? a - b : b - a;
}

/**
 * Seconds from one pass to a later one, measured as the estimator measures a link
 * (pass-matching's rule, not exported from there): first-first where the chosen
 * instants are not in order.
 */
function passSeconds(departure: Pass, arrival: Pass, measure: TravelTimeMeasure): number {
  if (measure === 'middle-middle') {
    const travel = (arrival.first + arrival.last) / 2n - (departure.first + departure.last) / 2n;
    if (travel > 0n) return nanosToSeconds(travel);
  } else if (measure === 'last-first' && arrival.first > departure.last) {
    return nanosToSeconds(arrival.first - departure.last);
  }
  return nanosToSeconds(arrival.first - departure.first);
}

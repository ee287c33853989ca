import {
  buildTypicalProfile,
  DEFAULT_CONGESTION_ALERT_RULE,
  DEFAULT_ESTIMATOR_CONFIG,
  distanceMeters,
  estimateLink,
  estimateRoute,
  judgeCongestion,
  linkSamples,
  MIN_TYPICAL_BIN_SAMPLES,
  NANOS_PER_SECOND,
  routeLink,
  TimeOfWeekBins,
  trafficTargetKey,
  withCongestionFigures,
  type Alert,
  type CongestionAlertRule,
  type DetectorId,
  type DetectorLink,
  type EstimatorConfig,
  type Route,
  type Sighting,
  type TrafficTarget,
  type TravelSample,
  type TravelTimeEstimate,
  type TypicalProfile,
  type UnixNanos,
} from '@message-bus/domain';
import type { Journey } from '@message-bus/simulation';
import { scoreCongestionAlerts, trueCongestion, type AlertScore } from './products-scoring';
import {
  HOUR,
  MINUTE,
  productsPlan,
  simulateTraffic,
  type ProductsPlan,
  type ProductsTraffic,
} from './products-workload';

/**
 * The congestion-alert lab: the products bench's plan (same seed, incidents and faults)
 * replayed through the pure domain functions in memory, minutes instead of the half
 * hour the real worker over lmdb takes. It follows what the worker does per interval:
 *
 * - every link's `estimateLink` at every minute end, on the sightings of the same
 *   lookback (`estimatorLookback`: window, filter history, pass gap, the link's
 *   maxSeconds) and the straight-line length of the link;
 * - every route's `estimateRoute` on its detectors' sightings and its links' estimates
 *   over the route's lookback, as `RouteEstimates` reads them;
 * - typical profiles by `buildTypicalProfile` from the last 4 weeks of estimates,
 *   rebuilt every 6 hours of the live span (the worker's default refresh) and once at
 *   its start, then `withCongestionFigures` on each estimate;
 * - `judgeCongestion` once per interval on the newest `windowIntervals` estimates of each
 *   target, raised at the interval end plus the worker's 30 s lag (when the bench's
 *   round after it sees the alert);
 * - `scoreCongestionAlerts`, the bench's own scoring.
 *
 * What it leaves out: history rounds are hourly in the bench (same estimates), and its
 * profiles are rebuilt at whichever round falls due, not on the lab's 6-hour grid; the
 * bench also judges alerts in the history weeks (never scored).
 */

const INTERVAL = MINUTE;
/** The worker runs a round 30 s after each interval end (cqserver's lag). */
const ROUND_LAG = 30n * NANOS_PER_SECOND;
const WEEK = 7n * 24n * HOUR;
/** The worker's default profile refresh (PROFILE_REFRESH_SECONDS). */
const PROFILE_REFRESH = 6n * HOUR;

export interface LabOptions {
  readonly rule?: CongestionAlertRule;
  readonly estimatorConfig?: EstimatorConfig;
  /**
   * History weeks are estimated every this many minutes (1: every interval, as the
   * worker); more is quicker, and only the profiles' bins (a median of medians) see it,
   * but thinly filled night bins then fall under MIN_TYPICAL_BIN_SAMPLES and leave the
   * profile, so night estimates get no ratio and raise nothing: confirm at 1.
   * The last history hour is estimated every minute, so the live span's first route
   * estimates find their links' estimates as the worker's do.
   */
  readonly historyStepMinutes?: number;
  readonly log: (line: string) => void;
  /** The detected share of vehicles, when not the corridor's default 5 %. */
  readonly detectedShare?: number;
}

export interface LabResult {
  readonly plan: ProductsPlan;
  readonly score: AlertScore;
  readonly oracle: readonly OracleRow[];
  /** Every live estimate per target key, oldest first (for traces). */
  readonly estimates: ReadonlyMap<string, readonly TravelTimeEstimate[]>;
  readonly alerts: readonly Alert[];
  /** A link's matched samples (destination time order) over the filter's span of the window ending at `end`. */
  readonly samplesOf: (source: string, destination: string, end: UnixNanos) => readonly TravelSample[];
}

/** Runs the full plan (4 history weeks, 120 h live) through the lab. */
export function runCongestionLab(options: LabOptions): LabResult {
  const plan = productsPlan(4, 120, options.detectedShare);
  const rule = options.rule ?? DEFAULT_CONGESTION_ALERT_RULE;
  const config = options.estimatorConfig ?? DEFAULT_ESTIMATOR_CONFIG;
  const simulated = simulateTraffic(plan);
  options.log(`lab: ${simulated.sightings.length} sightings simulated`);
  const sightings = new SightingsByDetector(simulated.sightings);
  const links = plan.scenario.links.map(({ source, destination, maxSeconds }): DetectorLink => ({
    source,
    destination,
    maxSeconds,
  }));
  const lengths = linkLengths(plan);
  const bins = new TimeOfWeekBins('UTC');
  const liveEnd = plan.liveStart + BigInt(plan.liveHours) * HOUR;
  const byTarget = new Map<string, TravelTimeEstimate[]>();
  const profiles = new Map<string, TypicalProfile>();
  const targets: TrafficTarget[] = [
    ...links.map((link) => ({ kind: 'link' as const, source: link.source, destination: link.destination })),
    ...plan.routes.map((route) => ({ kind: 'route' as const, route: route.name })),
  ];
  const record = (estimate: TravelTimeEstimate): TravelTimeEstimate => {
    const key = trafficTargetKey(targetOf(estimate));
    const profile = profiles.get(key);
    const annotated = profile === undefined ? estimate : withCongestionFigures(estimate, profile, { bins });
    const list = byTarget.get(key);
    if (list === undefined) byTarget.set(key, [annotated]);
    else list.push(annotated);
    return annotated;
  };
  const rebuildProfiles = (now: UnixNanos) => {
    for (const target of targets) {
      const key = trafficTargetKey(target);
      const estimates = (byTarget.get(key) ?? []).filter(
        (estimate) => estimate.intervalEnd >= now - 4n * WEEK,
      );
      profiles.set(
        key,
        buildTypicalProfile(target, estimates, {
          now,
          weeks: 4,
          bins,
          minBinSamples: MIN_TYPICAL_BIN_SAMPLES,
        }),
      );
    }
  };

  const openAlerts = new Map<string, Alert>();
  const alerts = new Map<string, Alert>();
  const raisedAt = new Map<string, UnixNanos>();
  let nextProfiles = plan.liveStart;
  const historyStep = INTERVAL * BigInt(options.historyStepMinutes ?? 1);
  for (
    let end = plan.historyStart + INTERVAL;
    end <= liveEnd;
    end += end < plan.liveStart - HOUR ? historyStep : INTERVAL
  ) {
    if (end >= nextProfiles) {
      rebuildProfiles(end);
      nextProfiles = end + PROFILE_REFRESH;
      options.log(`lab: profiles at ${new Date(Number(end / 1_000_000n)).toISOString()}`);
    }
    const linkEstimates = links.map((link) =>
      record(
        estimateLink({
          link,
          source: sightings.between(link.source, end - lookback(config, link.maxSeconds), end),
          destination: sightings.between(link.destination, end - lookback(config, 0), end),
          intervalEnd: end,
          distanceMeters: lengths.get(`${link.source}>${link.destination}`),
          config,
        }),
      ),
    );
    const routeEstimates = plan.routes.map((route) =>
      record(estimateRouteAt(route, end, links, sightings, byTarget, lengths, config)),
    );
    if (end < plan.liveStart) continue;
    for (const estimate of [...linkEstimates, ...routeEstimates]) {
      const target = targetOf(estimate);
      const key = trafficTargetKey(target);
      const recent = (byTarget.get(key) ?? []).slice(-rule.windowIntervals);
      const open = openAlerts.get(key);
      const change = judgeCongestion({ target, recent, rule, ...(open === undefined ? {} : { open }) });
      if (change === undefined) continue;
      alerts.set(change.alert.id, change.alert);
      if (change.change === 'cleared') openAlerts.delete(key);
      else openAlerts.set(key, change.alert);
      if (!raisedAt.has(change.alert.id)) raisedAt.set(change.alert.id, end + ROUND_LAG);
    }
  }
  const live = new Map(
    [...byTarget].map(([key, list]) => [
      key,
      list.filter((estimate) => estimate.intervalEnd >= plan.liveStart),
    ]),
  );
  const alertList = [...alerts.values()];
  return {
    plan,
    score: scoreCongestionAlerts(plan, alertList, raisedAt),
    oracle: oracleRows(plan, simulated),
    estimates: live,
    alerts: alertList,
    samplesOf: (source, destination, end) => {
      const link = links.find(
        (candidate) => candidate.source === source && candidate.destination === destination,
      );
      if (link === undefined) return [];
      return linkSamples(
        {
          link,
          source: sightings.between(link.source, end - lookback(config, link.maxSeconds), end),
          destination: sightings.between(link.destination, end - lookback(config, 0), end),
          intervalEnd: end,
        },
        config,
      ).samples;
    },
  };
}

/** The route's estimate at `end`, from the inputs `RouteEstimates` reads for it. */
function estimateRouteAt(
  route: Route,
  end: UnixNanos,
  links: readonly DetectorLink[],
  sightings: SightingsByDetector,
  byTarget: ReadonlyMap<string, readonly TravelTimeEstimate[]>,
  lengths: ReadonlyMap<string, number>,
  config: EstimatorConfig,
): TravelTimeEstimate {
  const synthetic = routeLink(route, links);
  const from = end - lookback(config, synthetic?.maxSeconds ?? 0);
  const linkEstimates: TravelTimeEstimate[] = [];
  let length = 0;
  for (let index = 1; index < route.detectorIds.length; index += 1) {
    const key = `${route.detectorIds[index - 1]}>${route.detectorIds[index]}`;
    length += lengths.get(key) ?? 0;
    const list = byTarget.get(`link:${key}`) ?? [];
    for (let at = list.length - 1; at >= 0 && list[at]!.intervalEnd > from; at -= 1)
      linkEstimates.push(list[at]!);
  }
  return estimateRoute({
    route,
    intervalEnd: end,
    link: synthetic,
    sightings: synthetic === undefined ? [] : route.detectorIds.map((id) => sightings.between(id, from, end)),
    linkEstimates,
    ...(length > 0 ? { distanceMeters: length } : {}),
    config,
  });
}

/** `estimatorLookback` of the worker (libs/traveltime/src/link-intervals.ts). */
function lookback(config: EstimatorConfig, maxSeconds: number): bigint {
  const { windowSeconds, historySeconds, passGapSeconds } = config;
  return BigInt(Math.ceil((windowSeconds + historySeconds + passGapSeconds + maxSeconds) * 1e9));
}

function linkLengths(plan: ProductsPlan): Map<string, number> {
  const at = new Map(plan.scenario.detectors.map((detector) => [detector.id, detector.coordinates]));
  const lengths = new Map<string, number>();
  for (const link of plan.scenario.links) {
    const from = at.get(link.source);
    const to = at.get(link.destination);
    if (from === undefined || to === undefined) continue;
    const meters = distanceMeters(from, to);
    if (meters > 0) lengths.set(`${link.source}>${link.destination}`, meters);
  }
  return lengths;
}

function targetOf(estimate: TravelTimeEstimate): TrafficTarget {
  return estimate.route === undefined
    ? { kind: 'link', source: estimate.source, destination: estimate.destination }
    : { kind: 'route', route: estimate.route };
}

/** Each detector's sightings in time order, sliced by time as `SightingSpan` slices them. */
class SightingsByDetector {
  private readonly ofDetector = new Map<DetectorId, Sighting[]>();

  constructor(sightings: readonly Sighting[]) {
    for (const sighting of sightings) {
      const list = this.ofDetector.get(sighting.detectorId);
      if (list === undefined) this.ofDetector.set(sighting.detectorId, [sighting]);
      else list.push(sighting);
    }
    for (const list of this.ofDetector.values())
      list.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  /** The detector's sightings in [after, before). */
  between(detector: DetectorId, after: UnixNanos, before: UnixNanos): readonly Sighting[] {
    const list = this.ofDetector.get(detector) ?? [];
    return list.slice(firstAtOrAfter(list, after), firstAtOrAfter(list, before));
  }
}

function firstAtOrAfter(list: readonly Sighting[], time: UnixNanos): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]!.time < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * What the data allows at best, for each truly congested (target, incident) of the
 * bench's truth: the detected vehicles (every one the simulation reports, matched by
 * their raw identity, as no estimator can) that crossed the target and arrived while it
 * was truly 1.5× slow, keeping only those whose trip took within ±25 % of the true
 * travel time then (the oracle knows which ones stopped). `arrivals[k − 1]` is when the
 * k-th of them arrived: an alert needing k trips cannot be raised earlier.
 */
export interface OracleRow {
  readonly target: string;
  readonly from: UnixNanos;
  readonly until: UnixNanos;
  readonly arrivals: readonly UnixNanos[];
}

/** How far an observed trip may lie from the true travel time and still be an undisturbed one. */
const ORACLE_TRIP_TOLERANCE = 0.25;

function oracleRows(plan: ProductsPlan, traffic: ProductsTraffic): OracleRow[] {
  const liveEnd = plan.liveStart + BigInt(plan.liveHours) * HOUR;
  const journeys = traffic.journeys.filter((journey) =>
    journey.passes.some(
      (pass) => (pass.times.at(-1) ?? 0n) >= plan.liveStart && (pass.times[0] ?? liveEnd) < liveEnd,
    ),
  );
  return trueCongestion(plan).map((truth) => {
    const target = trafficTargetKey(truth.target);
    const path = pathOf(plan, target);
    const { from, until } = truth;
    const arrivals: UnixNanos[] = [];
    for (const journey of journeys) {
      const trip = tripOver(journey, path);
      if (trip === undefined || trip.arrival < from || trip.arrival > until) continue;
      const truth = traffic.truth.pathSecondsArrivingAt(path, trip.arrival);
      if (Math.abs(trip.seconds - truth) <= ORACLE_TRIP_TOLERANCE * truth) arrivals.push(trip.arrival);
    }
    arrivals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { target, from, until, arrivals };
  });
}

/** The first pass at the path's first detector followed by one at its last, middle to middle. */
function tripOver(
  journey: Journey,
  path: readonly string[],
): { arrival: UnixNanos; seconds: number } | undefined {
  const first = path[0];
  const last = path[path.length - 1];
  for (let index = 0; index < journey.passes.length; index += 1) {
    const departure = journey.passes[index]!;
    if (departure.detectorId !== first) continue;
    const arrival = journey.passes.slice(index + 1).find((pass) => pass.detectorId === last);
    if (arrival === undefined) return undefined;
    const middle = (times: readonly UnixNanos[]) => (times[0]! + times[times.length - 1]!) / 2n;
    return {
      arrival: arrival.times[0]!,
      seconds: Number(middle(arrival.times) - middle(departure.times)) / 1e9,
    };
  }
  return undefined;
}

function pathOf(plan: ProductsPlan, target: string): readonly string[] {
  if (target.startsWith('route:')) {
    const route = plan.routes.find((candidate) => `route:${candidate.name}` === target);
    return route?.detectorIds ?? [];
  }
  return target.slice('link:'.length).split('>');
}

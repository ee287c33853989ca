import {
  DEFAULT_CONGESTION_ALERT_RULE,
  DEFAULT_DETECTOR_HEALTH_RULE,
  NANOS_PER_SECOND,
  originDestination,
  trafficTargetKey,
  type Alert,
  type DetectorId,
  type Route,
  type Sighting,
  type TrafficTarget,
  type TravelTimeEstimate,
  type TypicalProfile,
  type UnixNanos,
} from '@message-bus/domain';
import {
  batteryLowAt,
  clockOffsetReachesAt,
  groundTruth,
  incidentSlowdowns,
  originDestinationTruth,
  weekBins,
  type GroundTruth,
  type Incident,
} from '@message-bus/simulation';
import { MINUTE, type ProductsPlan, type ProductsTraffic } from './products-workload';

/** Issue 18's targets. */
export const TARGETS = {
  routeMedianApe: 0.05,
  alertPrecision: 0.95,
  alertRecall: 0.95,
  alertDelayMinutes: 10,
  outageMinutes: 15,
  clockSkewMinutes: 60,
  falseDetectorAlerts: 0,
  profileMedianApe: 0.05,
} as const;

/** A target's true congestion in one incident: from its onset, over the raise ratio from `from` to `until`. */
export interface TrueCongestion {
  readonly target: TrafficTarget;
  readonly incident: Incident;
  /** When the queue reached the target's road. */
  readonly onset: UnixNanos;
  /** The first arrival whose true travel time is at least the raise ratio of normal. */
  readonly from: UnixNanos;
  readonly until: UnixNanos;
}

export interface RouteScore {
  readonly route: string;
  readonly method: 'matched' | 'sum_of_links';
  readonly intervals: number;
  /** Share of the route's intervals estimated this way. */
  readonly share: number;
  readonly medianApe: number | undefined;
  readonly p90Ape: number | undefined;
}

/**
 * Every route estimate of the live span with status ok and a median, against the
 * route's true end-to-end time arriving at the interval's end; intervals when one of
 * the route's detectors is faulty (an outage, a drifting clock, and an hour after) are
 * left out: there the data, not the method, is wrong.
 */
export function scoreRoutes(
  plan: ProductsPlan,
  traffic: ProductsTraffic,
  estimates: readonly TravelTimeEstimate[],
): { readonly scores: RouteScore[]; readonly skipped: number } {
  const scores: RouteScore[] = [];
  let skipped = 0;
  for (const route of plan.routes) {
    const ofRoute = estimates.filter((estimate) => estimate.route === route.name);
    const errors = { matched: [] as number[], sum_of_links: [] as number[] };
    for (const estimate of ofRoute) {
      if (
        estimate.medianSeconds === undefined ||
        estimate.status !== 'ok' ||
        estimate.routeMethod === undefined
      )
        continue;
      if (faultyAt(plan, route.detectorIds, estimate.intervalEnd)) {
        skipped += 1;
        continue;
      }
      const truth = traffic.truth.pathSecondsArrivingAt(route.detectorIds, estimate.intervalEnd);
      errors[estimate.routeMethod].push(Math.abs(estimate.medianSeconds - truth) / truth);
    }
    const scored = errors.matched.length + errors.sum_of_links.length;
    for (const method of ['matched', 'sum_of_links'] as const) {
      const sorted = [...errors[method]].sort((a, b) => a - b);
      scores.push({
        route: route.name,
        method,
        intervals: sorted.length,
        share: scored === 0 ? 0 : sorted.length / scored,
        medianApe: quantile(sorted, 0.5),
        p90Ape: quantile(sorted, 0.9),
      });
    }
  }
  return { scores, skipped };
}

export interface AlertScore {
  /** Congestion alerts raised in the live span, and those on a faulty detector's links left out. */
  readonly alerts: number;
  readonly excludedFaultAlerts: number;
  readonly truePositives: number;
  readonly precision: number;
  /** Truly congested (target, incident) pairs, and those alerted. */
  readonly congested: number;
  readonly detected: number;
  readonly recall: number;
  /** Raised − `from` (the first arrival 1.5× slower than normal): the target's figure. */
  readonly medianDelayMinutes: number | undefined;
  readonly maxDelayMinutes: number | undefined;
  /** Raised − `onset` (the queue reaching the target's road), for context. */
  readonly medianDelayFromOnsetMinutes: number | undefined;
  readonly maxDelayFromOnsetMinutes: number | undefined;
  /** Detected pairs with exactly one alert. */
  readonly singleAlertShare: number;
  /** Each congested pair: target, onset, from, delays (from `from` and from onset) or missed, alerts. */
  readonly pairs: readonly {
    target: string;
    onset: UnixNanos;
    from: UnixNanos;
    delayMinutes?: number;
    delayFromOnsetMinutes?: number;
    alerts: number;
  }[];
  /** Alerts that matched no true congestion. */
  readonly wrong: readonly { target: string; start: UnixNanos; raisedAt: UnixNanos }[];
}

/**
 * Congestion alerts against the incidents' truth. A link or route is truly congested
 * by an incident when its true travel time with the incident is at least the raise
 * ratio (1.5) times what it would have been, for at least 5 minutes of arrivals. An
 * alert is a true positive when it overlaps such a span of its target (from the
 * onset, to 15 minutes after the span).
 *
 * Delay: raised − `from`, the first arrival whose true travel time is at least the raise
 * ratio of normal. A sensor sees a trip only when it ends, so no estimate can show a
 * target 1.5× slower before vehicles that took 1.5× as long have arrived; on a long
 * route that is 16–45 minutes after the queue reaches its road, and measuring from
 * there would charge the alert for time nobody could observe. Raised − `onset` (the
 * queue reaching the target's road) is kept beside it for context. Alerts on the links
 * and routes of a detector while it is faulty (and an hour after) are counted apart:
 * they report its data, not the traffic.
 */
export function scoreCongestionAlerts(
  plan: ProductsPlan,
  alerts: readonly Alert[],
  raisedAt: ReadonlyMap<string, UnixNanos>,
): AlertScore {
  const raisedTime = (alert: Alert): UnixNanos => raisedAt.get(alert.id) ?? alert.start;
  const liveEnd = plan.liveStart + BigInt(plan.liveHours) * 3600n * NANOS_PER_SECOND;
  const congestion = trueCongestion(plan);
  const raised = alerts.filter(
    (alert) => alert.kind === 'congestion' && alert.start >= plan.liveStart && alert.start < liveEnd,
  );
  const counted = raised.filter((alert) => !faultyAt(plan, subjectDetectors(plan, alert), alert.start));
  const overlaps = (alert: Alert, truth: TrueCongestion): boolean =>
    subjectKey(alert) === trafficTargetKey(truth.target) &&
    alert.start <= truth.until + 15n * MINUTE &&
    (alert.end ?? liveEnd) >= truth.onset;
  const wrong = counted.filter((alert) => !congestion.some((truth) => overlaps(alert, truth)));
  const truePositives = counted.length - wrong.length;
  const pairs = congestion.map((truth) => {
    const matching = counted.filter((alert) => overlaps(alert, truth));
    const first = matching.reduce<Alert | undefined>(
      (earliest, alert) => (earliest === undefined || alert.start < earliest.start ? alert : earliest),
      undefined,
    );
    return {
      target: trafficTargetKey(truth.target),
      onset: truth.onset,
      from: truth.from,
      ...(first === undefined
        ? {}
        : {
            delayMinutes: minutesBetween(truth.from, raisedTime(first)),
            delayFromOnsetMinutes: minutesBetween(truth.onset, raisedTime(first)),
          }),
      alerts: matching.length,
    };
  });
  const delays = pairs.flatMap((pair) => (pair.delayMinutes === undefined ? [] : [pair.delayMinutes]));
  const delaysFromOnset = pairs.flatMap((pair) =>
    pair.delayFromOnsetMinutes === undefined ? [] : [pair.delayFromOnsetMinutes],
  );
  const detected = delays.length;
  return {
    alerts: counted.length,
    excludedFaultAlerts: raised.length - counted.length,
    truePositives,
    precision: counted.length === 0 ? 1 : truePositives / counted.length,
    congested: pairs.length,
    detected,
    recall: pairs.length === 0 ? 1 : detected / pairs.length,
    medianDelayMinutes: quantile(
      [...delays].sort((a, b) => a - b),
      0.5,
    ),
    maxDelayMinutes: delays.length === 0 ? undefined : Math.max(...delays),
    medianDelayFromOnsetMinutes: quantile(
      [...delaysFromOnset].sort((a, b) => a - b),
      0.5,
    ),
    maxDelayFromOnsetMinutes: delaysFromOnset.length === 0 ? undefined : Math.max(...delaysFromOnset),
    singleAlertShare: detected === 0 ? 1 : pairs.filter((pair) => pair.alerts === 1).length / detected,
    pairs,
    wrong: wrong.map((alert) => ({
      target: subjectKey(alert),
      start: alert.start,
      raisedAt: raisedTime(alert),
    })),
  };
}

export interface DetectorScore {
  readonly fault: string;
  readonly truthAt: UnixNanos;
  readonly alertAt: UnixNanos | undefined;
  /** Alert start − truth, in minutes (negative: raised before the truth's instant). */
  readonly delayMinutes: number | undefined;
}

/**
 * The detector alerts against the faults: the outage's first `detector_silent` alert
 * after it began (truth: the outage's start); the drifting clock's first `clock_skew`
 * alert after the drift began (truth: the offset reaching the rule's 30 s); the
 * battery's first `battery_low` alert (truth: the voltage crossing the rule's 11.5 V).
 * False: detector alerts raised in the normal history weeks, and in the live span
 * those of another kind or detector than a fault's, or before it began.
 */
export function scoreDetectorAlerts(
  plan: ProductsPlan,
  alerts: readonly Alert[],
  raisedAt: ReadonlyMap<string, UnixNanos>,
): { readonly faults: DetectorScore[]; readonly falseInHistory: Alert[]; readonly falseInLive: Alert[] } {
  const detectorAlerts = alerts.filter((alert) => alert.subject.kind === 'detector');
  const raised = (alert: Alert): UnixNanos => raisedAt.get(alert.id) ?? alert.start;
  const rule = DEFAULT_DETECTOR_HEALTH_RULE;
  const first = (detectorId: DetectorId, kind: Alert['kind'], after: UnixNanos): Alert | undefined =>
    detectorAlerts
      .filter(
        (alert) =>
          alert.kind === kind &&
          alert.subject.kind === 'detector' &&
          alert.subject.detectorId === detectorId &&
          raised(alert) >= after,
      )
      .sort((a, b) => (raised(a) < raised(b) ? -1 : 1))[0];
  const raisedOf = (alert: Alert | undefined): UnixNanos | undefined =>
    alert === undefined ? undefined : raised(alert);
  const faults: DetectorScore[] = [];
  for (const outage of plan.disruptions.outages ?? []) {
    faults.push(
      score(
        `${outage.detectorId} silent`,
        outage.from,
        raisedOf(first(outage.detectorId, 'detector_silent', outage.from)),
      ),
    );
  }
  for (const drift of plan.disruptions.clockDrifts ?? []) {
    const reaches = clockOffsetReachesAt(plan.scenario, drift, rule.clockSkewSeconds);
    if (drift.until !== undefined && reaches >= drift.until) continue;
    faults.push(
      score(
        `${drift.detectorId} clock ${rule.clockSkewSeconds} s off`,
        reaches,
        raisedOf(first(drift.detectorId, 'clock_skew', drift.from)),
      ),
    );
  }
  for (const drain of plan.disruptions.batteryDrains ?? []) {
    faults.push(
      score(
        `${drain.detectorId} battery below ${rule.batteryLowVolts} V`,
        batteryLowAt(drain, rule.batteryLowVolts),
        raisedOf(first(drain.detectorId, 'battery_low', drain.from)),
      ),
    );
  }
  const isFault = (alert: Alert): boolean =>
    plan.faults.some(
      (fault) =>
        alert.subject.kind === 'detector' &&
        alert.subject.detectorId === fault.detectorId &&
        alert.kind === fault.kind &&
        raised(alert) >= fault.from,
    );
  return {
    faults,
    falseInHistory: detectorAlerts.filter((alert) => alert.start < plan.liveStart),
    falseInLive: detectorAlerts.filter((alert) => raised(alert) >= plan.liveStart && !isFault(alert)),
  };
}

export interface ProfileScore {
  readonly target: string;
  readonly bins: number;
  readonly medianApe: number | undefined;
  readonly p90Ape: number | undefined;
  readonly within5Percent: number;
}

/**
 * Each stored profile's bins against the truth's normal week (no holiday, no
 * incident): per bin the median true travel time over the bin's minutes.
 */
export function scoreProfiles(
  plan: ProductsPlan,
  normalTruth: GroundTruth,
  profiles: readonly TypicalProfile[],
): { readonly targets: ProfileScore[]; readonly overall: ProfileScore } {
  const all: number[] = [];
  const targets = profiles.map((profile) => {
    const secondsAt =
      profile.target.kind === 'link'
        ? (at: UnixNanos) => normalTruth.travelSecondsArrivingAt(profile.target as never, at)
        : (at: UnixNanos) => normalTruth.pathSecondsArrivingAt(routeOf(plan, profile.target).detectorIds, at);
    const truth = new Map(
      weekBins(secondsAt, plan.liveStart, profile.binMinutes).map((bin) => [
        bin.dayOfWeek * 1440 + bin.minuteOfDay,
        bin.medianSeconds,
      ]),
    );
    const errors = profile.bins.flatMap((bin) => {
      const expected = truth.get(bin.dayOfWeek * 1440 + bin.minuteOfDay);
      return expected === undefined ? [] : [Math.abs(bin.medianSeconds - expected) / expected];
    });
    all.push(...errors);
    return profileScore(trafficTargetKey(profile.target), errors);
  });
  return { targets, overall: profileScore('every link and route', all) };
}

export interface OdScore {
  readonly cells: number;
  readonly trips: number;
  readonly truthTrips: number;
  readonly equalCells: number;
  readonly truthCells: number;
  readonly singleDetectorTrips: number;
  readonly truthSingleDetectorTrips: number;
}

/** domain's `originDestination` on the stored sightings against the vehicles' true trips. */
export function scoreOriginDestination(
  plan: ProductsPlan,
  traffic: ProductsTraffic,
  stored: readonly Sighting[],
  range: { readonly after: UnixNanos; readonly before: UnixNanos },
): OdScore {
  const detectors = plan.scenario.detectors.map((detector) => detector.id);
  const matrix = originDestination(stored, detectors);
  const truth = originDestinationTruth(traffic.journeys, detectors, range);
  const measured = new Map(matrix.cells.map((cell) => [`${cell.origin}>${cell.destination}`, cell.trips]));
  const keys = new Set([...measured.keys(), ...truth.trips.keys()]);
  return {
    cells: measured.size,
    trips: [...measured.values()].reduce((total, trips) => total + trips, 0),
    truthTrips: [...truth.trips.values()].reduce((total, trips) => total + trips, 0),
    equalCells: [...keys].filter((key) => measured.get(key) === truth.trips.get(key)).length,
    truthCells: keys.size,
    singleDetectorTrips: matrix.singleDetectorTrips,
    truthSingleDetectorTrips: truth.singleDetectorTrips,
  };
}

/** Every (target, incident) whose true travel time reached the raise ratio for 5 minutes or more. */
export function trueCongestion(plan: ProductsPlan): TrueCongestion[] {
  const normal = groundTruth(plan.scenario);
  const ratio = DEFAULT_CONGESTION_ALERT_RULE.raiseRatio;
  const found: TrueCongestion[] = [];
  for (const incident of plan.disruptions.incidents ?? []) {
    const disrupted = groundTruth(plan.scenario, { incidents: [incident] });
    const slowdowns = incidentSlowdowns(plan.scenario, incident);
    const onsetOf = (detectorIds: readonly string[]): UnixNanos | undefined => {
      const road = roadPairs(plan, detectorIds);
      const starts = slowdowns
        .filter((slowdown) => road.has(`${slowdown.from}>${slowdown.to}`))
        .map((slowdown) => slowdown.start);
      return starts.length === 0 ? undefined : starts.reduce((a, b) => (a < b ? a : b));
    };
    const targets: { target: TrafficTarget; path: readonly string[] }[] = [
      ...plan.scenario.links.map((link) => ({
        target: { kind: 'link' as const, source: link.source, destination: link.destination },
        path: [link.source, link.destination],
      })),
      ...plan.routes.map((route) => ({
        target: { kind: 'route' as const, route: route.name },
        path: route.detectorIds,
      })),
    ];
    for (const { target, path } of targets) {
      const onset = onsetOf(path);
      if (onset === undefined) continue;
      let from: UnixNanos | undefined;
      let until: UnixNanos | undefined;
      for (let at = onset; at < incident.end + 60n * MINUTE; at += 30n * NANOS_PER_SECOND) {
        if (disrupted.pathSecondsArrivingAt(path, at) / normal.pathSecondsArrivingAt(path, at) < ratio)
          continue;
        from ??= at;
        until = at;
      }
      if (from !== undefined && until !== undefined && until - from >= 5n * MINUTE) {
        found.push({ target, incident, onset, from, until });
      }
    }
  }
  return found;
}

/** The `from>to` keys of the road segments along `detectorIds`. */
function roadPairs(plan: ProductsPlan, detectorIds: readonly string[]): Set<string> {
  const pairs = new Set<string>();
  for (let index = 1; index < detectorIds.length; index += 1) {
    let at = detectorIds[index - 1] as string;
    const to = detectorIds[index] as string;
    for (let guard = 0; at !== to && guard < plan.scenario.segments.length; guard += 1) {
      const next = plan.scenario.segments.find((segment) => segment.from === at);
      if (next === undefined) break;
      pairs.add(`${next.from}>${next.to}`);
      at = next.to;
    }
  }
  return pairs;
}

/** Whether any of `detectorIds` is silent or has a drifting clock at `at` (or did within the hour before). */
function faultyAt(plan: ProductsPlan, detectorIds: readonly string[], at: UnixNanos): boolean {
  const settle = 60n * MINUTE;
  const { outages = [], clockDrifts = [] } = plan.disruptions;
  return (
    outages.some(
      (outage) =>
        detectorIds.includes(outage.detectorId) &&
        at >= outage.from &&
        (outage.until === undefined || at < outage.until + settle),
    ) ||
    clockDrifts.some(
      (drift) =>
        detectorIds.includes(drift.detectorId) &&
        at >= drift.from &&
        (drift.until === undefined || at < drift.until + settle),
    )
  );
}

function subjectKey(alert: Alert): string {
  const { subject } = alert;
  if (subject.kind === 'detector') return `detector:${subject.detectorId}`;
  return trafficTargetKey(subject);
}

function subjectDetectors(plan: ProductsPlan, alert: Alert): readonly string[] {
  const { subject } = alert;
  if (subject.kind === 'link') return [subject.source, subject.destination];
  if (subject.kind === 'route')
    return plan.routes.find((route) => route.name === subject.route)?.detectorIds ?? [];
  return [subject.detectorId];
}

function routeOf(plan: ProductsPlan, target: TrafficTarget): Route {
  const route = plan.routes.find((candidate) => target.kind === 'route' && candidate.name === target.route);
  if (route === undefined) throw new Error(`no route ${trafficTargetKey(target)} in the plan`);
  return route;
}

function profileScore(target: string, errors: readonly number[]): ProfileScore {
  const sorted = [...errors].sort((a, b) => a - b);
  return {
    target,
    bins: sorted.length,
    medianApe: quantile(sorted, 0.5),
    p90Ape: quantile(sorted, 0.9),
    within5Percent: sorted.length === 0 ? 0 : sorted.filter((error) => error <= 0.05).length / sorted.length,
  };
}

function minutesBetween(from: UnixNanos, to: UnixNanos): number {
  return Number(to - from) / Number(MINUTE);
}

/** The nearest-rank quantile of sorted values; undefined when there are none. */
function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function score(fault: string, truthAt: UnixNanos, raisedAt: UnixNanos | undefined): DetectorScore {
  return {
    fault,
    truthAt,
    alertAt: raisedAt,
    delayMinutes: raisedAt === undefined ? undefined : Number(raisedAt - truthAt) / 60e9,
  };
}

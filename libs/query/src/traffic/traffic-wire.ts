import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  nanosToTimestamp,
  ValidationError,
  type Alert,
  type AlertKind,
  type AlertSeverity,
  type CongestionLevel,
  type DetectorHealth,
  type DetectorId,
  type OriginDestinationMatrix,
  type ReliabilityFigures,
  type Route,
  type RouteEstimateMethod,
  type TrafficTarget,
  type TravelTimeEstimate,
  type TypicalProfile,
} from '@message-bus/domain';
import { collector, query } from '@message-bus/proto';
import type { ClosedRange, TrafficTargetInput } from './traffic-arguments';

// Wire forms of the traffic products (issue 18): the enums by their position in the
// domain's lists, which follow the proto's numbering from 1.

const ROUTE_METHOD_TO_WIRE: Record<RouteEstimateMethod, query.RouteEstimateMethod> = {
  matched: query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_MATCHED,
  sum_of_links: query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_SUM_OF_LINKS,
};

const LEVEL_TO_WIRE: Record<CongestionLevel, query.CongestionLevel> = {
  free: query.CongestionLevel.CONGESTION_LEVEL_FREE,
  moderate: query.CongestionLevel.CONGESTION_LEVEL_MODERATE,
  heavy: query.CongestionLevel.CONGESTION_LEVEL_HEAVY,
  severe: query.CongestionLevel.CONGESTION_LEVEL_SEVERE,
};

/** The wire fields an estimate gained for routes and congestion; absent figures stay absent. */
export function trafficEstimateFields(
  estimate: TravelTimeEstimate,
): Pick<
  query.TravelTimeEstimate,
  | 'route'
  | 'routeMethod'
  | 'typicalSeconds'
  | 'freeFlowSeconds'
  | 'ratioToTypical'
  | 'ratioToFreeFlow'
  | 'level'
> {
  return {
    route: estimate.route ?? '',
    routeMethod:
      estimate.routeMethod === undefined
        ? query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_UNSPECIFIED
        : ROUTE_METHOD_TO_WIRE[estimate.routeMethod],
    typicalSeconds: estimate.typicalSeconds,
    freeFlowSeconds: estimate.freeFlowSeconds,
    ratioToTypical: estimate.ratioToTypical,
    ratioToFreeFlow: estimate.ratioToFreeFlow,
    level:
      estimate.level === undefined
        ? query.CongestionLevel.CONGESTION_LEVEL_UNSPECIFIED
        : LEVEL_TO_WIRE[estimate.level],
  };
}

export function alertKindToWire(kind: AlertKind): query.AlertKind {
  return (ALERT_KINDS.indexOf(kind) + 1) as query.AlertKind;
}

function alertSeverityToWire(severity: AlertSeverity): query.AlertSeverity {
  return (ALERT_SEVERITIES.indexOf(severity) + 1) as query.AlertSeverity;
}

/** The request's `kinds`; an unspecified or unknown value is INVALID_ARGUMENT naming its index. */
export function alertKindsFromWire(kinds: readonly number[]): AlertKind[] {
  return kinds.map((value, index) => {
    const kind = ALERT_KINDS[value - 1];
    if (kind === undefined) {
      const names = ALERT_KINDS.map((each) => `ALERT_KIND_${each.toUpperCase()}`).join(', ');
      throw new ValidationError(
        'unknown_value',
        `kinds[${index}]`,
        value === 0
          ? `is ALERT_KIND_UNSPECIFIED; leave kinds empty for every kind, or choose ${names}`
          : `is ${value}, not a known alert kind; choose ${names}`,
      );
    }
    return kind;
  });
}

/** The request's `min_severity`; UNSPECIFIED means none; an unknown value is INVALID_ARGUMENT. */
export function alertSeverityFromWire(value: number): AlertSeverity | undefined {
  if (value === 0) return undefined;
  const severity = ALERT_SEVERITIES[value - 1];
  if (severity === undefined) {
    throw new ValidationError(
      'unknown_value',
      'min_severity',
      `is ${value}, not a known severity; choose ALERT_SEVERITY_INFO, _WARNING or _CRITICAL, or leave it unspecified`,
    );
  }
  return severity;
}

/** The target's one choice; undefined when `target` or its choice is unset. */
export function trafficTargetFromWire(target: query.TrafficTarget | undefined): TrafficTargetInput {
  const chosen = target?.target;
  switch (chosen?.$case) {
    case undefined:
      return undefined;
    case 'link':
      return { link: chosen.value };
    case 'route':
      return { route: chosen.value };
  }
}

export function trafficTargetToWire(target: TrafficTarget): query.TrafficTarget {
  return target.kind === 'link'
    ? {
        target: {
          $case: 'link',
          value: { sourceDetectorId: target.source, destDetectorId: target.destination },
        },
      }
    : { target: { $case: 'route', value: target.route } };
}

export function routeToWire(route: Route): collector.Route {
  return { name: route.name, detectorIds: [...route.detectorIds] };
}

export function typicalProfileToWire(profile: TypicalProfile): query.TypicalProfile {
  return {
    target: trafficTargetToWire(profile.target),
    computedAt: nanosToTimestamp(profile.computedAt),
    weeks: profile.weeks,
    binMinutes: profile.binMinutes,
    timeZone: profile.timeZone,
    freeFlowSeconds: profile.freeFlowSeconds,
    bins: profile.bins.map((bin) => ({
      dayOfWeek: bin.dayOfWeek,
      minuteOfDay: bin.minuteOfDay,
      medianSeconds: bin.medianSeconds,
      p15Seconds: bin.p15Seconds,
      p85Seconds: bin.p85Seconds,
      samples: BigInt(bin.samples),
    })),
  };
}

export function reliabilityToWire(
  target: TrafficTarget,
  range: ClosedRange,
  figures: ReliabilityFigures,
): query.Reliability {
  return {
    target: trafficTargetToWire(target),
    range: { after: nanosToTimestamp(range.after), before: nanosToTimestamp(range.before) },
    intervals: BigInt(figures.intervals),
    meanSeconds: figures.meanSeconds,
    p95Seconds: figures.p95Seconds,
    freeFlowSeconds: figures.freeFlowSeconds,
    travelTimeIndex: figures.travelTimeIndex,
    planningTimeIndex: figures.planningTimeIndex,
    bufferIndex: figures.bufferIndex,
  };
}

export function originDestinationToWire(
  detectorIds: readonly DetectorId[],
  matrix: OriginDestinationMatrix,
): query.GetOriginDestinationResponse {
  return {
    detectorIds: [...detectorIds],
    cells: matrix.cells.map((cell) => ({
      originDetectorId: cell.origin,
      destinationDetectorId: cell.destination,
      trips: BigInt(cell.trips),
      medianSeconds: cell.medianSeconds,
    })),
    singleDetectorTrips: BigInt(matrix.singleDetectorTrips),
  };
}

export function alertToWire(alert: Alert): query.Alert {
  const { subject } = alert;
  return {
    id: alert.id,
    kind: alertKindToWire(alert.kind),
    severity: alertSeverityToWire(alert.severity),
    start: nanosToTimestamp(alert.start),
    end: alert.end === undefined ? undefined : nanosToTimestamp(alert.end),
    subject:
      subject.kind === 'link'
        ? { $case: 'link', value: { sourceDetectorId: subject.source, destDetectorId: subject.destination } }
        : subject.kind === 'route'
          ? { $case: 'route', value: subject.route }
          : { $case: 'detectorId', value: subject.detectorId },
    evidence: alert.evidence,
    figures: { ...alert.figures },
    updated: nanosToTimestamp(alert.updated),
  };
}

export function detectorHealthToWire(health: DetectorHealth): query.DetectorHealth {
  return {
    lastSeen: health.lastSeen === undefined ? undefined : nanosToTimestamp(health.lastSeen),
    problems: health.problems.map(alertKindToWire),
    clockSkewSeconds: health.clockSkewSeconds,
    batteryVoltsPerDay: health.batteryVoltsPerDay,
    checkedAt: nanosToTimestamp(health.checkedAt),
  };
}

import type {
  AlertKind,
  AlertSeverity,
  AlertView,
  CongestionLevel,
  DetectorView,
  EstimateStatus,
  EstimateView,
} from '@message-bus/dashboard-web';
import { query, type collector, type Timestamp } from '@message-bus/proto';

/**
 * QueryService messages as the pages read them (api.ts): ISO times, plain numbers,
 * lower-case enum names. Device ids never reach here: no view has a field for one.
 */

const MILLIS_PER_SECOND = 1000;
const NANOS_PER_MILLI = 1_000_000;
/** Degrees on the wire are scaled by 1e5 (collector.Coordinates). */
const COORDINATE_SCALE = 1e5;

export function isoTime(timestamp: Timestamp): string {
  return new Date(millisOf(timestamp)).toISOString();
}

export function millisOf(timestamp: Timestamp): number {
  return Number(timestamp.seconds) * MILLIS_PER_SECOND + Math.floor(timestamp.nanos / NANOS_PER_MILLI);
}

export function timestampOf(millis: number): Timestamp {
  const seconds = Math.floor(millis / MILLIS_PER_SECOND);
  return { seconds: BigInt(seconds), nanos: (millis - seconds * MILLIS_PER_SECOND) * NANOS_PER_MILLI };
}

/** `ESTIMATE_STATUS_INSUFFICIENT_DATA` → `insufficient_data`; unknown numbers → `unspecified`. */
function enumName(names: Record<number, string>, value: number, prefix: string): string {
  const name = names[value];
  return name === undefined || name === 'UNRECOGNIZED'
    ? 'unspecified'
    : name.slice(prefix.length).toLowerCase();
}

export function estimateStatus(value: query.EstimateStatus): EstimateStatus {
  return enumName(query.EstimateStatus, value, 'ESTIMATE_STATUS_') as EstimateStatus;
}

export function congestionLevel(value: query.CongestionLevel): CongestionLevel {
  const name = enumName(query.CongestionLevel, value, 'CONGESTION_LEVEL_');
  return (name === 'unspecified' ? 'unknown' : name) as CongestionLevel;
}

export function alertKind(value: query.AlertKind): AlertKind {
  return enumName(query.AlertKind, value, 'ALERT_KIND_') as AlertKind;
}

export function alertSeverity(value: query.AlertSeverity): AlertSeverity {
  return enumName(query.AlertSeverity, value, 'ALERT_SEVERITY_') as AlertSeverity;
}

/** The wire value of a lower-case `AlertKind` name, undefined for an unknown one. */
export function alertKindValue(name: string): query.AlertKind | undefined {
  const value = (query.AlertKind as unknown as Record<string, number>)[`ALERT_KIND_${name.toUpperCase()}`];
  return value === undefined || value === query.AlertKind.ALERT_KIND_UNSPECIFIED ? undefined : value;
}

export function alertSeverityValue(name: string): query.AlertSeverity | undefined {
  const value = (query.AlertSeverity as unknown as Record<string, number>)[
    `ALERT_SEVERITY_${name.toUpperCase()}`
  ];
  return value === undefined || value === query.AlertSeverity.ALERT_SEVERITY_UNSPECIFIED ? undefined : value;
}

export function estimateView(estimate: query.TravelTimeEstimate): EstimateView {
  return {
    intervalEnd:
      estimate.intervalEnd === undefined ? new Date(0).toISOString() : isoTime(estimate.intervalEnd),
    windowSeconds: Number(estimate.windowSeconds),
    ...optional('medianSeconds', estimate.medianSeconds),
    ...optional('p15Seconds', estimate.p15Seconds),
    ...optional('p85Seconds', estimate.p85Seconds),
    validSamples: Number(estimate.validSamples),
    totalSamples: Number(estimate.totalSamples),
    status: estimateStatus(estimate.status),
    level: congestionLevel(estimate.level),
    ...optional('typicalSeconds', estimate.typicalSeconds),
    ...optional('freeFlowSeconds', estimate.freeFlowSeconds),
    ...optional('ratioToTypical', estimate.ratioToTypical),
    ...optional('speedKmh', estimate.speedKmh),
  };
}

export function detectorView(summary: query.DetectorSummary): DetectorView | undefined {
  const loc = summary.loc;
  if (loc === undefined) return undefined;
  const status = summary.latestStatus;
  const health = summary.health;
  const counts = status === undefined ? [] : Object.values(status.detectionCount);
  return {
    id: loc.detectorId,
    ...coordinates(loc),
    ...(health?.lastSeen === undefined ? {} : { lastSeen: isoTime(health.lastSeen) }),
    ...(status === undefined ? {} : { batteryVolts: status.batteryVoltage }),
    ...optional('clockSkewSeconds', health?.clockSkewSeconds),
    problems: (health?.problems ?? []).map(alertKind),
    ...(health?.checkedAt === undefined ? {} : { checkedAt: isoTime(health.checkedAt) }),
    ...(status === undefined
      ? {}
      : { detectionCount: counts.reduce((sum, count) => sum + Number(count), 0) }),
  };
}

/** `0, 0` is how a detector without a known position is stored: shown without coordinates. */
function coordinates(loc: collector.Coordinates): { latitude?: number; longitude?: number } {
  if (loc.latitude === 0n && loc.longitude === 0n) return {};
  return {
    latitude: Number(loc.latitude) / COORDINATE_SCALE,
    longitude: Number(loc.longitude) / COORDINATE_SCALE,
  };
}

export function alertView(alert: query.Alert): AlertView {
  const subject = alert.subject;
  return {
    id: alert.id,
    kind: alertKind(alert.kind),
    severity: alertSeverity(alert.severity),
    start: alert.start === undefined ? new Date(0).toISOString() : isoTime(alert.start),
    ...(alert.end === undefined ? {} : { end: isoTime(alert.end) }),
    ...(alert.updated === undefined ? {} : { updated: isoTime(alert.updated) }),
    subject:
      subject?.$case === 'link'
        ? { link: { source: subject.value.sourceDetectorId, destination: subject.value.destDetectorId } }
        : subject?.$case === 'route'
          ? { route: subject.value }
          : subject?.$case === 'detectorId'
            ? { detector: subject.value }
            : {},
    evidence: alert.evidence,
    figures: { ...alert.figures },
  };
}

/** `{ [name]: value }`, or nothing when the value is absent, so JSON has no `null`s. */
function optional<K extends string>(name: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: number };
}

import { ALERT_KINDS, ALERT_SEVERITIES, type AlertKind, type AlertSeverity } from '@message-bus/domain';
import type { query } from '@message-bus/proto';
import { exactTime, tableTime } from './time-format';

/** The wire's kind (1..5 in ALERT_KINDS' order); a value newer than this CLI reads as `unspecified`. */
export function alertKindName(kind: query.AlertKind): AlertKind | 'unspecified' {
  return ALERT_KINDS[kind - 1] ?? 'unspecified';
}

export function alertSeverityName(severity: query.AlertSeverity): AlertSeverity | 'unspecified' {
  return ALERT_SEVERITIES[severity - 1] ?? 'unspecified';
}

/** A kind name (as `--kind` takes it) as the wire's number. */
export function wireAlertKind(kind: AlertKind): query.AlertKind {
  return ALERT_KINDS.indexOf(kind) + 1;
}

export function wireAlertSeverity(severity: AlertSeverity): query.AlertSeverity {
  return ALERT_SEVERITIES.indexOf(severity) + 1;
}

export interface AlertRow {
  readonly id: string;
  readonly kind: AlertKind | 'unspecified';
  readonly severity: AlertSeverity | 'unspecified';
  /** What it is about: `link a1 → b1`, `route east` or `detector a1`. */
  readonly subject: string;
  /** Times as RFC 3339 (exact) beside `…UnixNanos`. */
  readonly start: string | null;
  readonly startUnixNanos: string | null;
  /** Null while the alert is open. */
  readonly end: string | null;
  readonly endUnixNanos: string | null;
  readonly open: boolean;
  readonly updated: string | null;
  readonly updatedUnixNanos: string | null;
  readonly evidence: string;
  readonly figures: Record<string, number>;
}

export function alertRow(alert: query.Alert): AlertRow {
  const [start, end, updated] = [exactTime(alert.start), exactTime(alert.end), exactTime(alert.updated)];
  return {
    id: alert.id,
    kind: alertKindName(alert.kind),
    severity: alertSeverityName(alert.severity),
    subject: alertSubject(alert.subject),
    start: start.rfc3339,
    startUnixNanos: start.unixNanos,
    end: end.rfc3339,
    endUnixNanos: end.unixNanos,
    open: alert.end === undefined,
    updated: updated.rfc3339,
    updatedUnixNanos: updated.unixNanos,
    evidence: alert.evidence,
    figures: { ...alert.figures },
  };
}

function alertSubject(subject: query.Alert['subject']): string {
  switch (subject?.$case) {
    case 'link':
      return `link ${subject.value.sourceDetectorId} → ${subject.value.destDetectorId}`;
    case 'route':
      return `route ${subject.value}`;
    case 'detectorId':
      return `detector ${subject.value}`;
    default:
      return '-';
  }
}

export const ALERT_HEADERS = ['START', 'STATE', 'SEVERITY', 'KIND', 'SUBJECT', 'EVIDENCE'] as const;

export function alertCells(row: AlertRow): string[] {
  return [
    tableTime(row.startUnixNanos),
    row.endUnixNanos === null ? 'open' : `ended ${tableTime(row.endUnixNanos)}`,
    row.severity,
    row.kind.replaceAll('_', ' '),
    row.subject,
    row.evidence,
  ];
}

/** The alerts CSV's columns: the JSON rows' fields (but `open` and `figures`), so both name a datum alike. */
export const ALERT_CSV_COLUMNS = [
  'id',
  'kind',
  'severity',
  'subject',
  'start',
  'startUnixNanos',
  'end',
  'endUnixNanos',
  'updated',
  'updatedUnixNanos',
  'evidence',
] as const;

import { ALERT_KINDS, ALERT_SEVERITIES, type AlertKind, type AlertSeverity } from '@message-bus/domain';
import type { query } from '@message-bus/proto';
import { formatTimestamp } from './time-format';

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
  readonly start: string;
  /** Absent while the alert is open. */
  readonly end?: string;
  readonly open: boolean;
  readonly updated?: string;
  readonly evidence: string;
  readonly figures: Record<string, number>;
}

export function alertRow(alert: query.Alert): AlertRow {
  return {
    id: alert.id,
    kind: alertKindName(alert.kind),
    severity: alertSeverityName(alert.severity),
    subject: alertSubject(alert.subject),
    start: alert.start === undefined ? '' : formatTimestamp(alert.start),
    ...(alert.end !== undefined && { end: formatTimestamp(alert.end) }),
    open: alert.end === undefined,
    ...(alert.updated !== undefined && { updated: formatTimestamp(alert.updated) }),
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
    row.start,
    row.end === undefined ? 'open' : `ended ${row.end}`,
    row.severity,
    row.kind.replaceAll('_', ' '),
    row.subject,
    row.evidence,
  ];
}

export const ALERT_CSV_HEADER = [
  'id',
  'kind',
  'severity',
  'subject',
  'start',
  'end',
  'updated',
  'evidence',
] as const;

export function alertCsvFields(row: AlertRow): string[] {
  return [
    row.id,
    row.kind,
    row.severity,
    row.subject,
    row.start,
    row.end ?? '',
    row.updated ?? '',
    row.evidence,
  ];
}

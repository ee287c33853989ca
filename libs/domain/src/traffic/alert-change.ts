import type { Alert, AlertSeverity } from './alert';

/** What to store and announce: an alert raised, updated (e.g. more severe), or cleared (`end` set). */
export interface AlertChange {
  readonly change: 'raised' | 'updated' | 'cleared';
  readonly alert: Alert;
}

/** Severities in increasing order, for "the worst so far". */
export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { info: 0, warning: 1, critical: 2 };

/** The worse of two severities. */
export function worseSeverity(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

import type { AlertKind, AlertSeverity, AlertView } from './api';

/** `select#severity`: `all`, or the least severity shown (warning shows warning and critical). */
export type SeverityFilter = 'all' | Exclude<AlertSeverity, 'unspecified'>;
export type KindFilter = 'all' | AlertKind;

export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = {
  unspecified: 0,
  info: 1,
  warning: 2,
  critical: 3,
};

export function matchesFilters(alert: AlertView, severity: SeverityFilter, kind: KindFilter): boolean {
  return (
    (severity === 'all' || SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[severity]) &&
    (kind === 'all' || alert.kind === kind)
  );
}

/**
 * The alerts with `updates` in: of two versions of one id the later changed one stays (an
 * update wins a tie). Newest start first, then id.
 */
export function mergeAlerts(alerts: readonly AlertView[], updates: readonly AlertView[]): AlertView[] {
  const byId = new Map<string, AlertView>();
  for (const alert of alerts) byId.set(alert.id, alert);
  for (const alert of updates) {
    const known = byId.get(alert.id);
    if (!known || changedAt(alert) >= changedAt(known)) byId.set(alert.id, alert);
  }
  return [...byId.values()].sort(
    (a, b) => Date.parse(b.start) - Date.parse(a.start) || a.id.localeCompare(b.id),
  );
}

/** The map route that focuses an alert's subject, or undefined when it has none. */
export function mapHrefFor(alert: Pick<AlertView, 'subject'>): string | undefined {
  const { link, route, detector } = alert.subject;
  if (link) return `#/map?link=${encodeURIComponent(`${link.source}>${link.destination}`)}`;
  if (route !== undefined) return `#/map?route=${encodeURIComponent(route)}`;
  if (detector !== undefined) return `#/map?detector=${encodeURIComponent(detector)}`;
  return undefined;
}

/** The subject as a line of text: `A → B`, `route R`, `detector D`. */
export function subjectText(alert: Pick<AlertView, 'subject'>): string {
  const { link, route, detector } = alert.subject;
  if (link) return `${link.source} → ${link.destination}`;
  if (route !== undefined) return `route ${route}`;
  if (detector !== undefined) return `detector ${detector}`;
  return '–';
}

function changedAt(alert: AlertView): number {
  return Date.parse(alert.updated ?? alert.end ?? alert.start);
}

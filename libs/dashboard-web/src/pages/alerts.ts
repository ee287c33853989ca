import type { AlertKind, AlertView } from '../api';
import { fetchAlerts } from '../api-client';
import {
  mapHrefFor,
  matchesFilters,
  mergeAlerts,
  subjectText,
  type KindFilter,
  type SeverityFilter,
} from '../alert-feed';
import { h, type MountedPage } from '../dom';
import { formatTime } from '../format';
import type { NetworkState } from '../network-state';
import { linkHref, routeHref } from '../router';

/** How far back the feed starts: the open alerts and those closed within the day. */
const HISTORY_MS = 24 * 3_600_000;

const KINDS: readonly AlertKind[] = [
  'congestion',
  'detector_silent',
  'battery_low',
  'clock_skew',
  'never_matches',
];

/**
 * The alert feed: the last day's alerts, newest first, kept live from the stream (an
 * alert's row is inserted or replaced by its id), filtered by least severity and kind.
 */
export function mountAlerts(container: HTMLElement, state: NetworkState): MountedPage {
  const severity = h(
    'select',
    { id: 'severity', 'aria-label': 'Least severity' },
    h('option', { value: 'all' }, 'All severities'),
    h('option', { value: 'info' }, 'Info and up'),
    h('option', { value: 'warning' }, 'Warning and up'),
    h('option', { value: 'critical' }, 'Critical'),
  );
  const kind = h(
    'select',
    { id: 'kind', 'aria-label': 'Kind' },
    h('option', { value: 'all' }, 'All kinds'),
    ...KINDS.map((value) => h('option', { value }, value.replaceAll('_', ' '))),
  );
  const body = h('tbody');
  const message = h('p', { class: 'message' });
  const columns = ['Kind', 'Severity', 'Subject', 'Start', 'End', 'Evidence', ''];
  container.append(
    h(
      'section',
      { id: 'alerts' },
      h('h1', {}, 'Alerts'),
      h('div', { class: 'controls' }, h('label', {}, 'Severity ', severity), h('label', {}, 'Kind ', kind)),
      message,
      h(
        'table',
        { class: 'alerts' },
        h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))),
        body,
      ),
    ),
  );

  let history: AlertView[] = [];
  const render = (): void => {
    const shown = mergeAlerts(history, [...state.alerts.values()]).filter((alert) =>
      matchesFilters(alert, severity.value as SeverityFilter, kind.value as KindFilter),
    );
    body.replaceChildren(...shown.map(alertRow));
    message.textContent = shown.length === 0 ? 'No alerts.' : '';
  };
  severity.addEventListener('change', render);
  kind.addEventListener('change', render);
  const unsubscribe = state.subscribe((change) => {
    if (change.type === 'alert' || change.type === 'snapshot') render();
  });
  render();
  let mounted = true;
  fetchAlerts(Date.now() - HISTORY_MS).then(
    (alerts) => {
      if (!mounted) return;
      history = alerts;
      render();
    },
    (error: Error) => {
      if (mounted) message.textContent = `Could not load the alert history: ${error.message}`;
    },
  );
  return {
    unmount() {
      mounted = false;
      unsubscribe();
    },
  };
}

function alertRow(alert: AlertView): HTMLTableRowElement {
  const now = Date.now();
  const open = alert.end === undefined;
  const mapHref = mapHrefFor(alert);
  return h(
    'tr',
    {
      'data-alert-id': alert.id,
      'data-kind': alert.kind,
      'data-severity': alert.severity,
      'data-open': String(open),
      class: `severity-${alert.severity}${open ? ' open' : ''}`,
    },
    h('td', {}, alert.kind.replaceAll('_', ' ')),
    h('td', {}, h('span', { class: 'severity' }, alert.severity)),
    h('td', {}, subjectCell(alert)),
    h('td', {}, formatTime(alert.start, now)),
    h('td', {}, open ? 'open' : formatTime(alert.end, now)),
    h('td', { class: 'evidence' }, alert.evidence),
    h('td', {}, mapHref && h('a', { class: 'show-on-map', href: mapHref }, 'Show on map')),
  );
}

/** A link's or route's subject opens its chart; a detector's is text. */
function subjectCell(alert: AlertView): Node | string {
  const { link, route } = alert.subject;
  const text = subjectText(alert);
  if (link) return h('a', { href: linkHref(link.source, link.destination) }, text);
  if (route !== undefined) return h('a', { href: routeHref(route) }, text);
  return text;
}

/** Which link or route a detail page shows, the range it shows, and the API queries for both. */

export type SeriesTarget =
  | { readonly kind: 'link'; readonly source: string; readonly destination: string }
  | { readonly kind: 'route'; readonly name: string };

/** The presets of `select#range`; `custom` is the two datetime-local inputs. */
export type RangePreset = '3h' | '6h' | '24h' | 'today' | 'custom';

export const RANGE_PRESETS: readonly { readonly value: RangePreset; readonly label: string }[] = [
  { value: '3h', label: 'Last 3 hours' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: 'today', label: 'Today' },
  { value: 'custom', label: 'Custom' },
];

export interface TimeRange {
  readonly afterMs: number;
  readonly beforeMs: number;
  /** A preset's range ends now and keeps growing with live estimates; a custom one is fixed. */
  readonly live: boolean;
}

const HOUR_MS = 3_600_000;

/** The range a preset means at `now` (`today` starts at the viewer's local midnight). */
export function presetRange(preset: Exclude<RangePreset, 'custom'>, now: number): TimeRange {
  if (preset === 'today') {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    return { afterMs: midnight.getTime(), beforeMs: now, live: true };
  }
  const hours = { '3h': 3, '6h': 6, '24h': 24 }[preset];
  return { afterMs: now - hours * HOUR_MS, beforeMs: now, live: true };
}

/** The query string (no `?`) of `/api/series` and `/api/series.csv`. */
export function seriesQuery(target: SeriesTarget, range: TimeRange): string {
  const params = new URLSearchParams();
  if (target.kind === 'link') {
    params.set('source', target.source);
    params.set('destination', target.destination);
  } else {
    params.set('route', target.name);
  }
  params.set('after', new Date(range.afterMs).toISOString());
  params.set('before', new Date(range.beforeMs).toISOString());
  return params.toString();
}

/** The target of a detail route's query (`source`+`destination`, or `name`); undefined when incomplete. */
export function targetFromParams(page: 'link' | 'route', params: URLSearchParams): SeriesTarget | undefined {
  if (page === 'route') {
    const name = params.get('name');
    return name ? { kind: 'route', name } : undefined;
  }
  const source = params.get('source');
  const destination = params.get('destination');
  return source && destination ? { kind: 'link', source, destination } : undefined;
}

/** Whether an estimate ending at `intervalEndMs` belongs on a chart of `range`. */
export function inRange(range: TimeRange, intervalEndMs: number): boolean {
  return intervalEndMs >= range.afterMs && (range.live || intervalEndMs <= range.beforeMs);
}

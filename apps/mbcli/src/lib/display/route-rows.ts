import type { collector } from '@message-bus/proto';

export interface RouteRow {
  readonly name: string;
  /** Upstream first. */
  readonly detectors: string[];
}

/** One row per route, by name (ListRoutes already answers by name; a merged list is sorted again). */
export function routeRows(routes: readonly collector.Route[]): RouteRow[] {
  return routes
    .map((route) => ({ name: route.name, detectors: [...route.detectorIds] }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const ROUTE_HEADERS = ['ROUTE', 'LINKS', 'DETECTORS'] as const;

export function routeCells(row: RouteRow): string[] {
  return [row.name, String(row.detectors.length - 1), row.detectors.join(' → ')];
}

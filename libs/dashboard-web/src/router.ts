/** The hash routes of the dashboard (see README): `#/<page>?<query>`. */

export type PageName = 'map' | 'link' | 'route' | 'alerts' | 'detectors';

export interface Route {
  readonly page: PageName;
  readonly params: URLSearchParams;
}

const PAGES: readonly PageName[] = ['map', 'link', 'route', 'alerts', 'detectors'];

/** The route of a location hash; anything unknown is the map. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const queryAt = path.indexOf('?');
  const name = queryAt === -1 ? path : path.slice(0, queryAt);
  const params = new URLSearchParams(queryAt === -1 ? '' : path.slice(queryAt + 1));
  const page = PAGES.find((candidate) => candidate === name) ?? 'map';
  return { page, params };
}

export function linkHref(source: string, destination: string): string {
  return `#/link?${new URLSearchParams({ source, destination }).toString()}`;
}

export function routeHref(name: string): string {
  return `#/route?${new URLSearchParams({ name }).toString()}`;
}

import {
  parseDetectorId,
  parseRouteName,
  ValidationError,
  type DetectorId,
  type RouteName,
  type TravelTimeEstimate,
} from '@message-bus/domain';
import type { LinkRef, LinkRepository, RouteRepository } from '@message-bus/repository';

/**
 * Which links or routes a travel-time request covers, as the wire's `LinkSelector`
 * carries its one choice: every link, one link, every link into a destination, one
 * route, or every route.
 */
export type LinkSelectorInput =
  | { readonly all: boolean }
  | { readonly link: { readonly sourceDetectorId: string; readonly destDetectorId: string } }
  | { readonly destDetectorId: string }
  | { readonly route: string }
  | { readonly allRoutes: boolean };

/** A validated selector. */
export type LinkSelection =
  | { readonly kind: 'all' }
  | { readonly kind: 'link'; readonly link: LinkRef }
  | { readonly kind: 'destination'; readonly destination: DetectorId }
  | { readonly kind: 'route'; readonly route: RouteName }
  | { readonly kind: 'all_routes' };

/** A selection of routes rather than links: their estimates are the routes' own. */
export type RouteSelection = Extract<LinkSelection, { readonly kind: 'route' | 'all_routes' }>;

/** A selection of links. */
export type LinksOnlySelection = Exclude<LinkSelection, RouteSelection>;

export function isRouteSelection(selection: LinkSelection): selection is RouteSelection {
  return selection.kind === 'route' || selection.kind === 'all_routes';
}

const CHOICES = 'links.all, links.link, links.dest_detector_id, links.route or links.all_routes';

/**
 * Validates the request's `links`; undefined means the client chose nothing. Errors
 * name the wire fields, e.g. `links.link.source_detector_id`.
 */
export function parseLinkSelection(input: LinkSelectorInput | undefined): LinkSelection {
  if (input === undefined) {
    throw new ValidationError('empty', 'links', `is not set; choose ${CHOICES}`);
  }
  if ('all' in input) {
    if (!input.all) {
      throw new ValidationError(
        'out_of_range',
        'links.all',
        'is false; set it to true to select every link, or choose links.link or links.dest_detector_id',
      );
    }
    return { kind: 'all' };
  }
  if ('link' in input) {
    const sourceField = 'links.link.source_detector_id';
    const source = parseDetectorId(input.link.sourceDetectorId, sourceField);
    const destination = parseDetectorId(input.link.destDetectorId, 'links.link.dest_detector_id');
    // The same rule as creating a link, so a query never asks for a link that cannot exist.
    if (source === destination) {
      throw new ValidationError(
        'self_link',
        sourceField,
        `is the destination itself ("${destination}"); a detector cannot link to itself`,
      );
    }
    return { kind: 'link', link: { source, destination } };
  }
  if ('route' in input) return { kind: 'route', route: parseRouteName(input.route, 'links.route') };
  if ('allRoutes' in input) {
    if (!input.allRoutes) {
      throw new ValidationError(
        'out_of_range',
        'links.all_routes',
        'is false; set it to true to select every route, or choose links.route or a links choice',
      );
    }
    return { kind: 'all_routes' };
  }
  return {
    kind: 'destination',
    destination: parseDetectorId(input.destDetectorId, 'links.dest_detector_id'),
  };
}

/**
 * The links a selection stands for now: one link as given (listed or not, so the
 * estimates of a deleted link stay readable), or the links the store lists, all or
 * into the destination, ordered by destination, then source.
 */
export async function selectedLinks(
  links: LinkRepository,
  selection: LinksOnlySelection,
): Promise<LinkRef[]> {
  if (selection.kind === 'link') return [selection.link];
  const listed = await links.list(selection.kind === 'destination' ? selection.destination : undefined);
  return listed.map(({ source, destination }) => ({ source, destination }));
}

/**
 * The routes a selection stands for now: one route as named (listed or not, so the
 * estimates of a deleted route stay readable), or every route the store lists, by name.
 */
export async function selectedRoutes(
  routes: RouteRepository,
  selection: RouteSelection,
): Promise<RouteName[]> {
  if (selection.kind === 'route') return [selection.route];
  return (await routes.list()).map((route) => route.name);
}

/**
 * Whether an estimate belongs to the selection; the test a stream applies to each new
 * estimate. A route's estimate belongs to route selections only, a link's to link ones.
 */
export function isSelected(selection: LinkSelection, estimate: TravelTimeEstimate): boolean {
  switch (selection.kind) {
    case 'all_routes':
      return estimate.route !== undefined;
    case 'route':
      return estimate.route === selection.route;
  }
  if (estimate.route !== undefined) return false;
  switch (selection.kind) {
    case 'all':
      return true;
    case 'destination':
      return estimate.destination === selection.destination;
    case 'link':
      return estimate.source === selection.link.source && estimate.destination === selection.link.destination;
  }
}

import { detectorIdProblem, parseDetectorId, type DetectorId } from '../ids/detector-id';
import { ValidationError } from '../validation-error';

/**
 * A route's name: the same alphabet and length as a detector id, because it becomes a
 * key segment in the store. Build one with `parseRouteName`.
 */
export type RouteName = string & { readonly __brand: 'RouteName' };

/** The most detectors in one route: a corridor of 50 links is already a city crossing. */
export const MAX_ROUTE_DETECTORS = 51;

/**
 * A named route: at least two detectors, upstream first, each consecutive pair a link
 * (source before destination). Whether the pairs are links is checked against the stored
 * links when the route is created, not here.
 */
export interface Route {
  readonly name: RouteName;
  readonly detectorIds: readonly DetectorId[];
}

export interface RouteInput {
  readonly name: string;
  readonly detectorIds: readonly string[];
}

export function parseRouteName(raw: string, field = 'name'): RouteName {
  const problem = detectorIdProblem(raw);
  if (problem !== undefined) throw new ValidationError(problem.code, field, problem.reason);
  return raw as RouteName;
}

/** Validates a route's name and detectors; `fields` names them in errors (wire names at the gRPC edge). */
export function parseRoute(
  input: RouteInput,
  fields: { readonly name?: string; readonly detectorIds?: string } = {},
): Route {
  const name = parseRouteName(input.name, fields.name ?? 'name');
  const detectorsField = fields.detectorIds ?? 'detectorIds';
  if (input.detectorIds.length < 2 || input.detectorIds.length > MAX_ROUTE_DETECTORS) {
    throw new ValidationError(
      input.detectorIds.length < 2 ? 'too_short' : 'too_long',
      detectorsField,
      `has ${input.detectorIds.length} detectors; a route has 2 to ${MAX_ROUTE_DETECTORS}`,
    );
  }
  const seen = new Set<string>();
  const detectorIds = input.detectorIds.map((raw, index) => {
    const id = parseDetectorId(raw, `${detectorsField}[${index}]`);
    if (seen.has(id)) {
      throw new ValidationError('duplicate', `${detectorsField}[${index}]`, `"${id}" is already in the route`);
    }
    seen.add(id);
    return id;
  });
  return { name, detectorIds };
}

/** The route's links as (source, destination) pairs, upstream first. */
export function routeLinks(route: Route): { readonly source: DetectorId; readonly destination: DetectorId }[] {
  return route.detectorIds.slice(1).map((destination, index) => ({
    source: route.detectorIds[index] as DetectorId,
    destination,
  }));
}

import type { DetectorId, Route, RouteName } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { checkIdSegment, idSegmentProblem } from '../keys/key-segment';
import { parseValueObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of a route key: JSON `{"detector_ids":["a","b","c"]}`, upstream first. The
 * name is the key's. Whether each pair is a link is checked by whoever creates the route.
 */

/** `field` names the route in errors, e.g. `route` → `route.detectorIds[2]`. */
export function encodeRouteValue(route: Route, field = 'route'): Uint8Array {
  const ids: unknown = route.detectorIds;
  if (!Array.isArray(ids) || ids.length < 2) {
    throw new StoreInvalidArgumentError(`${field}.detectorIds: a route has at least 2 detectors`);
  }
  const detectorIds = ids.map((id, index) => checkIdSegment(id, `${field}.detectorIds[${index}]`));
  return utf8Bytes(JSON.stringify({ detector_ids: detectorIds }));
}

export function decodeRouteValue(bytes: Uint8Array, name: RouteName): Parsed<Route> {
  const object = parseValueObject(bytes);
  if (!object.ok) return object;
  const ids = object.value['detector_ids'];
  if (!Array.isArray(ids) || ids.length < 2)
    return reject("value's detector_ids is not a list of 2 or more ids");
  for (const [index, id] of ids.entries()) {
    const problem = typeof id === 'string' ? idSegmentProblem(id) : 'is not a string';
    if (problem !== undefined) return reject(`value's detector_ids[${index}] ${problem}`);
  }
  return accept({ name, detectorIds: ids as DetectorId[] });
}

import {
  CONGESTION_LEVELS,
  ESTIMATE_STATUSES,
  type CongestionLevel,
  type DetectorId,
  type EstimateStatus,
  type RouteEstimateMethod,
  type TravelTimeEstimate,
} from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import {
  checkCount,
  checkFiniteNumber,
  nanosMember,
  numberMember,
  optionalNumberMember,
} from './json-fields';
import { parseValueObject, utf8Bytes } from './json-object';
import { checkIdSegment, idSegmentProblem } from '../keys/key-segment';
import type { EstimateKeyParts, RouteEstimateKeyParts } from '../keys/keyspace';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of a travel-time estimate key: JSON such as
 * `{"interval_end":"1563691800000000000","window_seconds":300,"median_seconds":61.5,
 * "p15_seconds":55,"p85_seconds":70,"mean_seconds":62.1,"valid_samples":12,
 * "total_samples":14,"speed_kmh":48.2,"status":"ok"}`. Statistics absent from the
 * estimate are absent from the JSON. `interval_end` repeats the key's time as exact
 * decimal text, so the value reads on its own too; the two must agree.
 *
 * Added later, each only when set, so older values read as before: the congestion figures
 * (`"typical_seconds":48,"free_flow_seconds":40,"ratio_to_typical":1.28,
 * "ratio_to_free_flow":1.54,"level":"moderate"`), and on a route's estimate
 * `"route":"north","route_method":"matched","source":"a","destination":"d"` (a route
 * estimate's key names the route only, so its first and last detectors are in the value).
 */

/**
 * Statuses are stored by name; values written before `no_samples` and `all_rejected`
 * existed hold one of the first three and read as before.
 */
const STATUSES = ESTIMATE_STATUSES;

/** The optional statistics: estimate property → JSON member. */
const OPTIONAL_STATISTICS = [
  ['medianSeconds', 'median_seconds'],
  ['p15Seconds', 'p15_seconds'],
  ['p85Seconds', 'p85_seconds'],
  ['meanSeconds', 'mean_seconds'],
  ['speedKmh', 'speed_kmh'],
] as const;

/** The congestion figures, written after `status`: estimate property → JSON member. */
const CONGESTION_FIGURES = [
  ['typicalSeconds', 'typical_seconds'],
  ['freeFlowSeconds', 'free_flow_seconds'],
  ['ratioToTypical', 'ratio_to_typical'],
  ['ratioToFreeFlow', 'ratio_to_free_flow'],
] as const;

const ROUTE_METHODS: readonly RouteEstimateMethod[] = ['matched', 'sum_of_links'];

/** `field` names the estimate in errors, e.g. `estimates[2]`. */
export function encodeEstimateValue(estimate: TravelTimeEstimate, field = 'estimate'): Uint8Array {
  const json: Record<string, unknown> = {
    interval_end: estimate.intervalEnd.toString(),
    window_seconds: checkFiniteNumber(estimate.windowSeconds, `${field}.windowSeconds`),
  };
  for (const [property, member] of OPTIONAL_STATISTICS) {
    const value = estimate[property];
    if (value !== undefined) json[member] = checkFiniteNumber(value, `${field}.${property}`);
  }
  json['valid_samples'] = checkCount(estimate.validSamples, `${field}.validSamples`);
  json['total_samples'] = checkCount(estimate.totalSamples, `${field}.totalSamples`);
  if (!STATUSES.includes(estimate.status)) {
    throw new StoreInvalidArgumentError(
      `${field}.status: ${JSON.stringify(estimate.status)} is not one of ${STATUSES.join(', ')}`,
    );
  }
  json['status'] = estimate.status;
  for (const [property, member] of CONGESTION_FIGURES) {
    const value = estimate[property];
    if (value !== undefined) json[member] = checkFiniteNumber(value, `${field}.${property}`);
  }
  if (estimate.level !== undefined)
    json['level'] = checkOneOf(estimate.level, CONGESTION_LEVELS, `${field}.level`);
  if (estimate.route !== undefined) {
    json['route'] = checkIdSegment(estimate.route, `${field}.route`);
    if (estimate.routeMethod !== undefined) {
      json['route_method'] = checkOneOf(estimate.routeMethod, ROUTE_METHODS, `${field}.routeMethod`);
    }
    json['source'] = checkIdSegment(estimate.source, `${field}.source`);
    json['destination'] = checkIdSegment(estimate.destination, `${field}.destination`);
  } else if (estimate.routeMethod !== undefined) {
    throw new StoreInvalidArgumentError(`${field}.routeMethod: is set on an estimate without a route`);
  }
  return utf8Bytes(JSON.stringify(json));
}

/** A link estimate's value; a value naming a route is malformed here. */
export function decodeEstimateValue(bytes: Uint8Array, key: EstimateKeyParts): Parsed<TravelTimeEstimate> {
  const json = parseValueObject(bytes);
  if (!json.ok) return json;
  if (json.value['route'] !== undefined) return reject('value names a route under a link key');
  return decodeMembers(json.value, key);
}

/** A route estimate's value: its route must be the key's, its first and last detectors are in the value. */
export function decodeRouteEstimateValue(
  bytes: Uint8Array,
  key: RouteEstimateKeyParts,
): Parsed<TravelTimeEstimate> {
  const parsed = parseValueObject(bytes);
  if (!parsed.ok) return parsed;
  const json = parsed.value;
  if (json['route'] !== key.route) {
    return reject(`value's route ${JSON.stringify(json['route'])} differs from the key's ${key.route}`);
  }
  const ends: DetectorId[] = [];
  for (const member of ['source', 'destination']) {
    const id = json[member];
    const problem = typeof id === 'string' ? idSegmentProblem(id) : 'is missing';
    if (problem !== undefined) return reject(`value's ${member} ${problem}`);
    ends.push(id as DetectorId);
  }
  const [source, destination] = ends as [DetectorId, DetectorId];
  const method = json['route_method'];
  if (method !== undefined && !(ROUTE_METHODS as readonly unknown[]).includes(method)) {
    return reject(`value's route_method ${JSON.stringify(method)} is not one of ${ROUTE_METHODS.join(', ')}`);
  }
  const estimate = decodeMembers(json, { source, destination, intervalEnd: key.intervalEnd });
  if (!estimate.ok) return estimate;
  return accept({
    ...estimate.value,
    route: key.route,
    ...(method === undefined ? {} : { routeMethod: method as RouteEstimateMethod }),
  });
}

function decodeMembers(json: Record<string, unknown>, key: EstimateKeyParts): Parsed<TravelTimeEstimate> {
  const intervalEnd = nanosMember(json, 'interval_end');
  if (!intervalEnd.ok) return intervalEnd;
  if (intervalEnd.value !== key.intervalEnd) {
    return reject(`value's interval_end ${intervalEnd.value} differs from the key's ${key.intervalEnd}`);
  }
  const windowSeconds = numberMember(json, 'window_seconds', 'finite');
  if (!windowSeconds.ok) return windowSeconds;
  const validSamples = numberMember(json, 'valid_samples', 'count');
  if (!validSamples.ok) return validSamples;
  const totalSamples = numberMember(json, 'total_samples', 'count');
  if (!totalSamples.ok) return totalSamples;
  const status = json['status'];
  if (!(STATUSES as readonly unknown[]).includes(status)) {
    return reject(`value's status ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}`);
  }
  const statistics: { -readonly [K in (typeof OPTIONAL_STATISTICS)[number][0]]?: number } = {};
  for (const [property, member] of OPTIONAL_STATISTICS) {
    const value = optionalNumberMember(json, member, 'finite');
    if (!value.ok) return value;
    if (value.value !== undefined) statistics[property] = value.value;
  }
  const figures: { -readonly [K in (typeof CONGESTION_FIGURES)[number][0]]?: number } = {};
  for (const [property, member] of CONGESTION_FIGURES) {
    const value = optionalNumberMember(json, member, 'finite');
    if (!value.ok) return value;
    if (value.value !== undefined) figures[property] = value.value;
  }
  const level = json['level'];
  if (level !== undefined && !(CONGESTION_LEVELS as readonly unknown[]).includes(level)) {
    return reject(`value's level ${JSON.stringify(level)} is not one of ${CONGESTION_LEVELS.join(', ')}`);
  }
  return accept({
    source: key.source,
    destination: key.destination,
    intervalEnd: key.intervalEnd,
    windowSeconds: windowSeconds.value,
    ...statistics,
    validSamples: validSamples.value,
    totalSamples: totalSamples.value,
    status: status as EstimateStatus,
    ...figures,
    ...(level === undefined ? {} : { level: level as CongestionLevel }),
  });
}

function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new StoreInvalidArgumentError(
      `${field}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

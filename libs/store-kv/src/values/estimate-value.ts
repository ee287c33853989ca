import { ESTIMATE_STATUSES, type EstimateStatus, type TravelTimeEstimate } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { checkCount, checkFiniteNumber, numberMember, optionalNumberMember } from './json-fields';
import { decodeUtf8, parseJsonObject, utf8Bytes } from './json-object';
import { parseNanosText } from '../keys/key-time';
import type { EstimateKeyParts } from '../keys/keyspace';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of a travel-time estimate key: JSON such as
 * `{"interval_end":"1563691800000000000","window_seconds":300,"median_seconds":61.5,
 * "p15_seconds":55,"p85_seconds":70,"mean_seconds":62.1,"valid_samples":12,
 * "total_samples":14,"speed_kmh":48.2,"status":"ok"}`. Statistics absent from the
 * estimate are absent from the JSON. `interval_end` repeats the key's time as exact
 * decimal text, so the value reads on its own too; the two must agree.
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
  return utf8Bytes(JSON.stringify(json));
}

export function decodeEstimateValue(bytes: Uint8Array, key: EstimateKeyParts): Parsed<TravelTimeEstimate> {
  const text = decodeUtf8(bytes);
  if (!text.ok) return reject(`value ${text.reason}`);
  const object = parseJsonObject(text.value);
  if (!object.ok) return reject(`value ${object.reason}`);
  const json = object.value;
  const intervalEnd =
    typeof json['interval_end'] === 'string' ? parseNanosText(json['interval_end']) : reject('is missing');
  if (!intervalEnd.ok) return reject(`value's interval_end ${intervalEnd.reason}`);
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
  return accept({
    source: key.source,
    destination: key.destination,
    intervalEnd: key.intervalEnd,
    windowSeconds: windowSeconds.value,
    ...statistics,
    validSamples: validSamples.value,
    totalSamples: totalSamples.value,
    status: status as EstimateStatus,
  });
}

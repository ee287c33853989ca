import { ALERT_KINDS, type AlertKind, type DetectorHealth, type DetectorId } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { checkKeyTime, parseNanosText } from '../keys/key-time';
import { checkFiniteNumber, nanosMember } from './json-fields';
import { parseValueObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of a detector-health key: JSON such as `{"checked_at":"<ns>","last_seen":"<ns>",
 * "problems":["battery_low"],"clock_skew_seconds":1.5,"battery_volts_per_day":-0.02}`;
 * optional members only when set. The detector is the key's.
 */

/** `field` names the record in errors, e.g. `health[0]` → `health[0].problems[1]`. */
export function encodeDetectorHealthValue(health: DetectorHealth, field = 'health'): Uint8Array {
  const json: Record<string, unknown> = {
    checked_at: checkKeyTime(health.checkedAt, `${field}.checkedAt`).toString(),
  };
  if (health.lastSeen !== undefined)
    json['last_seen'] = checkKeyTime(health.lastSeen, `${field}.lastSeen`).toString();
  if (!Array.isArray(health.problems))
    throw new StoreInvalidArgumentError(`${field}.problems: must be an array`);
  json['problems'] = health.problems.map((problem, index) => {
    if (!ALERT_KINDS.includes(problem)) {
      throw new StoreInvalidArgumentError(
        `${field}.problems[${index}]: ${JSON.stringify(problem)} is not one of ${ALERT_KINDS.join(', ')}`,
      );
    }
    return problem;
  });
  if (health.clockSkewSeconds !== undefined) {
    json['clock_skew_seconds'] = checkFiniteNumber(health.clockSkewSeconds, `${field}.clockSkewSeconds`);
  }
  if (health.batteryVoltsPerDay !== undefined) {
    json['battery_volts_per_day'] = checkFiniteNumber(
      health.batteryVoltsPerDay,
      `${field}.batteryVoltsPerDay`,
    );
  }
  return utf8Bytes(JSON.stringify(json));
}

export function decodeDetectorHealthValue(bytes: Uint8Array, detectorId: DetectorId): Parsed<DetectorHealth> {
  const object = parseValueObject(bytes);
  if (!object.ok) return object;
  const json = object.value;
  const checkedAt = nanosMember(json, 'checked_at');
  if (!checkedAt.ok) return checkedAt;
  const rawLastSeen = json['last_seen'];
  const lastSeen = typeof rawLastSeen === 'string' ? parseNanosText(rawLastSeen) : undefined;
  if (rawLastSeen !== undefined && !lastSeen?.ok)
    return reject("value's last_seen is not decimal nanoseconds");
  const problems = json['problems'];
  if (
    !Array.isArray(problems) ||
    !problems.every((kind) => (ALERT_KINDS as readonly unknown[]).includes(kind))
  ) {
    return reject(`value's problems is not a list of ${ALERT_KINDS.join(', ')}`);
  }
  const optional: { clockSkewSeconds?: number; batteryVoltsPerDay?: number } = {};
  for (const [property, member] of [
    ['clockSkewSeconds', 'clock_skew_seconds'],
    ['batteryVoltsPerDay', 'battery_volts_per_day'],
  ] as const) {
    const value = json[member];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value))
      return reject(`value's ${member} is not a finite number`);
    optional[property] = value;
  }
  return accept({
    detectorId,
    checkedAt: checkedAt.value,
    ...(lastSeen?.ok ? { lastSeen: lastSeen.value } : {}),
    problems: problems as AlertKind[],
    ...optional,
  });
}

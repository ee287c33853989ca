import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  type Alert,
  type AlertKind,
  type AlertSeverity,
  type AlertSubject,
  type DetectorId,
  type RouteName,
  type UnixNanos,
} from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { checkIdSegment, idSegmentProblem } from '../keys/key-segment';
import { checkKeyTime } from '../keys/key-time';
import { checkFiniteNumber, nanosMember } from './json-fields';
import { parseValueObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of an alert key: JSON such as `{"kind":"congestion","severity":"warning",
 * "subject":{"kind":"link","source":"a","destination":"b"},"start":"<ns>","end":"<ns>",
 * "updated":"<ns>","evidence":"a→b takes 2.6× its typical time","figures":{"ratio_to_typical":2.6}}`.
 * Times are exact decimal nanoseconds; `end` only once the alert has cleared. The id is the key's.
 */

/** `field` names the alert in errors, e.g. `alerts[1]` → `alerts[1].severity`. */
export function encodeAlertValue(alert: Alert, field = 'alert'): Uint8Array {
  const json: Record<string, unknown> = {
    kind: checkOneOf(alert.kind, ALERT_KINDS, `${field}.kind`),
    severity: checkOneOf(alert.severity, ALERT_SEVERITIES, `${field}.severity`),
    subject: encodeSubject(alert.subject, `${field}.subject`),
    start: checkKeyTime(alert.start, `${field}.start`).toString(),
  };
  if (alert.end !== undefined) {
    const end = checkKeyTime(alert.end, `${field}.end`);
    if (end < alert.start) throw new StoreInvalidArgumentError(`${field}.end: ${end} is before its start`);
    json['end'] = end.toString();
  }
  json['updated'] = checkKeyTime(alert.updated, `${field}.updated`).toString();
  if (typeof alert.evidence !== 'string')
    throw new StoreInvalidArgumentError(`${field}.evidence: must be a string`);
  json['evidence'] = alert.evidence;
  const figures: Record<string, number> = {};
  if (typeof alert.figures !== 'object' || alert.figures === null) {
    throw new StoreInvalidArgumentError(`${field}.figures: must be an object of numbers`);
  }
  for (const [name, value] of Object.entries(alert.figures)) {
    figures[name] = checkFiniteNumber(value, `${field}.figures.${name}`);
  }
  json['figures'] = figures;
  return utf8Bytes(JSON.stringify(json));
}

export function decodeAlertValue(bytes: Uint8Array, id: string): Parsed<Alert> {
  const object = parseValueObject(bytes);
  if (!object.ok) return object;
  const json = object.value;
  const { kind, severity, evidence, figures } = json;
  if (!(ALERT_KINDS as readonly unknown[]).includes(kind)) {
    return reject(`value's kind ${JSON.stringify(kind)} is not one of ${ALERT_KINDS.join(', ')}`);
  }
  if (!(ALERT_SEVERITIES as readonly unknown[]).includes(severity)) {
    return reject(
      `value's severity ${JSON.stringify(severity)} is not one of ${ALERT_SEVERITIES.join(', ')}`,
    );
  }
  const subject = decodeSubject(json['subject']);
  if (!subject.ok) return subject;
  const times: Partial<Record<'start' | 'end' | 'updated', UnixNanos>> = {};
  for (const name of ['start', 'end', 'updated'] as const) {
    if (json[name] === undefined && name === 'end') continue;
    const time = nanosMember(json, name);
    if (!time.ok) return time;
    times[name] = time.value;
  }
  if (typeof evidence !== 'string') return reject("value's evidence is not a string");
  if (typeof figures !== 'object' || figures === null || Array.isArray(figures)) {
    return reject("value's figures is not an object");
  }
  for (const [name, value] of Object.entries(figures)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return reject(`value's figures.${name} is not a finite number`);
    }
  }
  return accept({
    id,
    kind: kind as AlertKind,
    severity: severity as AlertSeverity,
    subject: subject.value,
    start: times.start!,
    ...(times.end === undefined ? {} : { end: times.end }),
    updated: times.updated!,
    evidence,
    figures: figures as Record<string, number>,
  });
}

function encodeSubject(subject: AlertSubject, field: string): Record<string, string> {
  switch (subject?.kind) {
    case 'link':
      return {
        kind: 'link',
        source: checkIdSegment(subject.source, `${field}.source`),
        destination: checkIdSegment(subject.destination, `${field}.destination`),
      };
    case 'route':
      return { kind: 'route', route: checkIdSegment(subject.route, `${field}.route`) };
    case 'detector':
      return { kind: 'detector', detector_id: checkIdSegment(subject.detectorId, `${field}.detectorId`) };
    default:
      throw new StoreInvalidArgumentError(`${field}.kind: must be link, route or detector`);
  }
}

function decodeSubject(raw: unknown): Parsed<AlertSubject> {
  if (typeof raw !== 'object' || raw === null) return reject("value's subject is not an object");
  const subject = raw as Record<string, unknown>;
  const ids = (names: readonly string[]): Parsed<string[]> => {
    const values: string[] = [];
    for (const name of names) {
      const id = subject[name];
      const problem = typeof id === 'string' ? idSegmentProblem(id) : 'is missing';
      if (problem !== undefined) return reject(`value's subject.${name} ${problem}`);
      values.push(id as string);
    }
    return accept(values);
  };
  switch (subject['kind']) {
    case 'link': {
      const link = ids(['source', 'destination']);
      if (!link.ok) return link;
      const [source, destination] = link.value as [DetectorId, DetectorId];
      return accept({ kind: 'link', source, destination });
    }
    case 'route': {
      const route = ids(['route']);
      return route.ok ? accept({ kind: 'route', route: route.value[0] as RouteName }) : route;
    }
    case 'detector': {
      const detector = ids(['detector_id']);
      return detector.ok
        ? accept({ kind: 'detector', detectorId: detector.value[0] as DetectorId })
        : detector;
    }
    default:
      return reject(`value's subject.kind ${JSON.stringify(subject['kind'])} is not link, route or detector`);
  }
}

function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new StoreInvalidArgumentError(
      `${field}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

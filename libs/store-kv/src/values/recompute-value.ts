import type { DetectorId, UnixNanos } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { checkIdSegment, idSegmentProblem } from '../keys/key-segment';
import { checkKeyTime, parseNanosText } from '../keys/key-time';
import { parseValueObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from '../parsed';

/** What a recompute range's value holds; its destination, from, origin and id are in the key. */
export interface RecomputeValue {
  readonly to: UnixNanos;
  readonly doneBefore: UnixNanos;
  /** Absent: every link into the destination. */
  readonly sources?: readonly DetectorId[];
  readonly version: string;
}

/**
 * JSON `{"to":"…","done":"…","sources":["a","b"],"version":"…"}`, times as decimal
 * strings of unix nanoseconds (exact beyond 2^53). `field` names the range in errors.
 */
export function encodeRecomputeValue(value: RecomputeValue, field: string): Uint8Array {
  const members: Record<string, unknown> = {
    to: checkKeyTime(value.to, `${field}.to`).toString(),
    done: checkKeyTime(value.doneBefore, `${field}.doneBefore`).toString(),
  };
  if (value.sources !== undefined) {
    if (!Array.isArray(value.sources)) {
      throw new StoreInvalidArgumentError(`${field}.sources: must be an array of detector ids`);
    }
    members.sources = value.sources.map((source, index) =>
      checkIdSegment(source, `${field}.sources[${index}]`),
    );
  }
  members.version = value.version;
  return utf8Bytes(JSON.stringify(members));
}

export function decodeRecomputeValue(bytes: Uint8Array): Parsed<RecomputeValue> {
  const object = parseValueObject(bytes);
  if (!object.ok) return object;
  const { to, done, sources, version } = object.value;
  const toTime = timeMember(to, 'to');
  if (!toTime.ok) return toTime;
  const doneTime = timeMember(done, 'done');
  if (!doneTime.ok) return doneTime;
  if (typeof version !== 'string') return reject("value's version is not a string");
  if (sources === undefined) return accept({ to: toTime.value, doneBefore: doneTime.value, version });
  if (!Array.isArray(sources) || sources.some((source) => idSegmentProblem(source) !== undefined)) {
    return reject("value's sources is not an array of detector ids");
  }
  return accept({ to: toTime.value, doneBefore: doneTime.value, sources: sources as DetectorId[], version });
}

function timeMember(value: unknown, name: string): Parsed<UnixNanos> {
  if (typeof value !== 'string') return reject(`value's ${name} is not a string of unix nanoseconds`);
  const time = parseNanosText(value);
  return time.ok ? time : reject(`value's ${name} ${time.reason}`);
}

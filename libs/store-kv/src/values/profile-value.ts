import type { TrafficTarget, TypicalBin, TypicalProfile } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { checkCount, checkFiniteNumber, nanosMember, numberMember } from './json-fields';
import { parseValueObject, utf8Bytes } from './json-object';
import { accept, reject, type Parsed } from '../parsed';

/**
 * The value of a typical-profile key, compact because a week of 15-minute bins is 672 of
 * them: JSON `{"computed_at":"<ns>","weeks":4,"bin_minutes":15,"time_zone":"Europe/Warsaw",
 * "free_flow_seconds":40,"bins":[[1,0,61.5,55,70,12],...]}`, each bin
 * `[day_of_week, minute_of_day, median_seconds, p15_seconds, p85_seconds, samples]`.
 * `free_flow_seconds` only when set. The target is the key's.
 */

const MINUTES_PER_DAY = 24 * 60;

/** `field` names the profile in errors, e.g. `profile` → `profile.bins[3]`. */
export function encodeProfileValue(profile: TypicalProfile, field = 'profile'): Uint8Array {
  const computedAt = profile.computedAt;
  if (typeof computedAt !== 'bigint' || computedAt < 0n) {
    throw new StoreInvalidArgumentError(`${field}.computedAt: must be unix nanoseconds as a bigint ≥ 0`);
  }
  if (typeof profile.timeZone !== 'string' || profile.timeZone.length === 0) {
    throw new StoreInvalidArgumentError(`${field}.timeZone: must be an IANA time zone name`);
  }
  const json: Record<string, unknown> = {
    computed_at: computedAt.toString(),
    weeks: checkCount(profile.weeks, `${field}.weeks`),
    bin_minutes: checkCount(profile.binMinutes, `${field}.binMinutes`),
    time_zone: profile.timeZone,
  };
  if (profile.freeFlowSeconds !== undefined) {
    json['free_flow_seconds'] = checkFiniteNumber(profile.freeFlowSeconds, `${field}.freeFlowSeconds`);
  }
  if (!Array.isArray(profile.bins)) throw new StoreInvalidArgumentError(`${field}.bins: must be an array`);
  json['bins'] = profile.bins.map((bin, index) => encodeBin(bin, `${field}.bins[${index}]`));
  return utf8Bytes(JSON.stringify(json));
}

export function decodeProfileValue(bytes: Uint8Array, target: TrafficTarget): Parsed<TypicalProfile> {
  const object = parseValueObject(bytes);
  if (!object.ok) return object;
  const json = object.value;
  const computedAt = nanosMember(json, 'computed_at');
  if (!computedAt.ok) return computedAt;
  const weeks = numberMember(json, 'weeks', 'count');
  if (!weeks.ok) return weeks;
  const binMinutes = numberMember(json, 'bin_minutes', 'count');
  if (!binMinutes.ok) return binMinutes;
  const timeZone = json['time_zone'];
  if (typeof timeZone !== 'string' || timeZone.length === 0) return reject("value's time_zone is not a name");
  const freeFlow = json['free_flow_seconds'];
  if (freeFlow !== undefined && (typeof freeFlow !== 'number' || !Number.isFinite(freeFlow))) {
    return reject("value's free_flow_seconds is not a finite number");
  }
  const rawBins = json['bins'];
  if (!Array.isArray(rawBins)) return reject("value's bins is not a list");
  const bins: TypicalBin[] = [];
  for (const [index, raw] of rawBins.entries()) {
    const bin = decodeBin(raw);
    if (bin === undefined) {
      return reject(`value's bins[${index}] is not [day 1-7, minute of day, median, p15, p85, samples]`);
    }
    bins.push(bin);
  }
  return accept({
    target,
    computedAt: computedAt.value,
    weeks: weeks.value,
    binMinutes: binMinutes.value,
    timeZone,
    ...(freeFlow === undefined ? {} : { freeFlowSeconds: freeFlow }),
    bins,
  });
}

function encodeBin(bin: TypicalBin, field: string): number[] {
  const { dayOfWeek, minuteOfDay } = bin;
  if (!Number.isInteger(dayOfWeek) || dayOfWeek < 1 || dayOfWeek > 7) {
    throw new StoreInvalidArgumentError(`${field}.dayOfWeek: ${dayOfWeek} is not an ISO day of week 1..7`);
  }
  if (!Number.isInteger(minuteOfDay) || minuteOfDay < 0 || minuteOfDay >= MINUTES_PER_DAY) {
    throw new StoreInvalidArgumentError(`${field}.minuteOfDay: ${minuteOfDay} is not a minute 0..1439`);
  }
  return [
    dayOfWeek,
    minuteOfDay,
    checkFiniteNumber(bin.medianSeconds, `${field}.medianSeconds`),
    checkFiniteNumber(bin.p15Seconds, `${field}.p15Seconds`),
    checkFiniteNumber(bin.p85Seconds, `${field}.p85Seconds`),
    checkCount(bin.samples, `${field}.samples`),
  ];
}

function decodeBin(raw: unknown): TypicalBin | undefined {
  if (!Array.isArray(raw) || raw.length !== 6) return undefined;
  if (!raw.every((value) => typeof value === 'number' && Number.isFinite(value))) return undefined;
  const [dayOfWeek, minuteOfDay, medianSeconds, p15Seconds, p85Seconds, samples] = raw as number[];
  const valid =
    Number.isInteger(dayOfWeek) &&
    dayOfWeek! >= 1 &&
    dayOfWeek! <= 7 &&
    Number.isInteger(minuteOfDay) &&
    minuteOfDay! >= 0 &&
    minuteOfDay! < MINUTES_PER_DAY &&
    Number.isSafeInteger(samples) &&
    samples! >= 0;
  if (!valid) return undefined;
  return {
    dayOfWeek: dayOfWeek!,
    minuteOfDay: minuteOfDay!,
    medianSeconds: medianSeconds!,
    p15Seconds: p15Seconds!,
    p85Seconds: p85Seconds!,
    samples: samples!,
  };
}

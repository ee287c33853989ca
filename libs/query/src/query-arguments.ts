import {
  formatNanosIso,
  parseDetectorId,
  ValidationError,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import type { TimeRange } from '@message-bus/repository';
import { parseLinkSelection, type LinkSelection, type LinkSelectorInput } from './link-selection';
import type { QueryLimits } from './query-limits';

/**
 * What a client asks for, as the wire carries it but with times already in
 * nanoseconds. Error messages name the wire fields (`detector_ids[2]`, `limit`), since
 * that is what the client wrote.
 */
export interface DetectorQueryInput {
  readonly detectorIds: readonly string[];
  readonly range?: TimeRange;
  /** 0 or absent: the default; an int64 on the wire, so it may arrive as a bigint. */
  readonly limit?: bigint | number;
}

/** A validated query: known detectors, an ordered range, a concrete limit per detector. */
export interface DetectorQuery {
  readonly detectorIds: readonly DetectorId[];
  readonly range: TimeRange;
  readonly limitPerDetector: number;
}

export function parseDetectorQuery(input: DetectorQueryInput, limits: QueryLimits): DetectorQuery {
  return {
    detectorIds: parseDetectorIds(input.detectorIds, limits),
    range: parseRange(input.range),
    limitPerDetector: parseLimit(input.limit ?? 0, {
      unit: 'detector',
      defaultLimit: limits.defaultLimitPerDetector,
      maxLimit: limits.maxLimitPerDetector,
    }),
  };
}

/** A travel-time request as the wire carries it, with times already in nanoseconds. */
export interface TravelTimeQueryInput {
  /** Undefined when the client chose no links. */
  readonly links: LinkSelectorInput | undefined;
  readonly range?: TimeRange;
  /** 0 or absent: the default; an int64 on the wire, so it may arrive as a bigint. */
  readonly limit?: bigint | number;
}

/** A validated travel-time query: which links, an ordered range of interval ends, a limit per link. */
export interface TravelTimeQuery {
  readonly selection: LinkSelection;
  readonly range: TimeRange;
  readonly limitPerLink: number;
}

export function parseTravelTimeQuery(input: TravelTimeQueryInput, limits: QueryLimits): TravelTimeQuery {
  return {
    selection: parseLinkSelection(input.links),
    range: parseRange(input.range),
    limitPerLink: parseLimit(input.limit ?? 0, {
      unit: 'link',
      defaultLimit: limits.defaultLimitPerLink,
      maxLimit: limits.maxLimitPerLink,
    }),
  };
}

/** 1 to `maxDetectorIds` valid, distinct ids (a repeated id would answer twice). */
function parseDetectorIds(ids: readonly string[], limits: QueryLimits): DetectorId[] {
  const { maxDetectorIds } = limits;
  if (ids.length === 0) {
    throw new ValidationError('empty', 'detector_ids', `is empty; give 1 to ${maxDetectorIds} detector ids`);
  }
  if (ids.length > maxDetectorIds) {
    throw new ValidationError(
      'out_of_range',
      'detector_ids',
      `has ${ids.length} ids; at most ${maxDetectorIds} are allowed in one request`,
    );
  }
  return parseDistinctDetectorIds(ids);
}

/** The wire's `detector_ids`, each valid and none repeated, in the order given. */
export function parseDistinctDetectorIds(ids: readonly string[]): DetectorId[] {
  const firstIndexOf = new Map<DetectorId, number>();
  ids.forEach((raw, index) => {
    const field = `detector_ids[${index}]`;
    const id = parseDetectorId(raw, field);
    const earlier = firstIndexOf.get(id);
    if (earlier !== undefined) {
      throw new ValidationError(
        'duplicate',
        field,
        `repeats "${id}", already given at detector_ids[${earlier}]`,
      );
    }
    firstIndexOf.set(id, index);
  });
  return [...firstIndexOf.keys()];
}

/** `after` inclusive, `before` exclusive; an empty window (after = before) is allowed and matches nothing. */
export function parseRange(range: TimeRange | undefined): TimeRange {
  const after: UnixNanos | undefined = range?.after;
  const before: UnixNanos | undefined = range?.before;
  if (after !== undefined && before !== undefined && after > before) {
    throw new ValidationError(
      'out_of_range',
      'range',
      `after (${formatNanosIso(after)}) is later than before (${formatNanosIso(before)}); ` +
        'after is inclusive and before exclusive, so after must not be later',
    );
  }
  return { ...(after === undefined ? {} : { after }), ...(before === undefined ? {} : { before }) };
}

/** What a request's `limit` counts per (`detector` or `link`), and its bounds. */
interface LimitRule {
  readonly unit: string;
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

/** The wire's `limit`: 0 means the default; negative or above the maximum is rejected. */
function parseLimit(limit: bigint | number, { unit, defaultLimit, maxLimit }: LimitRule): number {
  return parseZeroMeansDefault(limit, {
    field: 'limit',
    defaultValue: defaultLimit,
    max: maxLimit,
    rule: `the limit per ${unit} is 0 (the default, ${defaultLimit}) to ${maxLimit}`,
  });
}

/** An int64 wire field in which 0 means a default, and its bounds. */
export interface ZeroMeansDefaultRule {
  /** The wire field, named in errors. */
  readonly field: string;
  readonly defaultValue: number;
  readonly max: number;
  /** The rule as the client reads it in an error, e.g. `it is 0 (the default, 3600) to 604800 seconds`. */
  readonly rule: string;
}

/** A whole number from 0 (meaning `defaultValue`) to `max`; a number may arrive for a bigint. */
export function parseZeroMeansDefault(
  raw: bigint | number,
  { field, defaultValue, max, rule }: ZeroMeansDefaultRule,
): number {
  if (typeof raw === 'number' && !Number.isSafeInteger(raw)) {
    throw new ValidationError('not_integer', field, `is ${raw}, not a whole number; ${rule}`);
  }
  const value = BigInt(raw);
  if (value < 0n || value > BigInt(max)) {
    throw new ValidationError('out_of_range', field, `is ${value}; ${rule}`);
  }
  return value === 0n ? defaultValue : Number(value);
}

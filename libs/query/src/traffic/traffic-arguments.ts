import {
  DEFAULT_TRIP_GAP_SECONDS,
  formatNanosIso,
  NANOS_PER_SECOND,
  parseDetectorId,
  parseRouteName,
  ValidationError,
  type AlertKind,
  type AlertSeverity,
  type DetectorId,
  type TrafficTarget,
  type UnixNanos,
} from '@message-bus/domain';
import type { TimeRange } from '@message-bus/repository';
import { parseDistinctDetectorIds, parseRange, parseZeroMeansDefault } from '../query-arguments';

/** A `TrafficTarget` as the wire carries its one choice; undefined when the client chose none. */
export type TrafficTargetInput =
  | { readonly link: { readonly sourceDetectorId: string; readonly destDetectorId: string } }
  | { readonly route: string }
  | undefined;

/** Validates a request's `target`; errors name the wire fields, e.g. `target.link.source_detector_id`. */
export function parseTrafficTarget(input: TrafficTargetInput): TrafficTarget {
  if (input === undefined) {
    throw new ValidationError('empty', 'target', 'is not set; choose target.link or target.route');
  }
  if ('route' in input) return { kind: 'route', route: parseRouteName(input.route, 'target.route') };
  const sourceField = 'target.link.source_detector_id';
  const source = parseDetectorId(input.link.sourceDetectorId, sourceField);
  const destination = parseDetectorId(input.link.destDetectorId, 'target.link.dest_detector_id');
  if (source === destination) {
    throw new ValidationError(
      'self_link',
      sourceField,
      `is the destination itself ("${destination}"); a detector cannot link to itself`,
    );
  }
  return { kind: 'link', source, destination };
}

/** The target as a person reads it: `the link A → B` or `the route "name"`. */
export function describeTarget(target: TrafficTarget): string {
  return target.kind === 'link'
    ? `the link ${target.source} → ${target.destination}`
    : `the route "${target.route}"`;
}

/** A range both of whose sides are set. */
export interface ClosedRange {
  readonly after: UnixNanos;
  readonly before: UnixNanos;
}

/** `range` with both sides set and `after` not later than `before` (equal: an empty window). */
export function parseClosedRange(range: TimeRange | undefined): ClosedRange {
  const { after, before } = parseRange(range);
  if (after === undefined) {
    throw new ValidationError('empty', 'range.after', 'is not set; give the start of the period (inclusive)');
  }
  if (before === undefined) {
    throw new ValidationError('empty', 'range.before', 'is not set; give the end of the period (exclusive)');
  }
  return { after, before };
}

/** Fewest and most detectors of one origin–destination matrix: a pair, to a corridor of 50. */
export const MIN_ORIGIN_DESTINATION_DETECTORS = 2;
export const MAX_ORIGIN_DESTINATION_DETECTORS = 50;
/** The longest range of one matrix: a week, what the store keeps of raw sightings by default. */
export const MAX_ORIGIN_DESTINATION_SECONDS = 7 * 86_400;

/** A GetOriginDestination request as the wire carries it, with times already in nanoseconds. */
export interface OriginDestinationInput {
  readonly detectorIds: readonly string[];
  readonly range?: TimeRange;
  /** 0 or absent: the default, an hour; an int64 on the wire. */
  readonly tripGapSeconds?: bigint | number;
}

export interface OriginDestinationQuery {
  readonly detectorIds: readonly DetectorId[];
  readonly range: ClosedRange;
  readonly tripGapSeconds: number;
}

export function parseOriginDestinationQuery(input: OriginDestinationInput): OriginDestinationQuery {
  const count = input.detectorIds.length;
  const rule = `give ${MIN_ORIGIN_DESTINATION_DETECTORS} to ${MAX_ORIGIN_DESTINATION_DETECTORS} detector ids`;
  if (count < MIN_ORIGIN_DESTINATION_DETECTORS || count > MAX_ORIGIN_DESTINATION_DETECTORS) {
    throw new ValidationError(
      count < MIN_ORIGIN_DESTINATION_DETECTORS ? 'too_short' : 'too_long',
      'detector_ids',
      `has ${count} ids; ${rule}`,
    );
  }
  const detectorIds = parseDistinctDetectorIds(input.detectorIds);
  const range = parseClosedRange(input.range);
  const longest = BigInt(MAX_ORIGIN_DESTINATION_SECONDS) * NANOS_PER_SECOND;
  if (range.before - range.after > longest) {
    throw new ValidationError(
      'out_of_range',
      'range',
      `spans more than ${MAX_ORIGIN_DESTINATION_SECONDS / 86_400} days (${formatNanosIso(range.after)} to ` +
        `${formatNanosIso(range.before)}); ask for a week or less at a time`,
    );
  }
  return {
    detectorIds,
    range,
    tripGapSeconds: parseTripGap(input.tripGapSeconds ?? 0),
  };
}

function parseTripGap(raw: bigint | number): number {
  return parseZeroMeansDefault(raw, {
    field: 'trip_gap_seconds',
    defaultValue: DEFAULT_TRIP_GAP_SECONDS,
    max: MAX_ORIGIN_DESTINATION_SECONDS,
    rule: `it is 0 (the default, ${DEFAULT_TRIP_GAP_SECONDS}) to ${MAX_ORIGIN_DESTINATION_SECONDS} seconds`,
  });
}

/** Which alerts a ListAlerts or StreamAlerts asks for, already in domain terms. */
export interface AlertFilter {
  /** Empty: every kind. */
  readonly kinds: readonly AlertKind[];
  readonly minSeverity?: AlertSeverity;
}

import { parseDetectorId, type DetectorId } from './ids/detector-id';
import { integerInRange } from './integer';
import { ValidationError } from './validation-error';

/**
 * Traffic flows from `source` to `destination`; a device seen at both within
 * `maxSeconds` (1..86400) gives a travel-time sample. A detector never links to itself.
 */
export interface DetectorLink {
  readonly destination: DetectorId;
  readonly source: DetectorId;
  readonly maxSeconds: number;
  /**
   * The shortest plausible trip, when configured (1..maxSeconds − 1): faster samples
   * are rejected. Absent, the estimator derives it from the link's length and its
   * speed cap (`EstimatorConfig.maxSpeedKmh`).
   */
  readonly minSeconds?: number;
}

/** A day: no trip between two neighbouring detectors takes longer. */
export const MAX_LINK_SECONDS = 86_400;

export interface DetectorLinkInput {
  readonly destination: string;
  readonly source: string;
  /** An int64 on the wire, so it may arrive as a bigint. */
  readonly maxSeconds: number | bigint;
  /** 0 or absent: derive the minimum (the wire's default for an unset int64 is 0). */
  readonly minSeconds?: number | bigint;
}

/** Names of the input's fields in errors; defaults are the property names. */
export interface DetectorLinkFields {
  readonly destination?: string;
  readonly source?: string;
  readonly maxSeconds?: string;
  readonly minSeconds?: string;
}

/**
 * Validates a link. At the gRPC edge pass the wire names, e.g.
 * `{ destination: 'dest_detector_id', source: 'src_detectors[2].detector_id',
 * maxSeconds: 'src_detectors[2].max_seconds' }`.
 */
export function parseDetectorLink(input: DetectorLinkInput, fields: DetectorLinkFields = {}): DetectorLink {
  const destination = parseDetectorId(input.destination, fields.destination ?? 'destination');
  const sourceField = fields.source ?? 'source';
  const source = parseDetectorId(input.source, sourceField);
  const maxSeconds = integerInRange(
    input.maxSeconds,
    1,
    MAX_LINK_SECONDS,
    fields.maxSeconds ?? 'maxSeconds',
    (value) => `is ${value}; a link's maximum travel time is 1 to ${MAX_LINK_SECONDS} seconds`,
  );
  const minSeconds = optionalMinSeconds(input.minSeconds, maxSeconds, fields.minSeconds ?? 'minSeconds');
  if (source === destination) {
    throw new ValidationError(
      'self_link',
      sourceField,
      `is the destination itself ("${destination}"); a detector cannot link to itself`,
    );
  }
  return minSeconds === undefined
    ? { destination, source, maxSeconds }
    : { destination, source, maxSeconds, minSeconds };
}

/** A configured minimum below maxSeconds, or undefined for 0 or none (derive it). */
function optionalMinSeconds(
  value: number | bigint | undefined,
  maxSeconds: number,
  field: string,
): number | undefined {
  if (value === undefined || value === 0 || value === 0n) return undefined;
  return integerInRange(
    value,
    1,
    maxSeconds - 1,
    field,
    (text) =>
      `is ${text}; a link's minimum travel time is 1 to ${maxSeconds - 1} seconds (below its maximum ` +
      `of ${maxSeconds}), or 0 to derive it from the link's length`,
  );
}

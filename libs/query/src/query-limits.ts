/**
 * How much one query may ask for. The defaults are the documented contract of the
 * QueryService (see README.md); a deployment may lower them, never needs to raise them.
 */
export interface QueryLimits {
  /** Most detector ids in one request; e.g. `100`. */
  readonly maxDetectorIds: number;
  /** Sightings (or battery reports) per detector when a request's `limit` is 0; e.g. `1_000`. */
  readonly defaultLimitPerDetector: number;
  /** Largest `limit` a request may give; e.g. `100_000`. */
  readonly maxLimitPerDetector: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDetectorIds: 100,
  defaultLimitPerDetector: 1_000,
  maxLimitPerDetector: 100_000,
};

/** The defaults with `overrides` applied; throws a RangeError naming a limit that cannot work. */
export function resolveQueryLimits(overrides: Partial<QueryLimits> = {}): QueryLimits {
  const limits = { ...DEFAULT_QUERY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`QueryLimits.${name} must be a positive integer, got ${value}`);
    }
  }
  if (limits.defaultLimitPerDetector > limits.maxLimitPerDetector) {
    throw new RangeError(
      `QueryLimits.defaultLimitPerDetector (${limits.defaultLimitPerDetector}) exceeds ` +
        `maxLimitPerDetector (${limits.maxLimitPerDetector})`,
    );
  }
  return limits;
}

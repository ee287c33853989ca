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
  /**
   * Most sightings one GetEvents answer holds, across all its detectors; e.g. `500_000`.
   * The answer is built in memory and sent as one message (7 to 60 MB at this many,
   * depending on how many times each device has), so this bounds what one call costs
   * the server; `StreamEvents` sends any amount.
   */
  readonly maxSightingsPerAnswer: number;
  /**
   * Most voltages one GetBatteryVoltage answer holds, across all its detectors; e.g.
   * `500_000` (4 MB on the wire). Status reports are kept for weeks (30 days by
   * default), so a long range of many detectors can hold millions.
   */
  readonly maxVoltagesPerAnswer: number;
  /**
   * Most sightings a live StreamEvents (no `range.before`) replays before following;
   * e.g. `100_000`. Each is remembered for the stream's lifetime to drop repeats from the
   * follow (about 13 MB at this many). A replay with `before` is not bounded.
   */
  readonly maxSightingsPerLiveReplay: number;
  /** Travel-time estimates per link when a GetTravelTimes `limit` is 0; e.g. `1_440`, a day of minutes. */
  readonly defaultLimitPerLink: number;
  /** Largest GetTravelTimes `limit`; e.g. `100_000`. */
  readonly maxLimitPerLink: number;
  /**
   * Most estimates one GetTravelTimes answer holds, across all its links; e.g. `200_000`
   * (20 to 30 MB on the wire). Bounds what one call costs the server, as
   * `maxSightingsPerAnswer` does for GetEvents.
   */
  readonly maxEstimatesPerAnswer: number;
  /**
   * Detectors (ListDetectors), destinations (ListLinks), routes or alerts per page when
   * `page_size` is 0; e.g. `1_000` (90 to 290 KB of DetectorSummary, depending on id
   * lengths and health).
   */
  readonly defaultPageSize: number;
  /**
   * Largest `page_size`; e.g. `10_000`: at most about 2.9 MB of DetectorSummary (64-character
   * ids, a status and a health record each), below the 4 MB a gRPC client accepts by default.
   */
  readonly maxPageSize: number;
  /**
   * Largest ListRoutes `page_size`, and its default when lower than `defaultPageSize`;
   * e.g. `1_000`: a route of 51 detectors of 64-character ids is 3.4 KB on the wire, so
   * a page stays below a client's 4 MB.
   */
  readonly maxRoutesPerPage: number;
  /**
   * Largest ListAlerts `page_size`, and its default when lower than `defaultPageSize`;
   * e.g. `1_000`: an alert of a link between 64-character ids with a sentence and four
   * figures is about 400 bytes, and its sentence has no bound, so 10,000 could pass 4 MB.
   */
  readonly maxAlertsPerPage: number;
  /**
   * Most scans one server runs at once, from all clients; e.g. `8`. A scan is a GetEvents,
   * GetBatteryVoltage, GetTravelTimes, GetOriginDestination or GetReliability call, or a
   * StreamEvents' replay (its live follow
   * after the replay costs little and holds no slot). Scans share the one event loop with
   * ingest and health, and each may hold up to `maxSightingsPerAnswer` in memory, so more
   * at once finish no sooner and only cost more; a call beyond this is refused with
   * RESOURCE_EXHAUSTED at once, before it reads anything.
   */
  readonly maxConcurrentScans: number;
  /**
   * Most scans one client connection (its HTTP/2 session, told apart by the peer's address
   * and port) runs at once; e.g. `4`. Below `maxConcurrentScans`, so one client cannot
   * take every slot; clients behind one proxy share its connections, and its bound.
   */
  readonly maxConcurrentScansPerConnection: number;
  /**
   * Most sightings one GetOriginDestination reads, across its detectors and range; e.g.
   * `5_000_000`. They are not held (the answer holds one duration per trip and the
   * devices seen within the trip gap), but reading them is the call's cost: about 40
   * seconds at this many (measured: 125,000 a second on the embedded store, read and
   * counted, on two shared cores), in slices between pages. A week of 50 detectors
   * seeing 600 devices an hour each is 5,040,000.
   */
  readonly maxSightingsPerOriginDestination: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDetectorIds: 100,
  defaultLimitPerDetector: 1_000,
  maxLimitPerDetector: 100_000,
  maxSightingsPerAnswer: 500_000,
  maxVoltagesPerAnswer: 500_000,
  maxSightingsPerLiveReplay: 100_000,
  defaultLimitPerLink: 1_440,
  maxLimitPerLink: 100_000,
  maxEstimatesPerAnswer: 200_000,
  defaultPageSize: 1_000,
  maxPageSize: 10_000,
  maxRoutesPerPage: 1_000,
  maxAlertsPerPage: 1_000,
  maxConcurrentScans: 8,
  maxConcurrentScansPerConnection: 4,
  maxSightingsPerOriginDestination: 5_000_000,
};

/** The defaults with `overrides` applied; throws a RangeError naming a limit that cannot work. */
export function resolveQueryLimits(overrides: Partial<QueryLimits> = {}): QueryLimits {
  const limits = { ...DEFAULT_QUERY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`QueryLimits.${name} must be a positive integer, got ${value}`);
    }
  }
  for (const unit of ['Detector', 'Link'] as const) {
    const defaultLimit = limits[`defaultLimitPer${unit}`];
    const maxLimit = limits[`maxLimitPer${unit}`];
    if (defaultLimit > maxLimit) {
      throw new RangeError(
        `QueryLimits.defaultLimitPer${unit} (${defaultLimit}) exceeds maxLimitPer${unit} (${maxLimit})`,
      );
    }
  }
  if (limits.defaultPageSize > limits.maxPageSize) {
    throw new RangeError(
      `QueryLimits.defaultPageSize (${limits.defaultPageSize}) exceeds maxPageSize (${limits.maxPageSize})`,
    );
  }
  return limits;
}

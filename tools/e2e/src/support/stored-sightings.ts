import type { query } from '@message-bus/proto';
import { getEvents } from './grpc-clients';
import { fromTimestamp, sightingKey, type SightingPlan } from './sighting-plan';

/** The largest GetEvents `limit` (the query service's documented maximum per detector). */
const maxLimitPerDetector = 100_000;

/** What the store holds of a plan's sightings, as the query service reads them back. */
export interface StoredSightings {
  /** Sightings returned, counting a repeated one each time. */
  readonly stored: number;
  /** Distinct `<detector>@<nanoseconds>` among them. */
  readonly distinct: number;
  /** `stored - distinct`: sightings held more than once. */
  readonly duplicates: number;
  /** Expected sightings not stored. */
  readonly missing: number;
  /** Stored sightings in the plan's detectors and range that were not expected. */
  readonly unexpected: number;
  /** The distinct keys stored, to test which sightings are present. */
  readonly keys: ReadonlySet<string>;
}

/**
 * Reads every sighting of `plan`'s detectors in its range through GetEvents, one
 * detector per call with the largest limit, and compares them with `expected` (by
 * default the whole plan; e.g. `plan.keysOf(sentLogs)` when only part was sent). Throws
 * when a detector hits the limit, since the count would then be cut short.
 */
export async function readStoredSightings(
  client: query.QueryServiceClient,
  plan: SightingPlan,
  expected: ReadonlySet<string> = plan.keys,
): Promise<StoredSightings> {
  const keys = new Set<string>();
  let stored = 0;
  for (const detectorId of plan.detectorIds) {
    const response = await getEvents(client, {
      detectorIds: [detectorId],
      range: plan.range,
      limit: BigInt(maxLimitPerDetector),
    });
    let ofDetector = 0;
    for (const event of response.events) {
      for (const time of event.time) {
        keys.add(sightingKey(event.detectorId, fromTimestamp(time)));
        ofDetector += 1;
      }
    }
    if (ofDetector >= maxLimitPerDetector) {
      throw new Error(`${detectorId} holds ${maxLimitPerDetector} sightings or more: too many to count`);
    }
    stored += ofDetector;
  }
  let missing = 0;
  for (const key of expected) if (!keys.has(key)) missing += 1;
  let unexpected = 0;
  for (const key of keys) if (!expected.has(key)) unexpected += 1;
  return { stored, distinct: keys.size, duplicates: stored - keys.size, missing, unexpected, keys };
}

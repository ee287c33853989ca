import type { DetectorId, UnixNanos } from '@message-bus/domain';

/**
 * Travel-time estimates to compute again, kept in the store so that no worker's death
 * loses them. Three things add work here:
 *
 * - an append of sightings older than the repository's `lateAfterSeconds` marks the
 *   detector's 100-second bucket (`LateSightings`), in the same write as the sightings,
 *   so sightings that reach the store after their interval was estimated (a detector that
 *   uploads hours late, an import of a past day) are never left out;
 * - a worker that is far behind records the intervals it has not done yet as a
 *   `backlog` range, so it can do the live interval first;
 * - an operator's request (QueryService.RecomputeTravelTimes) adds a `request` range.
 *
 * Every change is conditional on the record being unchanged since it was read (its
 * `version`), so a mark written again while a worker works on it is never lost: the
 * worker's `advance` or `complete` then fails, and the range is done again.
 */
export interface RecomputeQueue {
  /**
   * Records ranges to recompute. A range with the key of a pending one (same
   * destination, from, origin and id) replaces it and starts it over.
   */
  add(ranges: readonly NewRecomputeRange[]): Promise<void>;
  /** The pending ranges of `destination`, or of every destination; ordered by destination, then `from`. */
  pending(destination?: DetectorId): Promise<RecomputeRange[]>;
  /**
   * Records that the range's interval ends before `doneBefore` are recomputed. Resolves
   * to the range as stored now, or undefined when it was replaced or removed since it was
   * read (the caller then drops its copy: the replacement is pending).
   */
  advance(range: RecomputeRange, doneBefore: UnixNanos): Promise<RecomputeRange | undefined>;
  /** Removes the range unless it was replaced since it was read; resolves to whether it was removed. */
  complete(range: RecomputeRange): Promise<boolean>;
  /** Detectors whose sightings were appended late, oldest bucket first per detector, at most `limit`. */
  lateSightings(limit: number): Promise<LateSightings[]>;
  /**
   * Adds `ranges` (what the late sightings change), then removes the mark unless a later
   * append marked the bucket again meanwhile; resolves to whether it was removed.
   */
  resolveLateSightings(mark: LateSightings, ranges: readonly NewRecomputeRange[]): Promise<boolean>;
}

/** Why a range is to be recomputed. */
export type RecomputeOrigin = 'late_sightings' | 'backlog' | 'request';

export const RECOMPUTE_ORIGINS: readonly RecomputeOrigin[] = ['late_sightings', 'backlog', 'request'];

/** The estimates of the links into `destination` whose interval end lies in [from, to). */
export interface NewRecomputeRange {
  readonly destination: DetectorId;
  /** Only the links from these sources; undefined: every link into the destination. */
  readonly sources?: readonly DetectorId[];
  readonly from: UnixNanos;
  readonly to: UnixNanos;
  readonly origin: RecomputeOrigin;
  /**
   * Tells ranges of one destination, from and origin apart: the late detector for
   * `late_sightings` (so marking it again replaces the range), the request's id for
   * `request`, e.g. a ULID; `backlog` for a backlog. One key segment (no `/`).
   */
  readonly id: string;
}

/** A pending range as stored. */
export interface RecomputeRange extends NewRecomputeRange {
  /** Interval ends before this are done; `from` while nothing is. */
  readonly doneBefore: UnixNanos;
  /** Changes with every write of the range; what `advance` and `complete` compare. */
  readonly version: string;
}

/** A detector's sightings in [from, to) (one 100-second bucket) were appended late. */
export interface LateSightings {
  readonly detectorId: DetectorId;
  readonly from: UnixNanos;
  readonly to: UnixNanos;
  /** Changes with every append that marks the bucket again. */
  readonly version: string;
}

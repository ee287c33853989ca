/** What the never-matches check counts over its window (`neverMatchesWindowSeconds`). */
export interface MatchCounts {
  /** Sightings of the detector in the window (a count capped at what matters is enough). */
  readonly sightings: number;
  /**
   * Per link into or out of the detector: matched samples (`totalSamples`) summed over the
   * window; a shorter span will do once one of them is above zero, the verdict being the same.
   */
  readonly ownLinks: readonly number[];
  /** Matched samples over the window on the other links of its linked neighbours. */
  readonly neighbourLinks: number;
}

/**
 * A detector that is heard and whose neighbours match devices, but whose own links match
 * nothing: its sightings never pair with anyone's, e.g. it reports identifiers hashed
 * with another key, or its links point the wrong way. Judged when it has at least
 * `minSightings` sightings in the window, at least one link, zero matched samples on
 * every one of its links over the window, and matches on its neighbours' other links.
 */
export function neverMatches(counts: MatchCounts, minSightings: number): boolean {
  return (
    counts.sightings >= minSightings &&
    counts.ownLinks.length > 0 &&
    counts.ownLinks.every((matched) => matched === 0) &&
    counts.neighbourLinks > 0
  );
}

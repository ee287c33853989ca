import type { DetectorId, DetectorLink, UnixNanos } from '@message-bus/domain';
import type { LateSightings, NewRecomputeRange } from '@message-bus/repository';
import { randomBytes } from 'node:crypto';

/** A range before it is named: what one late bucket changes at one destination. */
interface Affected {
  readonly destination: DetectorId;
  /** undefined: every link into the destination. */
  readonly sources: readonly DetectorId[] | undefined;
  readonly from: UnixNanos;
  readonly to: UnixNanos;
}

/**
 * The ranges of estimates that late sightings change, merged per destination.
 *
 * Sightings of detector D in [b, b + 100 s) feed the interval ends T after them whose
 * lookback reaches them: at a destination D, T in (b, b + 100 s + lookback(0)); at a
 * source D of the link D → X, T in (b, b + 100 s + lookback(maxSeconds)) of X. Ends after
 * `lastDue` are not computed yet and will see the sightings then, so ranges stop there.
 * Overlapping ranges of one destination merge (their sources joined), so a day imported
 * at once is recomputed once per destination rather than once per 100-second bucket.
 */
export function rangesForLateSightings(
  marks: readonly LateSightings[],
  linksByDestination: ReadonlyMap<DetectorId, readonly DetectorLink[]>,
  lookback: (maxSeconds: number) => bigint,
  lastDue: UnixNanos,
): NewRecomputeRange[] {
  const sourceLinks = new Map<DetectorId, DetectorLink[]>();
  for (const links of linksByDestination.values()) {
    for (const link of links) {
      const bySource = sourceLinks.get(link.source);
      if (bySource === undefined) sourceLinks.set(link.source, [link]);
      else bySource.push(link);
    }
  }
  const affected: Affected[] = [];
  const add = (
    destination: DetectorId,
    sources: readonly DetectorId[] | undefined,
    from: bigint,
    to: bigint,
  ) => {
    const until = to < lastDue + 1n ? to : lastDue + 1n;
    if (from < until) affected.push({ destination, sources, from, to: until });
  };
  for (const mark of marks) {
    const from = mark.from + 1n;
    if (linksByDestination.has(mark.detectorId)) add(mark.detectorId, undefined, from, mark.to + lookback(0));
    for (const link of sourceLinks.get(mark.detectorId) ?? []) {
      add(link.destination, [link.source], from, mark.to + lookback(link.maxSeconds));
    }
  }
  return mergedPerDestination(affected).map((range) => ({
    destination: range.destination,
    ...(range.sources === undefined ? {} : { sources: range.sources }),
    from: range.from,
    to: range.to,
    origin: 'late_sightings',
    // Unique, so that no later conversion replaces (and shortens) a range in progress.
    id: randomBytes(8).toString('hex'),
  }));
}

function mergedPerDestination(affected: Affected[]): Affected[] {
  const sorted = [...affected].sort((a, b) =>
    a.destination !== b.destination ? (a.destination < b.destination ? -1 : 1) : a.from < b.from ? -1 : 1,
  );
  const merged: Affected[] = [];
  for (const range of sorted) {
    const previous = merged.at(-1);
    if (previous === undefined || previous.destination !== range.destination || range.from > previous.to) {
      merged.push(range);
      continue;
    }
    merged[merged.length - 1] = {
      ...previous,
      to: range.to > previous.to ? range.to : previous.to,
      sources:
        previous.sources === undefined || range.sources === undefined
          ? undefined
          : [...new Set([...previous.sources, ...range.sources])].sort(),
    };
  }
  return merged;
}

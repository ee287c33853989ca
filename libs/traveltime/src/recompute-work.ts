import {
  formatNanosIso,
  NANOS_PER_SECOND,
  type DetectorId,
  type DetectorLink,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import type { RecomputeRange, WorkLease } from '@message-bus/repository';
import type { ServerMetrics } from '@message-bus/server-kit';
import type { IntervalSchedule } from './interval-schedule';
import { rangesForLateSightings } from './late-sightings';
import { INTERVALS_PER_READ, type LinkIntervals } from './link-intervals';
import type { TrafficProducts } from './products/traffic-products';
import type { ResolvedWorkerOptions } from './travel-time-worker-options';

/** Marks removed concurrently, so a round does not pay one store round trip per mark in turn. */
const MARKS_RESOLVED_AT_ONCE = 64;

/** What the recompute part of a worker's round works with. */
export interface RecomputeRound {
  readonly now: UnixNanos;
  /** The newest interval end due: nothing later is recomputed (it is written live). */
  readonly lastDue: UnixNanos;
  readonly linksByDestination: ReadonlyMap<DetectorId, readonly DetectorLink[]>;
  /** The destinations the worker holds, with their claims. */
  readonly held: ReadonlyMap<DetectorId, WorkLease>;
  /** Once true, no new chunk is started (one always is, so a backlog advances). */
  readonly outOfTime: () => boolean;
  readonly stop: AbortSignal | undefined;
}

/**
 * The worker's work beyond the due intervals, through the repository's `RecomputeQueue`:
 * turning late-sighting marks into ranges, and recomputing the pending ranges of the
 * destinations it holds, oldest first, a chunk of INTERVALS_PER_READ intervals at a time,
 * each chunk's progress stored so another worker can continue it.
 */
export class RecomputeWork {
  constructor(
    private readonly options: ResolvedWorkerOptions,
    private readonly schedule: IntervalSchedule,
    private readonly intervals: LinkIntervals,
    private readonly products: TrafficProducts,
  ) {}

  /**
   * Turns late-sighting marks into ranges of the estimates they feed, whoever holds the
   * destinations. A mark marked again meanwhile stays, and is turned into ranges again.
   * Resolves to whether marks are left for the next round.
   */
  async resolveLateSightings(round: RecomputeRound): Promise<boolean> {
    const { repository, logger, workerId, lateMarksPerRound } = this.options;
    try {
      const marks = await repository.recompute.lateSightings(lateMarksPerRound);
      if (marks.length === 0) return false;
      const ranges = rangesForLateSightings(
        marks,
        round.linksByDestination,
        (maxSeconds) => this.intervals.lookback(maxSeconds),
        round.lastDue,
      );
      await repository.recompute.add(ranges);
      for (let start = 0; start < marks.length; start += MARKS_RESOLVED_AT_ONCE) {
        await Promise.all(
          marks
            .slice(start, start + MARKS_RESOLVED_AT_ONCE)
            .map((mark) => repository.recompute.resolveLateSightings(mark, [])),
        );
      }
      logger.info(
        { worker: workerId, marks: marks.length, ranges: ranges.length },
        'late sightings: their estimates are due again',
      );
      return marks.length === lateMarksPerRound;
    } catch (error) {
      logger.warn({ worker: workerId, err: error }, 'could not read late sightings; retrying next round');
      return false;
    }
  }

  /**
   * Recomputes the pending ranges of the held destinations, oldest first, until
   * `outOfTime`, and sets the backlog gauge. Resolves to the estimates written and
   * whether ranges were left for lack of time (not for a failure: those are retried
   * after a poll, so a store that keeps failing is not asked again at once).
   */
  async recomputePending(round: RecomputeRound): Promise<{ recomputed: number; backlog: boolean }> {
    const { repository, logger, metrics, workerId } = this.options;
    let ranges: RecomputeRange[];
    try {
      ranges = (await repository.recompute.pending()).filter((range) => round.held.has(range.destination));
    } catch (error) {
      logger.warn(
        { worker: workerId, err: error },
        'could not read the ranges to recompute; retrying next round',
      );
      return { recomputed: 0, backlog: false };
    }
    ranges.sort((a, b) => (a.doneBefore < b.doneBefore ? -1 : a.doneBefore > b.doneBefore ? 1 : 0));
    let recomputed = 0;
    let chunks = 0;
    const unfinished: RecomputeRange[] = [];
    // Ranges left for lack of time make the next round start at once; failed ones wait a poll.
    let outOfTime = false;
    for (const pending of ranges) {
      let range: RecomputeRange | undefined = pending;
      while (range !== undefined) {
        const lease = round.held.get(range.destination);
        if (lease === undefined || lease.lost.aborted) break;
        if (chunks > 0 && round.outOfTime()) {
          unfinished.push(range);
          outOfTime = true;
          break;
        }
        chunks += 1;
        const current: RecomputeRange = range;
        try {
          const step = await this.recomputeChunk(current, lease, round);
          recomputed += step.written;
          range = step.next;
        } catch (error) {
          logger.warn(
            { worker: workerId, destination: current.destination, err: error },
            'could not recompute a range; retrying next round',
          );
          unfinished.push(current);
          range = undefined;
        }
      }
    }
    const oldest = minimum(unfinished.map((range) => range.doneBefore));
    metrics?.travelTimeBacklogSeconds.set(
      oldest === undefined || oldest > round.lastDue
        ? 0
        : Number((round.lastDue - oldest) / NANOS_PER_SECOND),
    );
    return { recomputed, backlog: outOfTime };
  }

  /**
   * Recomputes the next chunk of a range (at most INTERVALS_PER_READ interval ends, none
   * after `lastDue`: those are written live, from the same sightings). Resolves to the
   * estimates written and the range as advanced, or `next` undefined once it is finished,
   * replaced by a newer request for it (which is pending itself), or stopped.
   */
  private async recomputeChunk(
    range: RecomputeRange,
    lease: WorkLease,
    round: RecomputeRound,
  ): Promise<{ written: number; next: RecomputeRange | undefined }> {
    const { repository, logger, metrics, workerId } = this.options;
    const { lastDue } = round;
    const interval = this.schedule.intervalNanos;
    const links = (round.linksByDestination.get(range.destination) ?? []).filter(
      (link) => range.sources === undefined || range.sources.includes(link.source),
    );
    const lastEnd = this.schedule.lastEndAtOrBefore((range.to <= lastDue ? range.to : lastDue + 1n) - 1n);
    let first = this.schedule.firstEndAtOrAfter(range.doneBefore);
    const oldest = this.oldestRecomputable(round.now, links);
    if (first < oldest) {
      const skipped = this.schedule.countBetween(first, oldest <= lastEnd ? oldest : lastEnd + interval);
      metrics?.travelTimeIntervalsSkipped.inc(skipped * links.length);
      logger.warn(
        { worker: workerId, destination: range.destination, origin: range.origin, skipped },
        'left intervals whose sightings are past the retention as they were',
      );
      first = oldest;
    }
    const chunkLast = minimum([lastEnd, first + interval * BigInt(INTERVALS_PER_READ - 1)])!;
    let written = 0;
    if (links.length > 0 && first <= chunkLast) {
      const done = await this.intervals.write({
        destination: range.destination,
        links,
        first,
        last: chunkLast,
        // Stopping mid-chunk leaves the range as it was: redoing an interval is harmless.
        shouldStop: () => lease.lost.aborted || round.stop?.aborted === true,
        onWritten: (_end, estimates) => {
          written += estimates.length;
          countWritten(metrics, estimates);
          metrics?.travelTimeIntervalsRecomputed.inc({ origin: range.origin }, estimates.length);
        },
      });
      if (done === undefined) return { written, next: undefined };
      await this.products.recomputeRoutes({
        destination: range.destination,
        lease,
        first,
        last: chunkLast,
        linksByDestination: round.linksByDestination,
        stop: round.stop,
      });
    }
    if (links.length === 0 || chunkLast >= lastEnd) {
      await repository.recompute.complete(range);
      logger.info(
        {
          worker: workerId,
          destination: range.destination,
          origin: range.origin,
          from: formatNanosIso(range.from),
          to: formatNanosIso(range.to),
        },
        'recomputed a range of intervals',
      );
      return { written, next: undefined };
    }
    return { written, next: await repository.recompute.advance(range, chunkLast + 1n) };
  }

  /** The first interval end whose lookback lies wholly within the retention, for the links given. */
  private oldestRecomputable(now: UnixNanos, links: readonly DetectorLink[]): UnixNanos {
    const longest = Math.max(0, ...links.map((link) => link.maxSeconds));
    const start = retentionStart(now, this.options.sightingRetentionSeconds);
    return this.schedule.firstEndAtOrAfter(start + this.intervals.lookback(longest));
  }
}

/** The oldest time whose sightings a store keeping them `retentionSeconds` still holds. */
export function retentionStart(now: UnixNanos, retentionSeconds: number): UnixNanos {
  const start = now - BigInt(retentionSeconds) * NANOS_PER_SECOND;
  return start > 0n ? start : 0n;
}

/** Counts written estimates by status, live or recomputed. */
export function countWritten(
  metrics: ServerMetrics | undefined,
  estimates: readonly TravelTimeEstimate[],
): void {
  for (const estimate of estimates) metrics?.travelTimeEstimatesWritten.inc({ status: estimate.status });
}

/** The least of `values`, or undefined when there are none. */
export function minimum(values: readonly bigint[]): bigint | undefined {
  let least: bigint | undefined;
  for (const value of values) if (least === undefined || value < least) least = value;
  return least;
}

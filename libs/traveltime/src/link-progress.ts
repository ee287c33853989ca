import {
  formatNanosIso,
  NANOS_PER_SECOND,
  type DetectorId,
  type DetectorLink,
  type UnixNanos,
} from '@message-bus/domain';
import type { NewRecomputeRange, WorkLease } from '@message-bus/repository';
import type { IntervalSchedule } from './interval-schedule';
import { INTERVALS_PER_READ, type LinkIntervals } from './link-intervals';
import { countWritten, minimum, retentionStart } from './recompute-work';
import type { ResolvedWorkerOptions } from './travel-time-worker-options';

/** A link this far behind (or further) does its newest intervals live and records the rest as a backlog. */
export const LIVE_INTERVALS = INTERVALS_PER_READ;

/** The due intervals of one held destination, to write live. */
export interface LiveRun {
  readonly destination: DetectorId;
  /** The claim it is held under: writing stops once it is lost. */
  readonly lease: WorkLease;
  /** The links into the destination. */
  readonly links: readonly DetectorLink[];
  readonly now: UnixNanos;
  /** The newest interval end due. */
  readonly lastDue: UnixNanos;
  readonly stop: AbortSignal | undefined;
}

type ProgressOptions = Pick<
  ResolvedWorkerOptions,
  'repository' | 'logger' | 'metrics' | 'workerId' | 'sightingRetentionSeconds'
>;

/**
 * How far each link of the held destinations has been estimated live, and the writes
 * that advance it. Per claim and source it knows the next interval end to write: known
 * only while the claim is held without a break, since nobody else writes the destination
 * then, so it is kept per lease object and a new claim starts from the store again.
 */
export class LinkProgress {
  private readonly nextEnds = new WeakMap<WorkLease, Map<DetectorId, UnixNanos>>();

  constructor(
    private readonly options: ProgressOptions,
    private readonly schedule: IntervalSchedule,
    private readonly intervals: LinkIntervals,
  ) {}

  /**
   * Writes every due interval of the destination's links live, oldest first; returns how
   * many estimates it wrote. A failure is logged and forgets the links' progress, so the
   * next round reads it back from the store.
   */
  async writeDue(run: LiveRun): Promise<number> {
    const { destination, lease, links, lastDue, stop } = run;
    const { logger, metrics, workerId } = this.options;
    const interval = this.schedule.intervalNanos;
    let written = 0;
    try {
      const nextEnd = await this.load(run);
      const first = minimum(links.map((link) => nextEnd.get(link.source) ?? lastDue + interval));
      if (first === undefined || first > lastDue) return 0;
      await this.intervals.write({
        destination,
        links,
        first,
        last: lastDue,
        isDue: (link, end) => (nextEnd.get(link.source) ?? end + interval) <= end,
        shouldStop: () => lease.lost.aborted || stop?.aborted === true,
        onWritten: (end, estimates) => {
          for (const estimate of estimates) nextEnd.set(estimate.source, end + interval);
          written += estimates.length;
          countWritten(metrics, estimates);
        },
      });
      if (written > links.length) {
        logger.info(
          { worker: workerId, destination, estimates: written, through: formatNanosIso(lastDue) },
          'caught up on missed intervals',
        );
      }
      return written;
    } catch (error) {
      this.nextEnds.delete(lease);
      logger.warn(
        { worker: workerId, destination, err: error },
        'could not estimate a destination; retrying next round',
      );
      return written;
    }
  }

  /**
   * The next interval end of each link, learning those not yet known: after the link's
   * newest stored estimate, or for a link never estimated, from the interval of the first
   * sighting at the destination within the retention (the newest due one when there is
   * none). A link further behind than LIVE_INTERVALS starts live there, and the intervals
   * before are recorded as a backlog range (in the store, before any live write, so no
   * restart loses them).
   */
  private async load(run: LiveRun): Promise<Map<DetectorId, UnixNanos>> {
    const { destination, lease, links, lastDue } = run;
    const nextEnd = this.nextEnds.get(lease) ?? new Map<DetectorId, UnixNanos>();
    this.nextEnds.set(lease, nextEnd);
    const unknown = links.filter((link) => !nextEnd.has(link.source));
    if (unknown.length === 0) return nextEnd;
    const { repository, logger, workerId } = this.options;
    const latest = await repository.travelTimes.latest(
      unknown.map((link) => ({ source: link.source, destination })),
    );
    const newestBySource = new Map(latest.map((estimate) => [estimate.source, estimate.intervalEnd]));
    const liveFrom = this.schedule.before(lastDue, LIVE_INTERVALS - 1);
    let firstForNewLinks: UnixNanos | undefined;
    const backlog: NewRecomputeRange[] = [];
    const learnt = new Map<DetectorId, UnixNanos>();
    for (const link of unknown) {
      const newest = newestBySource.get(link.source);
      let from =
        newest === undefined
          ? (firstForNewLinks ??= await this.firstIntervalWithSightings(run))
          : this.schedule.firstEndAfter(newest);
      if (from < liveFrom) {
        backlog.push({
          destination,
          sources: [link.source],
          from,
          to: liveFrom,
          origin: 'backlog',
          id: link.source,
        });
        from = liveFrom;
      }
      learnt.set(link.source, from);
    }
    if (backlog.length > 0) {
      await repository.recompute.add(backlog);
      logger.info(
        {
          worker: workerId,
          destination,
          links: backlog.length,
          behindSeconds: Number((lastDue - minimum(backlog.map((range) => range.from))!) / NANOS_PER_SECOND),
        },
        'behind: writing the newest intervals first, the rest as a backlog',
      );
    }
    for (const [source, from] of learnt) nextEnd.set(source, from);
    return nextEnd;
  }

  private async firstIntervalWithSightings({ destination, now, lastDue }: LiveRun): Promise<UnixNanos> {
    for await (const sighting of this.options.repository.events.list({
      detectorIds: [destination],
      range: { after: retentionStart(now, this.options.sightingRetentionSeconds), before: lastDue },
      limitPerDetector: 1,
      order: 'oldest_first',
    })) {
      return this.schedule.firstEndAfter(sighting.time);
    }
    return lastDue;
  }
}

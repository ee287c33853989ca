import {
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  type DetectorId,
  type DetectorLink,
  type UnixNanos,
} from '@message-bus/domain';
import type { NewRecomputeRange, WorkLease } from '@message-bus/repository';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { IntervalSchedule } from './interval-schedule';
import { INTERVALS_PER_READ, LinkIntervals } from './link-intervals';
import { countWritten, minimum, RecomputeWork, retentionStart, type RecomputeRound } from './recompute-work';
import {
  resolveWorkerOptions,
  type ResolvedWorkerOptions,
  type TravelTimeWorkerOptions,
} from './travel-time-worker-options';

/** What one round did. */
export interface RoundReport {
  /** The newest interval end due in this round. */
  readonly lastDue: UnixNanos;
  /** Destinations held at the end of the round, sorted. */
  readonly held: readonly DetectorId[];
  /** Estimates written in this round, live and recomputed. */
  readonly written: number;
  /** Of those, the estimates of ranges to recompute (late sightings, a backlog, a request). */
  readonly recomputed: number;
  /** Whether ranges of held destinations are still pending: the round ran out of time. */
  readonly backlog: boolean;
}

/** A destination this worker holds, and how far each of its links has been estimated live. */
interface HeldDestination {
  readonly lease: WorkLease;
  /**
   * Per source: the next interval end to write live for source → destination. Known only
   * while the lease is held without a break, since nobody else writes this destination then.
   */
  readonly nextEnd: Map<DetectorId, UnixNanos>;
}

/** How this worker stands among the live workers. */
interface Membership {
  /** How many destinations it should hold. */
  readonly share: number;
  /** Whether it turns late-sighting marks into ranges (the first member by name does). */
  readonly resolvesLateSightings: boolean;
}

/** A link this far behind (or further) does its newest intervals live and records the rest as a backlog. */
const LIVE_INTERVALS = INTERVALS_PER_READ;

/** Each live worker holds a claim under here, so the workers know how many share the destinations. */
const MEMBERS_PREFIX = 'traveltime-workers/';

/**
 * The travel-time worker. Every round (each interval as it becomes due, and every poll
 * period in between) it reads the links, so a new link is estimated within seconds;
 * claims the destinations it can (claims are kept across rounds); then, for each
 * destination it holds, writes every due interval of its links live, oldest first; and
 * with the time left before the next interval is due, recomputes pending ranges of its
 * destinations, oldest first (see `RecomputeQueue`):
 *
 * - late sightings: an append of old sightings marked their buckets; the first worker
 *   by name turns the marks into ranges of the estimates they feed;
 * - a backlog: a link further behind than `LIVE_INTERVALS` (after downtime, or a new
 *   link with history) writes its newest intervals live and records the rest as a
 *   range, back to its first sighting within the retention;
 * - an operator's request (QueryService.RecomputeTravelTimes).
 *
 * The same sightings always give the same estimate, so recomputing is harmless. Writing
 * stops as soon as a claim is lost. Ranges live in the store, so nothing is lost when a
 * worker dies: the next holder of the destination continues them.
 *
 * Workers balance the destinations: each claims membership under `traveltime-workers/`,
 * holds at most its fair share (destinations ÷ live workers, rounded up) and hands the
 * excess over when another worker joins.
 */
export class TravelTimeWorker {
  private readonly options: ResolvedWorkerOptions;
  private readonly schedule: IntervalSchedule;
  private readonly intervals: LinkIntervals;
  private readonly recomputeWork: RecomputeWork;
  private readonly held = new Map<DetectorId, HeldDestination>();
  private linksByDestination = new Map<DetectorId, readonly DetectorLink[]>();
  /** Rounds (and stop) run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private running: { readonly stop: AbortController; readonly loop: Promise<void> } | undefined;
  /** This worker's claim under MEMBERS_PREFIX, while it runs. */
  private membership: WorkLease | undefined;
  private readonly memberName: string;

  constructor(options: TravelTimeWorkerOptions) {
    this.options = resolveWorkerOptions(options);
    this.schedule = new IntervalSchedule(this.options.intervalSeconds, this.options.lagSeconds);
    this.intervals = new LinkIntervals(this.options.repository, this.schedule, this.options.estimatorConfig);
    this.recomputeWork = new RecomputeWork(this.options, this.schedule, this.intervals);
    this.memberName = `${MEMBERS_PREFIX}${memberSegment(this.options.workerId)}`;
  }

  /**
   * One round at `now`: reads the links, claims what it can, writes every due interval,
   * then recomputes pending ranges until the next interval is due (by real time elapsed).
   */
  runOnce(now: UnixNanos): Promise<RoundReport> {
    return this.serialized(() => this.round(now));
  }

  /** Runs rounds until `stop()`: at each interval's due time, and every poll period in between. */
  start(): void {
    if (this.running !== undefined) throw new Error('the travel-time worker is already running');
    const stop = new AbortController();
    this.running = { stop, loop: this.loop(stop.signal) };
    this.options.logger.info(
      {
        worker: this.options.workerId,
        intervalSeconds: this.options.intervalSeconds,
        lagSeconds: this.options.lagSeconds,
        leaseTtlSeconds: this.options.leaseTtlSeconds,
        sightingRetentionSeconds: this.options.sightingRetentionSeconds,
      },
      'travel-time worker started',
    );
  }

  /** Ends the loop after the write in progress, then releases every destination it holds. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    running?.stop.abort();
    await running?.loop;
    await this.serialized(async () => {
      await this.release([...this.held.keys()]);
      await this.membership?.release();
      this.membership = undefined;
    });
  }

  /** Destinations held now, sorted. */
  heldDestinations(): DetectorId[] {
    return [...this.held.keys()].sort();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { clock, logger, pollMs } = this.options;
    while (!signal.aborted) {
      const now = clock();
      let backlog = false;
      try {
        backlog = (await this.serialized(() => this.round(now, signal))).backlog;
      } catch (error) {
        logger.warn({ worker: this.options.workerId, err: error }, 'travel-time round failed; retrying');
      }
      // With ranges pending, the next round starts at once: it writes the due interval first.
      const untilDueMs = Number((this.schedule.nextDueAt(now) - clock()) / NANOS_PER_MILLISECOND);
      await sleep(backlog ? 0 : Math.max(0, Math.min(untilDueMs, pollMs)), signal);
    }
  }

  private async round(now: UnixNanos, stop?: AbortSignal): Promise<RoundReport> {
    const startedAt = performance.now();
    const lastDue = this.schedule.lastDue(now);
    this.linksByDestination = groupByDestination(await this.options.repository.links.list());
    this.dropLost();
    await this.releaseUnlinked();
    const membership = await this.membershipNow();
    await this.handOverExcess(membership.share);
    await this.claimFree(membership.share, stop);
    let written = 0;
    for (const [destination, held] of this.held) {
      if (stop?.aborted) break;
      written += await this.estimateLive(destination, held, now, lastDue, stop);
    }
    // The time left until the next interval is due, measured on the real clock from the round's start.
    const budgetMs = Number((this.schedule.nextDueAt(now) - now) / NANOS_PER_MILLISECOND);
    const recomputeRound: RecomputeRound = {
      now,
      lastDue,
      linksByDestination: this.linksByDestination,
      held: this.held,
      outOfTime: () => performance.now() - startedAt >= budgetMs || stop?.aborted === true,
      stop,
    };
    // After the live intervals: late sightings only add ranges, done below and in later rounds.
    const marksLeft =
      membership.resolvesLateSightings && (await this.recomputeWork.resolveLateSightings(recomputeRound));
    const { recomputed, backlog } = await this.recomputeWork.recomputePending(recomputeRound);
    this.dropLost();
    return {
      lastDue,
      held: this.heldDestinations(),
      written: written + recomputed,
      recomputed,
      backlog: backlog || marksLeft,
    };
  }

  /**
   * How many destinations this worker should hold: all of them divided by the live
   * workers, rounded up, so together they cover every destination. When the members
   * cannot be counted it keeps what it holds, and leaves late sightings to the next round.
   */
  private async membershipNow(): Promise<Membership> {
    const { leases, claimTtlSeconds, logger, workerId } = this.options;
    try {
      if (this.membership === undefined || this.membership.lost.aborted) {
        this.membership = await leases.tryAcquire(this.memberName, claimTtlSeconds);
      }
      const members = await leases.claimed(MEMBERS_PREFIX);
      return {
        share: Math.ceil(this.linksByDestination.size / Math.max(1, members.length)),
        resolvesLateSightings: members[0] === this.memberName,
      };
    } catch (error) {
      logger.warn({ worker: workerId, err: error }, 'could not count the workers; keeping what it holds');
      return { share: this.held.size, resolvesLateSightings: false };
    }
  }

  /** Releases destinations beyond `share` (the last in order), for a worker that joined to take. */
  private async handOverExcess(share: number): Promise<void> {
    const excess = this.heldDestinations().slice(share);
    if (excess.length === 0) return;
    await this.release(excess);
    for (const destination of excess) {
      this.options.logger.info(
        { worker: this.options.workerId, destination },
        'handed a destination over to balance the workers',
      );
    }
  }

  private async claimFree(share: number, stop: AbortSignal | undefined): Promise<void> {
    const { leases, claimTtlSeconds, logger, workerId } = this.options;
    const free = [...this.linksByDestination.keys()].filter((destination) => !this.held.has(destination));
    for (const destination of free.sort()) {
      if (stop?.aborted || this.held.size >= share) break;
      let lease: WorkLease | undefined;
      try {
        lease = await leases.tryAcquire(`traveltime/${destination}`, claimTtlSeconds);
      } catch (error) {
        logger.warn({ worker: workerId, destination, err: error }, 'could not claim a destination');
        return; // the store is likely down: try again next round
      }
      if (lease === undefined) continue;
      this.held.set(destination, { lease, nextEnd: new Map() });
      logger.info({ worker: workerId, destination }, 'holding destination');
    }
    this.options.metrics?.travelTimeDestinationsHeld.set(this.held.size);
  }

  /**
   * Writes every due interval of the destination's links live; returns how many
   * estimates it wrote. A failure is logged and forgets the links' progress, so the next
   * round reads it back from the store.
   */
  private async estimateLive(
    destination: DetectorId,
    held: HeldDestination,
    now: UnixNanos,
    lastDue: UnixNanos,
    stop: AbortSignal | undefined,
  ): Promise<number> {
    const links = this.linksByDestination.get(destination) ?? [];
    const interval = this.schedule.intervalNanos;
    let written = 0;
    try {
      await this.loadProgress(destination, links, held, now, lastDue);
      const first = minimum(links.map((link) => held.nextEnd.get(link.source) ?? lastDue + interval));
      if (first === undefined || first > lastDue) return 0;
      await this.intervals.write({
        destination,
        links,
        first,
        last: lastDue,
        isDue: (link, end) => (held.nextEnd.get(link.source) ?? end + interval) <= end,
        shouldStop: () => held.lease.lost.aborted || stop?.aborted === true,
        onWritten: (end, estimates) => {
          for (const estimate of estimates) held.nextEnd.set(estimate.source, end + interval);
          written += estimates.length;
          countWritten(this.options.metrics, estimates);
        },
      });
      if (written > links.length) {
        this.options.logger.info(
          { worker: this.options.workerId, destination, estimates: written, through: lastDue.toString() },
          'caught up on missed intervals',
        );
      }
      return written;
    } catch (error) {
      held.nextEnd.clear();
      this.options.logger.warn(
        { worker: this.options.workerId, destination, err: error },
        'could not estimate a destination; retrying next round',
      );
      return written;
    }
  }

  /**
   * Where each link not yet known continues live: after its newest stored estimate, or
   * for a link never estimated, from the interval of the first sighting at the
   * destination within the retention (the newest due one when there is none). A link
   * further behind than LIVE_INTERVALS starts live there, and the intervals before are
   * recorded as a backlog range (in the store, before any live write, so no restart
   * loses them).
   */
  private async loadProgress(
    destination: DetectorId,
    links: readonly DetectorLink[],
    held: HeldDestination,
    now: UnixNanos,
    lastDue: UnixNanos,
  ): Promise<void> {
    const unknown = links.filter((link) => !held.nextEnd.has(link.source));
    if (unknown.length === 0) return;
    const { repository, logger, workerId } = this.options;
    const latest = await repository.travelTimes.latest(
      unknown.map((link) => ({ source: link.source, destination })),
    );
    const newestBySource = new Map(latest.map((estimate) => [estimate.source, estimate.intervalEnd]));
    const liveFrom = this.schedule.before(lastDue, LIVE_INTERVALS - 1);
    let firstForNewLinks: UnixNanos | undefined;
    const backlog: NewRecomputeRange[] = [];
    const next = new Map<DetectorId, UnixNanos>();
    for (const link of unknown) {
      const newest = newestBySource.get(link.source);
      let from: UnixNanos;
      if (newest === undefined) {
        firstForNewLinks ??= await this.firstIntervalWithSightings(destination, now, lastDue);
        from = firstForNewLinks;
      } else {
        from = this.schedule.firstEndAfter(newest);
      }
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
      next.set(link.source, from);
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
    for (const [source, from] of next) held.nextEnd.set(source, from);
  }

  private async firstIntervalWithSightings(
    destination: DetectorId,
    now: UnixNanos,
    lastDue: UnixNanos,
  ): Promise<UnixNanos> {
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

  /** Forgets destinations whose claim was lost; their progress may be someone else's now. */
  private dropLost(): void {
    for (const [destination, held] of this.held) {
      if (!held.lease.lost.aborted) continue;
      this.held.delete(destination);
      this.options.metrics?.travelTimeLeasesLost.inc();
      this.options.logger.warn(
        { worker: this.options.workerId, destination, reason: String(held.lease.lost.reason) },
        'lost a destination; another worker may take it over',
      );
    }
    this.options.metrics?.travelTimeDestinationsHeld.set(this.held.size);
  }

  /** Gives up destinations that no longer have links. */
  private async releaseUnlinked(): Promise<void> {
    const unlinked = [...this.held.keys()].filter((destination) => !this.linksByDestination.has(destination));
    await this.release(unlinked);
  }

  private async release(destinations: readonly DetectorId[]): Promise<void> {
    await Promise.all(
      destinations.map(async (destination) => {
        const held = this.held.get(destination);
        this.held.delete(destination);
        await held?.lease.release();
      }),
    );
    this.options.metrics?.travelTimeDestinationsHeld.set(this.held.size);
  }

  private serialized<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** The worker id as one lock-name segment, made unique: two workers may share an id. */
function memberSegment(workerId: string): string {
  const safe = workerId.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 55);
  return `${safe}-${randomBytes(4).toString('hex')}`;
}

function groupByDestination(links: readonly DetectorLink[]): Map<DetectorId, readonly DetectorLink[]> {
  const groups = new Map<DetectorId, DetectorLink[]>();
  for (const link of links) {
    const group = groups.get(link.destination);
    if (group === undefined) groups.set(link.destination, [link]);
    else group.push(link);
  }
  return groups;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

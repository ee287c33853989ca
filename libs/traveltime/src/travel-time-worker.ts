import {
  distanceMeters,
  estimateLink,
  NANOS_PER_MILLISECOND,
  type Coordinates,
  type DetectorId,
  type DetectorLink,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import type { WorkLease } from '@message-bus/repository';
import { randomBytes } from 'node:crypto';
import { IntervalSchedule } from './interval-schedule';
import { SightingSpan } from './sighting-span';
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
  /** Estimates written in this round. */
  readonly written: number;
}

/** A destination this worker holds, and how far each of its links has been estimated. */
interface HeldDestination {
  readonly lease: WorkLease;
  /**
   * Per source: the next interval end to write for source → destination. Known only
   * while the lease is held without a break, since nobody else writes this destination then.
   */
  readonly nextEnd: Map<DetectorId, UnixNanos>;
}

/** Catch-up reads sightings for this many intervals at once, then slices them per interval. */
const INTERVALS_PER_READ = 60;

/** Each live worker holds a claim under here, so the workers know how many share the destinations. */
const MEMBERS_PREFIX = 'traveltime-workers/';

/**
 * The travel-time worker. Every interval, for each destination detector it can claim
 * (claims are kept across intervals), it estimates each link into the destination for
 * every interval end after the newest one stored, up to the last one due (now − lag),
 * and writes the estimates, one interval at a time, oldest first. So after downtime or a
 * takeover it fills the missed intervals (at most `maxCatchUpIntervals`), and an
 * interval already written is never computed again. Writing stops as soon as a claim is
 * lost. Between intervals it keeps looking for unclaimed destinations (a dead worker's),
 * so they are taken over within the lease TTL.
 *
 * Workers balance the destinations: each claims membership under `traveltime-workers/`,
 * holds at most its fair share (destinations ÷ live workers, rounded up) and hands the
 * excess over when another worker joins.
 */
export class TravelTimeWorker {
  private readonly options: ResolvedWorkerOptions;
  private readonly schedule: IntervalSchedule;
  private readonly held = new Map<DetectorId, HeldDestination>();
  private linksByDestination = new Map<DetectorId, readonly DetectorLink[]>();
  /** When the links are read again: each time an interval becomes due. */
  private linksDueAt: UnixNanos | undefined;
  /** Rounds (and stop) run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private running: { readonly stop: AbortController; readonly loop: Promise<void> } | undefined;
  /** This worker's claim under MEMBERS_PREFIX, while it runs. */
  private membership: WorkLease | undefined;
  private readonly memberName: string;

  constructor(options: TravelTimeWorkerOptions) {
    this.options = resolveWorkerOptions(options);
    this.schedule = new IntervalSchedule(this.options.intervalSeconds, this.options.lagSeconds);
    this.memberName = `${MEMBERS_PREFIX}${memberSegment(this.options.workerId)}`;
  }

  /** One round at `now`: reads the links, claims what it can, writes every due interval. */
  runOnce(now: UnixNanos): Promise<RoundReport> {
    return this.serialized(() => this.round(now, true));
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
      const refreshLinks = this.linksDueAt === undefined || now >= this.linksDueAt;
      try {
        await this.serialized(() => this.round(now, refreshLinks, signal));
      } catch (error) {
        logger.warn({ worker: this.options.workerId, err: error }, 'travel-time round failed; retrying');
      }
      const nextDue = this.schedule.nextDueAt(now);
      const untilDueMs = Number((nextDue - clock()) / NANOS_PER_MILLISECOND);
      await sleep(Math.max(0, Math.min(untilDueMs, pollMs)), signal);
    }
  }

  private async round(now: UnixNanos, refreshLinks: boolean, stop?: AbortSignal): Promise<RoundReport> {
    const lastDue = this.schedule.lastDue(now);
    if (refreshLinks) {
      this.linksByDestination = groupByDestination(await this.options.repository.links.list());
      this.linksDueAt = this.schedule.nextDueAt(now);
    }
    this.dropLost();
    await this.releaseUnlinked();
    const share = await this.fairShare();
    await this.handOverExcess(share);
    await this.claimFree(share, stop);
    let written = 0;
    for (const [destination, held] of this.held) {
      if (stop?.aborted) break;
      written += await this.estimateDestination(destination, held, lastDue, stop);
    }
    this.dropLost();
    return { lastDue, held: this.heldDestinations(), written };
  }

  /**
   * How many destinations this worker should hold: all of them divided by the live
   * workers, rounded up, so together they cover every destination. When the members
   * cannot be counted it keeps what it holds.
   */
  private async fairShare(): Promise<number> {
    const { leases, claimTtlSeconds, logger, workerId } = this.options;
    try {
      if (this.membership === undefined || this.membership.lost.aborted) {
        this.membership = await leases.tryAcquire(this.memberName, claimTtlSeconds);
      }
      const members = (await leases.claimed(MEMBERS_PREFIX)).length;
      return Math.ceil(this.linksByDestination.size / Math.max(1, members));
    } catch (error) {
      logger.warn({ worker: workerId, err: error }, 'could not count the workers; keeping what it holds');
      return this.held.size;
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
   * Writes every due interval of the destination's links; returns how many estimates it
   * wrote. A failure is logged and forgets the links' progress, so the next round reads
   * it back from the store.
   */
  private async estimateDestination(
    destination: DetectorId,
    held: HeldDestination,
    lastDue: UnixNanos,
    stop: AbortSignal | undefined,
  ): Promise<number> {
    const links = this.linksByDestination.get(destination) ?? [];
    try {
      await this.loadProgress(destination, links, held, lastDue);
      const first = minimum(links.map((link) => held.nextEnd.get(link.source) ?? lastDue + 1n));
      if (first === undefined || first > lastDue) return 0;
      const distances = await this.distances(destination, links);
      let written = 0;
      for (
        let start = first;
        start <= lastDue;
        start += this.schedule.intervalNanos * BigInt(INTERVALS_PER_READ)
      ) {
        const end = minimum([lastDue, start + this.schedule.intervalNanos * BigInt(INTERVALS_PER_READ - 1)])!;
        const chunkWritten = await this.estimateIntervals(
          destination,
          links,
          held,
          distances,
          start,
          end,
          stop,
        );
        if (chunkWritten === undefined) return written;
        written += chunkWritten;
      }
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
      return 0;
    }
  }

  /**
   * Estimates and writes the interval ends from `first` to `last`, each in its own put,
   * oldest first, so that a failure leaves every link's estimates without a gap. Returns
   * undefined when the claim was lost or the worker is stopping (nothing more is written).
   */
  private async estimateIntervals(
    destination: DetectorId,
    links: readonly DetectorLink[],
    held: HeldDestination,
    distances: ReadonlyMap<DetectorId, number>,
    first: UnixNanos,
    last: UnixNanos,
    stop: AbortSignal | undefined,
  ): Promise<number | undefined> {
    const { repository, estimatorConfig, metrics } = this.options;
    const due = links.filter((link) => (held.nextEnd.get(link.source) ?? last + 1n) <= last);
    const spans = await this.readSpans(destination, due, first, last);
    const interval = this.schedule.intervalNanos;
    let written = 0;
    for (let intervalEnd = first; intervalEnd <= last; intervalEnd += interval) {
      const estimates: TravelTimeEstimate[] = [];
      for (const link of due) {
        if ((held.nextEnd.get(link.source) ?? intervalEnd + 1n) > intervalEnd) continue;
        const destinationAfter = intervalEnd - this.lookback(0);
        const sourceAfter = intervalEnd - this.lookback(link.maxSeconds);
        estimates.push(
          estimateLink({
            link,
            source: spans.get(link.source)!.between(sourceAfter, intervalEnd),
            destination: spans.get(destination)!.between(destinationAfter, intervalEnd),
            intervalEnd,
            distanceMeters: distances.get(link.source),
            config: estimatorConfig,
          }),
        );
      }
      if (estimates.length === 0) continue;
      if (held.lease.lost.aborted || stop?.aborted) return undefined;
      await repository.travelTimes.put(estimates);
      for (const estimate of estimates) {
        held.nextEnd.set(estimate.source, intervalEnd + interval);
        metrics?.travelTimeEstimatesWritten.inc({ status: estimate.status });
      }
      written += estimates.length;
    }
    return written;
  }

  /** The destination's and each due source's sightings, for every interval in [first, last]. */
  private async readSpans(
    destination: DetectorId,
    due: readonly DetectorLink[],
    first: UnixNanos,
    last: UnixNanos,
  ): Promise<Map<DetectorId, SightingSpan>> {
    const { events } = this.options.repository;
    const reads: Promise<[DetectorId, SightingSpan]>[] = [
      SightingSpan.read(events, destination, first - this.lookback(0), last).then((span) => [
        destination,
        span,
      ]),
      ...due.map(async (link): Promise<[DetectorId, SightingSpan]> => {
        const span = await SightingSpan.read(
          events,
          link.source,
          first - this.lookback(link.maxSeconds),
          last,
        );
        return [link.source, span];
      }),
    ];
    return new Map(await Promise.all(reads));
  }

  /**
   * How far before an interval end the estimator looks: the window and the filter's
   * history, plus a pass gap (a pass that began earlier), plus the link's maxSeconds at
   * the source (a trip that began earlier).
   */
  private lookback(maxSeconds: number): bigint {
    const { windowSeconds, historySeconds, passGapSeconds } = this.options.estimatorConfig;
    return secondsToNanos(windowSeconds + historySeconds + passGapSeconds + maxSeconds);
  }

  /**
   * Where each link not yet known continues: after its newest stored estimate, or for
   * a link never estimated, from the interval of the first sighting at the destination
   * within the catch-up bound (the current one when there is none). Links further
   * behind than the bound skip ahead to it.
   */
  private async loadProgress(
    destination: DetectorId,
    links: readonly DetectorLink[],
    held: HeldDestination,
    lastDue: UnixNanos,
  ): Promise<void> {
    const unknown = links.filter((link) => !held.nextEnd.has(link.source));
    if (unknown.length === 0) return;
    const { repository, maxCatchUpIntervals, logger, metrics, workerId } = this.options;
    const horizon = this.schedule.before(lastDue, maxCatchUpIntervals - 1);
    const latest = await repository.travelTimes.latest(
      unknown.map((link) => ({ source: link.source, destination })),
    );
    const newestBySource = new Map(latest.map((estimate) => [estimate.source, estimate.intervalEnd]));
    let firstForNewLinks: UnixNanos | undefined;
    let skipped = 0;
    for (const link of unknown) {
      const newest = newestBySource.get(link.source);
      let next: UnixNanos;
      if (newest === undefined) {
        firstForNewLinks ??= await this.firstIntervalWithSightings(destination, horizon, lastDue);
        next = firstForNewLinks;
      } else {
        next = this.schedule.firstEndAfter(newest);
      }
      if (next < horizon) {
        skipped += this.schedule.countBetween(next, horizon);
        next = horizon;
      }
      held.nextEnd.set(link.source, next);
    }
    if (skipped > 0) {
      metrics?.travelTimeIntervalsSkipped.inc(skipped);
      logger.warn(
        { worker: workerId, destination, skipped, maxCatchUpIntervals },
        'left intervals beyond the catch-up bound unestimated',
      );
    }
  }

  private async firstIntervalWithSightings(
    destination: DetectorId,
    horizon: UnixNanos,
    lastDue: UnixNanos,
  ): Promise<UnixNanos> {
    const after = horizon - this.schedule.intervalNanos;
    for await (const sighting of this.options.repository.events.list({
      detectorIds: [destination],
      range: { after, before: lastDue },
      limitPerDetector: 1,
      order: 'oldest_first',
    })) {
      return this.schedule.firstEndAfter(sighting.time);
    }
    return lastDue;
  }

  /** Straight-line length of each link whose two detectors both have coordinates, by source. */
  private async distances(
    destination: DetectorId,
    links: readonly DetectorLink[],
  ): Promise<Map<DetectorId, number>> {
    const { detectors } = this.options.repository;
    const at = await detectors.getCoordinates(destination);
    const lengths = new Map<DetectorId, number>();
    if (at === undefined) return lengths;
    const from = await Promise.all(links.map((link) => detectors.getCoordinates(link.source)));
    links.forEach((link, index) => {
      const source: Coordinates | undefined = from[index];
      if (source === undefined) return;
      const meters = distanceMeters(source, at);
      if (meters > 0) lengths.set(link.source, meters);
    });
    return lengths;
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

function minimum(values: readonly bigint[]): bigint | undefined {
  let least: bigint | undefined;
  for (const value of values) if (least === undefined || value < least) least = value;
  return least;
}

function secondsToNanos(seconds: number): bigint {
  return BigInt(Math.ceil(seconds * 1_000_000_000));
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

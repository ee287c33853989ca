import {
  NANOS_PER_MILLISECOND,
  type DetectorId,
  type DetectorLink,
  type UnixNanos,
} from '@message-bus/domain';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { AlertWork } from './alerts/alert-work';
import { DestinationClaims } from './destination-claims';
import { IntervalSchedule } from './interval-schedule';
import { LinkIntervals } from './link-intervals';
import { LinkProgress } from './link-progress';
import { TrafficProducts } from './products/traffic-products';
import { RecomputeWork, type RecomputeRound } from './recompute-work';
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
 *   range, back to its first sighting within the retention (see `LinkProgress`);
 * - an operator's request (QueryService.RecomputeTravelTimes).
 *
 * The same sightings always give the same estimate, so recomputing is harmless. Writing
 * stops as soon as a claim is lost. Ranges live in the store, so nothing is lost when a
 * worker dies: the next holder of the destination continues them. Workers balance the
 * destinations (see `DestinationClaims`); this class is the loop: rounds one at a time.
 */
export class TravelTimeWorker {
  private readonly options: ResolvedWorkerOptions;
  private readonly schedule: IntervalSchedule;
  private readonly claims: DestinationClaims;
  private readonly progress: LinkProgress;
  private readonly recomputeWork: RecomputeWork;
  private readonly products: TrafficProducts;
  private readonly alerts: AlertWork;
  /** Rounds (and stop) run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private running: { readonly stop: AbortController; readonly loop: Promise<void> } | undefined;

  constructor(options: TravelTimeWorkerOptions) {
    this.options = resolveWorkerOptions(options);
    this.schedule = new IntervalSchedule(this.options.intervalSeconds, this.options.lagSeconds);
    this.products = new TrafficProducts(this.options, this.schedule);
    const intervals = new LinkIntervals(
      this.options.repository,
      this.schedule,
      this.options.estimatorConfig,
      (estimates) => this.products.annotate(estimates),
    );
    this.claims = new DestinationClaims(this.options);
    this.progress = new LinkProgress(this.options, this.schedule, intervals);
    this.recomputeWork = new RecomputeWork(this.options, this.schedule, intervals, this.products);
    this.alerts = new AlertWork(this.options);
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
    await this.serialized(() => this.claims.releaseAll());
    await this.alerts.stop();
  }

  /** Destinations held now, sorted. */
  heldDestinations(): DetectorId[] {
    return this.claims.sorted();
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
      const waitMs = backlog ? 0 : Math.max(0, Math.min(untilDueMs, pollMs));
      // stop() aborts the wait (rejecting it): the loop then sees the signal and ends.
      await delay(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private async round(now: UnixNanos, stop?: AbortSignal): Promise<RoundReport> {
    const startedAt = performance.now();
    const lastDue = this.schedule.lastDue(now);
    const linksByDestination = groupByDestination(await this.options.repository.links.list());
    const { resolvesLateSightings } = await this.claims.balance(new Set(linksByDestination.keys()), stop);
    let written = 0;
    for (const [destination, lease] of this.claims.held) {
      if (stop?.aborted) break;
      const links = linksByDestination.get(destination) ?? [];
      written += await this.progress.writeDue({ destination, lease, links, now, lastDue, stop });
    }
    // The time left until the next interval is due, measured on the real clock from the round's start.
    const budgetMs = Number((this.schedule.nextDueAt(now) - now) / NANOS_PER_MILLISECOND);
    const recomputeRound: RecomputeRound = {
      now,
      lastDue,
      linksByDestination,
      held: this.claims.held,
      outOfTime: () => performance.now() - startedAt >= budgetMs || stop?.aborted === true,
      stop,
    };
    // Routes of the held destinations and profiles due, from the live link estimates just written.
    await this.products.afterLiveWrites(recomputeRound);
    // Congestion alerts of what was just written; on the first worker, detector checks when due.
    await this.alerts.afterRound({
      now,
      lastDue,
      held: this.claims.sorted(),
      linksByDestination,
      checksDetectors: resolvesLateSightings,
    });
    // After the live intervals: late sightings only add ranges, done below and in later rounds.
    const marksLeft =
      resolvesLateSightings && (await this.recomputeWork.resolveLateSightings(recomputeRound));
    const { recomputed, backlog } = await this.recomputeWork.recomputePending(recomputeRound);
    this.claims.dropLost();
    return {
      lastDue,
      held: this.claims.sorted(),
      written: written + recomputed,
      recomputed,
      backlog: backlog || marksLeft,
    };
  }

  private serialized<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }
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

import {
  distanceMeters,
  estimateRoute,
  routeLink,
  routeLinks,
  type DetectorLink,
  type Route,
  type RouteName,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import type { WorkLease } from '@message-bus/repository';
import type { IntervalSchedule } from '../interval-schedule';
import { estimatorLookback, INTERVALS_PER_READ, type EstimateAnnotator } from '../link-intervals';
import { minimum } from '../recompute-work';
import { SightingSpan } from '../sighting-span';
import type { ResolvedWorkerOptions } from '../travel-time-worker-options';

/**
 * A route's live estimate waits this many intervals for its links' estimates, which
 * other workers may write a little later; after that a missing link counts as
 * `no_samples`, so a route with a link nobody estimates still gets its estimates.
 */
export const ROUTE_LINK_WAIT_INTERVALS = 2;

/** A route never estimated (or far behind) starts live this many intervals back; older ones come from recomputes. */
export const ROUTE_LIVE_INTERVALS = INTERVALS_PER_READ;

/** A run of a route's interval ends to estimate and write. */
export interface RouteRun {
  readonly route: Route;
  /** Every link (the route's pairs are looked up in it). */
  readonly links: readonly DetectorLink[];
  /** First and last interval end, aligned, inclusive. */
  readonly first: UnixNanos;
  readonly last: UnixNanos;
  /** Live: ends after this wait for their links' estimates (the run stops at the first that must). */
  readonly waitAfter?: UnixNanos;
  readonly shouldStop: () => boolean;
}

type RouteOptions = Pick<ResolvedWorkerOptions, 'repository' | 'metrics' | 'estimatorConfig'>;

/**
 * Writes route estimates (`estimateRoute`: the end-to-end trips plausible on every hop
 * when there are enough, else the sum of the links' stored estimates). A route is
 * estimated by the holder of its last detector: live for every due interval,
 * continuing after its newest stored estimate (kept in memory while the claim is held
 * without a break, like `LinkProgress`), and again when that destination's ranges are
 * recomputed.
 */
export class RouteEstimates {
  /** Per route: the claim it is written under, and the next interval end to write. */
  private readonly nextEnds = new Map<RouteName, { readonly lease: WorkLease; next: UnixNanos }>();

  constructor(
    private readonly options: RouteOptions,
    private readonly schedule: IntervalSchedule,
    private readonly annotate: EstimateAnnotator,
  ) {}

  /** Writes the due intervals of a held route; resolves to the estimates written. */
  async writeDue(
    route: Route,
    lease: WorkLease,
    links: readonly DetectorLink[],
    lastDue: UnixNanos,
    stop: AbortSignal | undefined,
  ): Promise<number> {
    const liveFrom = this.schedule.before(lastDue, ROUTE_LIVE_INTERVALS - 1);
    let progress = this.nextEnds.get(route.name);
    if (progress === undefined || progress.lease !== lease) {
      progress = { lease, next: await this.firstLiveEnd(route, liveFrom) };
      this.nextEnds.set(route.name, progress);
    }
    const first = progress.next > liveFrom ? progress.next : liveFrom;
    if (first > lastDue) return 0;
    const { written, next } = await this.write({
      route,
      links,
      first,
      last: lastDue,
      waitAfter: this.schedule.before(lastDue, ROUTE_LINK_WAIT_INTERVALS),
      shouldStop: () => lease.lost.aborted || stop?.aborted === true,
    });
    progress.next = next;
    return written;
  }

  /** Forgets the progress of routes not in `held` (routes deleted, or destinations let go). */
  retain(held: ReadonlySet<RouteName>): void {
    for (const name of this.nextEnds.keys()) if (!held.has(name)) this.nextEnds.delete(name);
  }

  /**
   * Estimates and writes the run, INTERVALS_PER_READ ends per put, oldest first.
   * Resolves to the estimates written and the next end to write.
   */
  async write(run: RouteRun): Promise<{ written: number; next: UnixNanos }> {
    const interval = this.schedule.intervalNanos;
    const step = interval * BigInt(INTERVALS_PER_READ);
    const synthetic = routeLink(run.route, run.links);
    const length = await this.routeLength(run.route);
    let written = 0;
    for (let start = run.first; start <= run.last; start += step) {
      const last = minimum([start + step - interval, run.last])!;
      const estimates = await this.estimateChunk(run, synthetic, length, start, last);
      if (estimates.length > 0) {
        const annotated = await this.annotate(estimates);
        if (run.shouldStop()) return { written, next: start };
        await this.options.repository.routeTravelTimes.put(annotated);
        written += annotated.length;
        for (const { routeMethod } of annotated) {
          if (routeMethod !== undefined)
            this.options.metrics?.travelTimeRouteEstimatesWritten.inc({ method: routeMethod });
        }
      }
      const next = start + BigInt(estimates.length) * interval;
      if (next <= last) return { written, next };
    }
    return { written, next: run.last + interval };
  }

  /**
   * The route's estimates for ends first..last, stopping before the first end that must
   * wait for its links. Reads, per chunk of up to INTERVALS_PER_READ ends: one range of
   * the links' stored estimates and one of each route detector's sightings, each over
   * the chunk and the lookback of the route's synthetic link (window, history, pass gap
   * and its summed maxSeconds), for the hop-by-hop judgement of end-to-end trips.
   */
  private async estimateChunk(
    run: RouteRun,
    synthetic: DetectorLink | undefined,
    length: number | undefined,
    first: UnixNanos,
    last: UnixNanos,
  ): Promise<TravelTimeEstimate[]> {
    const { repository, estimatorConfig } = this.options;
    const pairs = routeLinks(run.route);
    const lookback = this.lookback(synthetic?.maxSeconds ?? 0);
    const stored = await repository.travelTimes.list({
      links: pairs,
      range: { after: first - lookback, before: last + 1n },
    });
    const byEnd = new Map<UnixNanos, TravelTimeEstimate[]>();
    for (const estimate of stored) {
      const atEnd = byEnd.get(estimate.intervalEnd);
      if (atEnd === undefined) byEnd.set(estimate.intervalEnd, [estimate]);
      else atEnd.push(estimate);
    }
    const ends = this.schedule.countBetween(first, last + this.schedule.intervalNanos);
    const spans =
      synthetic === undefined
        ? undefined
        : await Promise.all(
            run.route.detectorIds.map((id) =>
              SightingSpan.read(repository.events, id, first - lookback, last),
            ),
          );
    const estimates: TravelTimeEstimate[] = [];
    for (let index = 0; index < ends; index += 1) {
      const intervalEnd = first + BigInt(index) * this.schedule.intervalNanos;
      if (
        run.waitAfter !== undefined &&
        intervalEnd > run.waitAfter &&
        (byEnd.get(intervalEnd)?.length ?? 0) < pairs.length
      ) {
        break;
      }
      const from = intervalEnd - lookback;
      estimates.push(
        estimateRoute({
          route: run.route,
          intervalEnd,
          link: synthetic,
          sightings: spans?.map((span) => span.between(from, intervalEnd)) ?? [],
          linkEstimates: stored.filter(
            (estimate) => estimate.intervalEnd > from && estimate.intervalEnd <= intervalEnd,
          ),
          distanceMeters: length,
          config: estimatorConfig,
        }),
      );
    }
    return estimates;
  }

  /** After the newest stored estimate, or from `liveFrom` for a route never estimated. */
  private async firstLiveEnd(route: Route, liveFrom: UnixNanos): Promise<UnixNanos> {
    const [newest] = await this.options.repository.routeTravelTimes.latest([route.name]);
    return newest === undefined ? liveFrom : this.schedule.firstEndAfter(newest.intervalEnd);
  }

  /** The sum of the straight-line lengths of the route's links, when every detector has coordinates. */
  private async routeLength(route: Route): Promise<number | undefined> {
    const { detectors } = this.options.repository;
    const places = await Promise.all(route.detectorIds.map((id) => detectors.getCoordinates(id)));
    let meters = 0;
    for (let index = 1; index < places.length; index += 1) {
      const from = places[index - 1];
      const to = places[index];
      if (from === undefined || to === undefined) return undefined;
      meters += distanceMeters(from, to);
    }
    return meters > 0 ? meters : undefined;
  }

  private lookback(maxSeconds: number): bigint {
    return estimatorLookback(this.options.estimatorConfig, maxSeconds);
  }
}

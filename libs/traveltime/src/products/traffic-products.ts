import type {
  DetectorId,
  DetectorLink,
  Route,
  TrafficTarget,
  TravelTimeEstimate,
  UnixNanos,
} from '@message-bus/domain';
import type { WorkLease } from '@message-bus/repository';
import type { IntervalSchedule } from '../interval-schedule';
import type { ResolvedWorkerOptions } from '../travel-time-worker-options';
import { RouteEstimates } from './route-estimates';
import { TypicalProfiles } from './typical-profiles';

/** What the products work with in a worker's round. */
export interface ProductsRound {
  readonly now: UnixNanos;
  /** The newest interval end due. */
  readonly lastDue: UnixNanos;
  readonly linksByDestination: ReadonlyMap<DetectorId, readonly DetectorLink[]>;
  /** The destinations the worker holds, with their claims. */
  readonly held: ReadonlyMap<DetectorId, WorkLease>;
  readonly stop: AbortSignal | undefined;
}

/** A recomputed chunk of a destination's interval ends. */
export interface RecomputedChunk {
  readonly destination: DetectorId;
  readonly lease: WorkLease;
  /** First and last interval end, inclusive. */
  readonly first: UnixNanos;
  readonly last: UnixNanos;
  readonly linksByDestination: ReadonlyMap<DetectorId, readonly DetectorLink[]>;
  readonly stop: AbortSignal | undefined;
}

/**
 * The traffic products the worker derives from its link estimates (issue 18): route
 * estimates (a route is the work of whoever holds its last detector), typical profiles
 * of the links and routes it holds, and the congestion figures every estimate carries
 * when it is written. Failures are logged and retried in later rounds; they never stop
 * the link estimates.
 */
export class TrafficProducts {
  private readonly profiles: TypicalProfiles;
  private readonly routeEstimates: RouteEstimates;
  /** The routes as read in the current round, for the recomputes that follow in it. */
  private routes: readonly Route[] = [];

  constructor(
    private readonly options: ResolvedWorkerOptions,
    schedule: IntervalSchedule,
  ) {
    this.profiles = new TypicalProfiles(options);
    this.routeEstimates = new RouteEstimates(options, schedule, (estimates) => this.annotate(estimates));
  }

  /** The estimates (of links or routes) with their congestion figures, to write. */
  annotate(estimates: readonly TravelTimeEstimate[]): Promise<TravelTimeEstimate[]> {
    return this.profiles.annotate(estimates);
  }

  /**
   * After a round's live link estimates: writes the due intervals of the routes whose
   * last detector the worker holds, then computes the profiles of its links and routes
   * that are due (see `TypicalProfiles.refresh`).
   */
  async afterLiveWrites(round: ProductsRound): Promise<void> {
    const { repository, logger, workerId } = this.options;
    try {
      this.routes = await repository.routes.list();
    } catch (error) {
      logger.warn({ worker: workerId, err: error }, 'could not read the routes; retrying next round');
      return;
    }
    const held = this.routes.filter((route) => round.held.has(lastDetector(route)));
    this.routeEstimates.retain(new Set(held.map((route) => route.name)));
    const links = [...round.linksByDestination.values()].flat();
    for (const route of held) {
      const lease = round.held.get(lastDetector(route))!;
      if (round.stop?.aborted === true) return;
      if (lease.lost.aborted) continue;
      try {
        await this.routeEstimates.writeDue(route, lease, links, round.lastDue, round.stop);
      } catch (error) {
        logger.warn(
          { worker: workerId, route: route.name, err: error },
          'could not estimate a route; retrying next round',
        );
      }
    }
    if (round.stop?.aborted === true) return;
    const targets: TrafficTarget[] = [...round.held.keys()].flatMap((destination) =>
      (round.linksByDestination.get(destination) ?? []).map((link): TrafficTarget => ({
        kind: 'link',
        source: link.source,
        destination,
      })),
    );
    for (const route of held) targets.push({ kind: 'route', route: route.name });
    await this.profiles.refresh(targets, round.now);
  }

  /**
   * After a chunk of a destination's intervals was recomputed: the routes ending there,
   * over the same interval ends, from the recomputed link estimates and sightings.
   */
  async recomputeRoutes(chunk: RecomputedChunk): Promise<void> {
    const { logger, workerId } = this.options;
    const links = [...chunk.linksByDestination.values()].flat();
    for (const route of this.routes) {
      if (lastDetector(route) !== chunk.destination) continue;
      try {
        await this.routeEstimates.write({
          route,
          links,
          first: chunk.first,
          last: chunk.last,
          shouldStop: () => chunk.lease.lost.aborted || chunk.stop?.aborted === true,
        });
      } catch (error) {
        logger.warn(
          { worker: workerId, route: route.name, err: error },
          'could not recompute a route; its live estimates go on',
        );
      }
    }
  }
}

function lastDetector(route: Route): DetectorId {
  return route.detectorIds[route.detectorIds.length - 1]!;
}

import {
  alertSubjectKey,
  judgeCongestion,
  NANOS_PER_SECOND,
  trafficTargetKey,
  type Alert,
  type AlertChange,
  type CongestionAlertRule,
  type DetectorId,
  type DetectorLink,
  type TrafficTarget,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import type { Repository } from '@message-bus/repository';

export interface CongestionRound {
  /** The newest interval end due. */
  readonly lastDue: UnixNanos;
  /** The destinations this worker holds, with their links. */
  readonly held: readonly DetectorId[];
  readonly linksByDestination: ReadonlyMap<DetectorId, readonly DetectorLink[]>;
}

/**
 * Congestion alerts of the links into the destinations a worker holds, and of the routes
 * ending at them, judged once per interval after its estimates are written. Everything
 * is read from the store (the newest `windowIntervals` estimates and the open alerts), so
 * a worker that takes a destination over judges it exactly as its previous holder would.
 */
export class CongestionAlerts {
  private lastJudged: UnixNanos | undefined;

  constructor(
    private readonly repository: Repository,
    private readonly rule: CongestionAlertRule,
    private readonly intervalSeconds: number,
  ) {}

  /** The changes of this round's interval; none when it was judged already. */
  async judge(round: CongestionRound): Promise<AlertChange[]> {
    if (round.lastDue === this.lastJudged || round.held.length === 0) return [];
    const { repository, rule } = this;
    const range = {
      after: round.lastDue - BigInt((rule.windowIntervals - 1) * this.intervalSeconds) * NANOS_PER_SECOND,
      before: round.lastDue + 1n,
    };
    const held = new Set(round.held);
    const links = round.held.flatMap((destination) =>
      (round.linksByDestination.get(destination) ?? []).map(({ source }) => ({ source, destination })),
    );
    const routes = (await repository.routes.list()).filter((route) => held.has(route.detectorIds.at(-1)!));
    const [linkEstimates, routeEstimates, open] = await Promise.all([
      links.length === 0
        ? []
        : repository.travelTimes.list({
            links,
            range,
            limitPerLink: rule.windowIntervals,
            order: 'newest_first',
          }),
      routes.length === 0
        ? []
        : repository.routeTravelTimes.list({
            routes: routes.map((route) => route.name),
            range,
            limitPerRoute: rule.windowIntervals,
            order: 'newest_first',
          }),
      repository.alerts.list({ openOnly: true, kinds: ['congestion'] }),
    ]);
    const openByTarget = new Map<string, Alert>(open.map((alert) => [alertSubjectKey(alert.subject), alert]));
    const byTarget = new Map<string, { target: TrafficTarget; recent: TravelTimeEstimate[] }>();
    for (const estimate of [...linkEstimates, ...routeEstimates]) {
      const target: TrafficTarget =
        estimate.route === undefined
          ? { kind: 'link', source: estimate.source, destination: estimate.destination }
          : { kind: 'route', route: estimate.route };
      const key = trafficTargetKey(target);
      const entry = byTarget.get(key);
      if (entry === undefined) byTarget.set(key, { target, recent: [estimate] });
      else entry.recent.push(estimate);
    }
    const changes: AlertChange[] = [];
    for (const [key, { target, recent }] of byTarget) {
      const openAlert = openByTarget.get(key);
      const change = judgeCongestion({
        target,
        recent,
        rule,
        ...(openAlert === undefined ? {} : { open: openAlert }),
      });
      if (change !== undefined) changes.push(change);
    }
    this.lastJudged = round.lastDue;
    return changes;
  }
}

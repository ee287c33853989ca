import { ALERT_KINDS, type DetectorId, type DetectorLink, type UnixNanos } from '@message-bus/domain';
import type { ResolvedWorkerOptions } from '../travel-time-worker-options';
import { AlertPublisher } from './alert-publisher';
import { AlertWebhook } from './alert-webhook';
import { CongestionAlerts } from './congestion-alerts';
import { DetectorChecks } from './detector-checks';
import { orphanedAlertClearings } from './orphaned-alerts';

export interface AlertRound {
  readonly now: UnixNanos;
  readonly lastDue: UnixNanos;
  readonly held: readonly DetectorId[];
  readonly linksByDestination: ReadonlyMap<DetectorId, readonly DetectorLink[]>;
  /** Whether this worker runs the detector checks (the first member by name). */
  readonly checksDetectors: boolean;
}

type AlertWorkOptions = Pick<
  ResolvedWorkerOptions,
  | 'repository'
  | 'logger'
  | 'metrics'
  | 'workerId'
  | 'intervalSeconds'
  | 'sightingRetentionSeconds'
  | 'estimatorConfig'
  | 'alerts'
>;

/**
 * A worker's alerting, once per round after the estimates are written: congestion alerts
 * of its held links and routes; on one worker, the detector checks when due. Changes go
 * to the store, the metrics and the webhook (see `AlertPublisher`). A failure is logged
 * and tried again next round: it never stops the estimates.
 */
export class AlertWork {
  private readonly congestion: CongestionAlerts;
  private readonly detectors: DetectorChecks;
  private readonly publisher: AlertPublisher;
  private readonly webhook: AlertWebhook | undefined;

  constructor(private readonly options: AlertWorkOptions) {
    const { repository, logger, metrics, workerId, alerts } = options;
    this.webhook =
      alerts.webhook === undefined ? undefined : new AlertWebhook(alerts.webhook, logger, metrics);
    this.publisher = new AlertPublisher(repository, logger, metrics, this.webhook, workerId);
    this.congestion = new CongestionAlerts(repository, alerts.congestion, options.intervalSeconds);
    this.detectors = new DetectorChecks(repository, alerts.detectorHealth, {
      checkSeconds: alerts.detectorCheckSeconds,
      intervalSeconds: options.intervalSeconds,
      sightingRetentionSeconds: options.sightingRetentionSeconds,
      estimatorConfig: options.estimatorConfig,
    });
  }

  async afterRound(round: AlertRound): Promise<void> {
    const { logger, workerId, metrics } = this.options;
    try {
      await this.publisher.publish(await this.congestion.judge(round));
      if (round.checksDetectors && this.detectors.due(round.now)) {
        await this.publisher.publish(await this.orphanedClearings(round.now));
        const links = [...round.linksByDestination.values()].flat();
        const report = await this.detectors.check({ now: round.now, lastDue: round.lastDue, links });
        await this.publisher.publish(report.changes);
        await this.options.repository.detectorHealth.put(report.health);
        for (const kind of ALERT_KINDS) metrics?.alertsOpen.set({ kind }, report.openByKind.get(kind) ?? 0);
      }
    } catch (error) {
      logger.warn({ worker: workerId, err: error }, 'alert checks failed; trying again next round');
    }
  }

  /**
   * The open congestion alerts of deleted links and routes, cleared. The alerts are read
   * before the links and routes, so a target created meanwhile (whose alert another
   * worker may just have raised) is always among those read.
   */
  private async orphanedClearings(now: UnixNanos) {
    const { repository } = this.options;
    const open = await repository.alerts.list({ openOnly: true, kinds: ['congestion'] });
    if (open.length === 0) return [];
    const [links, routes] = await Promise.all([repository.links.list(), repository.routes.list()]);
    return orphanedAlertClearings(open, { links, routes }, now);
  }

  /** Stops the webhook: the alerts it has not sent yet are given up (they are in the store). */
  async stop(): Promise<void> {
    await this.webhook?.stop();
  }
}

import type { AlertChange } from '@message-bus/domain';
import type { Repository } from '@message-bus/repository';
import type { Logger, ServerMetrics } from '@message-bus/server-kit';
import type { AlertWebhook } from './alert-webhook';

/**
 * Where alert changes go: the store first (an alert's id is stable for its condition, so
 * writing it again is harmless), then the metrics, the log and the webhook.
 */
export class AlertPublisher {
  constructor(
    private readonly repository: Repository,
    private readonly logger: Logger,
    private readonly metrics: ServerMetrics | undefined,
    private readonly webhook: AlertWebhook | undefined,
    private readonly workerId: string,
  ) {}

  async publish(changes: readonly AlertChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.repository.alerts.put(changes.map(({ alert }) => alert));
    for (const { change, alert } of changes) {
      if (change === 'raised') this.metrics?.alertsRaised.inc({ kind: alert.kind, severity: alert.severity });
      if (change === 'cleared') this.metrics?.alertsCleared.inc({ kind: alert.kind });
      this.logger.info(
        {
          worker: this.workerId,
          alert: alert.id,
          kind: alert.kind,
          severity: alert.severity,
          evidence: alert.evidence,
        },
        `alert ${change}`,
      );
    }
    this.webhook?.send(changes);
  }
}

import {
  resolveCongestionAlertRule,
  resolveDetectorHealthRule,
  type CongestionAlertRule,
  type DetectorHealthRule,
} from '@message-bus/domain';
import { webhookUrlProblem, type AlertWebhookOptions } from './alert-webhook';

/** What the worker alerts on, and where alerts go besides the store. */
export interface AlertOptions {
  /** Overrides of the congestion alert thresholds (`DEFAULT_CONGESTION_ALERT_RULE`: 3 of 5 intervals at 1.5×, clear once 4 of 5 are below 1.3×; intervals count when ok with 3 valid samples or more). */
  readonly congestion?: Partial<CongestionAlertRule>;
  /** Overrides of the detector health thresholds (`DEFAULT_DETECTOR_HEALTH_RULE`). */
  readonly detectorHealth?: Partial<DetectorHealthRule>;
  /** How often one worker checks every detector with coordinates, in seconds; e.g. 60 (the default). */
  readonly detectorCheckSeconds?: number;
  /** Where alert changes are POSTed; none by default. */
  readonly webhook?: AlertWebhookOptions;
}

export interface ResolvedAlertOptions {
  readonly congestion: CongestionAlertRule;
  readonly detectorHealth: DetectorHealthRule;
  readonly detectorCheckSeconds: number;
  readonly webhook: AlertWebhookOptions | undefined;
}

/** Fills in defaults and refuses values that cannot work, naming the option. */
export function resolveAlertOptions(options: AlertOptions = {}): ResolvedAlertOptions {
  const named = <T>(name: string, resolve: () => T): T => {
    try {
      return resolve();
    } catch (error) {
      throw new RangeError(`TravelTimeWorkerOptions.alerts.${name}: ${(error as Error).message}`);
    }
  };
  const detectorCheckSeconds = options.detectorCheckSeconds ?? 60;
  if (!Number.isSafeInteger(detectorCheckSeconds) || detectorCheckSeconds < 1) {
    throw new RangeError(
      `TravelTimeWorkerOptions.alerts.detectorCheckSeconds must be a whole number ≥ 1, got ${detectorCheckSeconds}`,
    );
  }
  const webhook = options.webhook;
  if (webhook !== undefined) {
    const problem = webhookUrlProblem(webhook.url);
    if (problem !== undefined) throw new RangeError(`TravelTimeWorkerOptions.alerts.webhook.url ${problem}`);
    for (const [name, value] of Object.entries(webhook)) {
      if (name !== 'url' && (!Number.isSafeInteger(value) || (value as number) < 0)) {
        throw new RangeError(
          `TravelTimeWorkerOptions.alerts.webhook.${name} must be a whole number ≥ 0, got ${value}`,
        );
      }
    }
  }
  return {
    congestion: named('congestion', () => resolveCongestionAlertRule(options.congestion)),
    detectorHealth: named('detectorHealth', () => resolveDetectorHealthRule(options.detectorHealth)),
    detectorCheckSeconds,
    webhook,
  };
}

import { formatNanosIso, type Alert, type AlertChange } from '@message-bus/domain';
import type { Logger, ServerMetrics } from '@message-bus/server-kit';
import {
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type IPolicy,
} from 'cockatiel';

export interface AlertWebhookOptions {
  /** Where each raised, updated or cleared alert is POSTed as JSON; e.g. `https://hooks.example.com/alerts?token=…`. */
  readonly url: string;
  /** How long one attempt may take, in milliseconds; e.g. 5000 (the default). */
  readonly timeoutMs?: number;
  /** Attempts after the first before an alert is given up; e.g. 5 (the default). */
  readonly retries?: number;
  /** The wait before the first retry, in milliseconds, growing exponentially (with jitter); e.g. 1000 (the default). */
  readonly firstRetryDelayMs?: number;
  /** The longest wait between retries, in milliseconds; e.g. 60000 (the default). */
  readonly maxRetryDelayMs?: number;
  /** Alerts waiting to be sent at most; beyond it the oldest is dropped; e.g. 1000 (the default). */
  readonly queueLimit?: number;
}

/** The JSON body of a delivery: the change and the alert, times in RFC 3339 with nanoseconds. */
export interface AlertWebhookBody {
  readonly change: AlertChange['change'];
  readonly alert: Omit<Alert, 'start' | 'end' | 'updated'> & {
    readonly start: string;
    readonly end?: string;
    readonly updated: string;
  };
}

/** A refusal no retry can help: the receiver answered 4xx (other than 408 and 429). */
class WebhookRefusedError extends Error {
  override readonly name = 'WebhookRefusedError';
}

/**
 * Sends alert changes to a webhook, one at a time, in the order they were raised, never
 * blocking the caller: `send` queues (at most `queueLimit`, dropping the oldest beyond).
 * Each delivery is a cockatiel policy: a timeout per attempt (which aborts the request),
 * inside a retry with exponential backoff of network failures, timeouts and answers 5xx,
 * 408 and 429. Logs name the receiver by its origin only: the path and query of a
 * webhook URL often hold its secret.
 */
export class AlertWebhook {
  private readonly queue: AlertChange[] = [];
  private readonly policy: IPolicy;
  private readonly origin: string;
  private readonly queueLimit: number;
  /** Aborted by `stop`, then replaced: a stopped webhook sends again when given new changes. */
  private stopping = new AbortController();
  private sending: Promise<void> | undefined;

  constructor(
    private readonly options: AlertWebhookOptions,
    private readonly logger: Logger,
    private readonly metrics: ServerMetrics | undefined,
  ) {
    this.origin = new URL(options.url).origin;
    this.queueLimit = options.queueLimit ?? 1000;
    this.policy = wrap(
      retry(
        handleWhen((error) => !(error instanceof WebhookRefusedError)),
        {
          maxAttempts: options.retries ?? 5,
          backoff: new ExponentialBackoff({
            initialDelay: options.firstRetryDelayMs ?? 1000,
            maxDelay: options.maxRetryDelayMs ?? 60_000,
          }),
        },
      ),
      timeout(options.timeoutMs ?? 5000, TimeoutStrategy.Aggressive),
    );
  }

  /** Queues the changes for delivery and returns at once. */
  send(changes: readonly AlertChange[]): void {
    for (const change of changes) {
      this.queue.push(change);
      if (this.queue.length > this.queueLimit) {
        const dropped = this.queue.shift();
        this.metrics?.alertWebhookDeliveries.inc({ outcome: 'dropped' });
        this.logger.warn(
          { webhook: this.origin, alert: dropped?.alert.id, queueLimit: this.queueLimit },
          'alert webhook queue full; dropped the oldest alert',
        );
      }
      this.kick();
    }
  }

  /** Resolves once every queued change was delivered or given up. */
  async idle(): Promise<void> {
    while (this.sending !== undefined) await this.sending;
  }

  /** Stops: the delivery in progress is aborted, and queued changes are given up. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const abandoned = this.queue.length;
    this.queue.length = 0;
    await this.sending;
    this.stopping = new AbortController();
    if (abandoned > 0) {
      this.metrics?.alertWebhookDeliveries.inc({ outcome: 'dropped' }, abandoned);
      this.logger.warn({ webhook: this.origin, abandoned }, 'alert webhook stopped with alerts unsent');
    }
  }

  /** Starts sending unless it is: the first queued change leaves the queue at once. */
  private kick(): void {
    if (this.sending !== undefined) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
      // Changes queued while the last delivery was finishing.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const body = JSON.stringify(webhookBody(next));
      try {
        await this.policy.execute(({ signal }) => this.post(body, signal), this.stopping.signal);
        this.metrics?.alertWebhookDeliveries.inc({ outcome: 'delivered' });
      } catch (error) {
        this.metrics?.alertWebhookDeliveries.inc({ outcome: 'failed' });
        this.logger.warn(
          { webhook: this.origin, alert: next.alert.id, change: next.change, reason: reasonOf(error) },
          'could not deliver an alert to the webhook; gave it up',
        );
      }
    }
  }

  private async post(body: string, signal: AbortSignal): Promise<void> {
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal,
    });
    // Read the body to the end so the connection is reused.
    await response.arrayBuffer();
    if (response.ok) return;
    const status = `the webhook answered ${response.status}`;
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw new Error(status);
    throw new WebhookRefusedError(status);
  }
}

/** What is POSTed for one change. */
export function webhookBody({ change, alert }: AlertChange): AlertWebhookBody {
  const { start, end, updated, ...rest } = alert;
  return {
    change,
    alert: {
      ...rest,
      start: formatNanosIso(start),
      ...(end === undefined ? {} : { end: formatNanosIso(end) }),
      updated: formatNanosIso(updated),
    },
  };
}

/** The error's message without a URL that fetch may quote. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\bhttps?:\/\/\S+/g, '<webhook>');
}

/** Whether `url` can be a webhook; what is wrong otherwise (never quoting it: it may hold a secret). */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:'
    ? undefined
    : `must be an http or https URL, not ${parsed.protocol}`;
}

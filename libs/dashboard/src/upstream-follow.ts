import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from '@message-bus/server-kit';

/** Waits between reconnects of a failed upstream stream: doubling from the first to the cap. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/**
 * One server-streaming QueryService call kept open: when it fails or ends it is opened
 * again after a capped exponential backoff (reset once a message arrives), until stop().
 * Stopping cancels the call and clears the pending timer, so nothing outlives it.
 */
export class UpstreamFollow<Message> {
  private call: ClientReadableStream<Message> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private nextDelayMs: number;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly open: () => ClientReadableStream<Message>,
    private readonly onMessage: (message: Message) => void,
    private readonly logger: Logger,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {
    this.nextDelayMs = backoff.initialMs;
  }

  start(): void {
    if (this.stopped || this.call !== undefined) return;
    const call = this.open();
    this.call = call;
    call.on('data', (message: Message) => {
      this.nextDelayMs = this.backoff.initialMs;
      this.onMessage(message);
    });
    call.on('error', (error: ServiceError) => {
      if (this.stopped && error.code === status.CANCELLED) return;
      this.logger.warn(
        { stream: this.name, code: status[error.code], retryInMs: this.nextDelayMs },
        'dashboard upstream stream failed; reopening',
      );
      this.reopenLater(call);
    });
    call.on('end', () => this.reopenLater(call));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    const call = this.call;
    this.call = undefined;
    call?.cancel();
  }

  private reopenLater(ended: ClientReadableStream<Message>): void {
    // 'error' and 'end' may both fire for one call: only its first ending reopens.
    if (this.stopped || this.call !== ended) return;
    this.call = undefined;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.backoff.maxMs, delay * 2);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start();
    }, delay);
  }
}

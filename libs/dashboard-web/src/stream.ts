import type { StreamEvent } from './api';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface StreamHandlers {
  readonly onEvent: (event: StreamEvent) => void;
  readonly onStatus: (status: StreamStatus) => void;
  /** The stream is back after a break: events may have been missed, so re-read the snapshot. */
  readonly onReconnect: () => void;
  /** The server refused the stream (an error status, e.g. 401 once the session ended). */
  readonly onRefused: () => void;
}

const EVENT_TYPES: readonly StreamEvent['type'][] = ['link', 'route', 'alert', 'detectors'];

/** How long to wait before opening a new EventSource when the browser gave up on one. */
const RETRY_MS = 3000;

/**
 * `GET /api/stream` as events. The browser's EventSource retries by itself after a
 * network break; when the server refused outright (the EventSource is closed), this
 * opens a new one after a pause.
 */
export class LiveStream {
  private source: EventSource | undefined;
  private hadBreak = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private readonly handlers: StreamHandlers,
  ) {}

  open(): void {
    this.handlers.onStatus(this.hadBreak ? 'reconnecting' : 'connecting');
    const source = new EventSource(this.url);
    this.source = source;
    source.onopen = () => {
      this.handlers.onStatus('live');
      if (this.hadBreak) {
        this.hadBreak = false;
        this.handlers.onReconnect();
      }
    };
    source.onerror = () => {
      this.hadBreak = true;
      this.handlers.onStatus('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        this.handlers.onRefused();
        this.retryTimer = setTimeout(() => this.open(), RETRY_MS);
      }
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message: MessageEvent<string>) => {
        this.handlers.onEvent({ type, ...JSON.parse(message.data) } as StreamEvent);
      });
    }
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.source?.close();
  }
}

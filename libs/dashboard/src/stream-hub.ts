import type { StreamEvent } from '@message-bus/dashboard-web';
import { query } from '@message-bus/proto';
import type { Logger } from '@message-bus/server-kit';
import type { DashboardQueries } from './dashboard-queries';
import { DEFAULT_BACKOFF, UpstreamFollow, type Backoff } from './upstream-follow';
import { alertView, estimateView } from './views';

/** One browser's end of `/api/stream`. */
export interface StreamListener {
  /** An event, as an SSE `event:`/`data:` frame. */
  send(event: StreamEvent): void;
  /** An SSE comment: keeps proxies from closing an idle connection. */
  heartbeat(): void;
  /** The server is shutting down: end the response. */
  close(): void;
}

export interface StreamHubTimings {
  readonly detectorsEveryMs: number;
  readonly heartbeatEveryMs: number;
  readonly backoff: Backoff;
}

export const DEFAULT_STREAM_TIMINGS: StreamHubTimings = {
  detectorsEveryMs: 30_000,
  heartbeatEveryMs: 15_000,
  backoff: DEFAULT_BACKOFF,
};

/**
 * Fans QueryService's streams out to every browser on `/api/stream`. While at least one
 * listens, it holds exactly one StreamTravelTimes of all links, one of all routes and one
 * StreamAlerts upstream, however many browsers there are (a page never polls per link),
 * reads ListDetectors every 30 s as a `detectors` event, and sends a heartbeat comment
 * every 15 s. When the last browser leaves, everything upstream stops.
 */
export class StreamHub {
  private readonly listeners = new Set<StreamListener>();
  private follows: UpstreamFollow<unknown>[] = [];
  private timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    private readonly client: query.QueryServiceClient,
    private readonly queries: DashboardQueries,
    private readonly logger: Logger,
    private readonly timings: StreamHubTimings = DEFAULT_STREAM_TIMINGS,
  ) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Adds a browser; returns how to remove it. Refused (closed at once) after close(). */
  subscribe(listener: StreamListener): () => void {
    if (this.closed) {
      listener.close();
      return () => undefined;
    }
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.startUpstream();
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (this.listeners.size === 0) this.stopUpstream();
    };
  }

  /** Ends every browser's stream and everything upstream; later subscribers are refused. */
  close(): void {
    this.closed = true;
    this.stopUpstream();
    for (const listener of this.listeners) listener.close();
    this.listeners.clear();
  }

  private broadcast(event: StreamEvent): void {
    for (const listener of this.listeners) listener.send(event);
  }

  private startUpstream(): void {
    const estimates = (links: query.LinkSelector) => () =>
      this.client.streamTravelTimes(query.StreamTravelTimesRequest.fromPartial({ links }));
    this.follows = [
      new UpstreamFollow<query.TravelTimeEstimate>(
        'travel times of all links',
        estimates({ selector: { $case: 'all', value: true } }),
        (estimate) =>
          this.broadcast({
            type: 'link',
            source: estimate.sourceDetectorId,
            destination: estimate.destDetectorId,
            estimate: estimateView(estimate),
          }),
        this.logger,
        this.timings.backoff,
      ),
      new UpstreamFollow<query.TravelTimeEstimate>(
        'travel times of all routes',
        estimates({ selector: { $case: 'allRoutes', value: true } }),
        (estimate) =>
          this.broadcast({ type: 'route', name: estimate.route, estimate: estimateView(estimate) }),
        this.logger,
        this.timings.backoff,
      ),
      new UpstreamFollow<query.Alert>(
        'alerts',
        () => this.client.streamAlerts(query.StreamAlertsRequest.fromPartial({})),
        (alert) => this.broadcast({ type: 'alert', alert: alertView(alert) }),
        this.logger,
        this.timings.backoff,
      ),
    ] as UpstreamFollow<unknown>[];
    for (const follow of this.follows) follow.start();
    this.timers = [
      setInterval(() => this.sendDetectors(), this.timings.detectorsEveryMs),
      setInterval(() => {
        for (const listener of this.listeners) listener.heartbeat();
      }, this.timings.heartbeatEveryMs),
    ];
  }

  private stopUpstream(): void {
    for (const follow of this.follows) follow.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.follows = [];
    this.timers = [];
  }

  private sendDetectors(): void {
    this.queries.detectors().then(
      (detectors) => this.broadcast({ type: 'detectors', detectors }),
      (error: unknown) =>
        this.logger.warn({ err: error }, 'dashboard could not read the detectors; the next try is in 30 s'),
    );
  }
}

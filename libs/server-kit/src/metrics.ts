import { status as GrpcStatus } from '@grpc/grpc-js';
import type { DeviceKind } from '@message-bus/domain';
import { StoreError } from '@message-bus/repository';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `ok`, the StoreError code (`unavailable`, `quota_exhausted`, `invalid_argument`), or `error`. */
export type StoreOutcome = 'ok' | StoreError['code'] | 'error';

export interface ServerMetricsOptions {
  /** Labels on every series, e.g. `{ app: 'collector' }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Node process metrics (CPU, memory, event loop lag, GC); on by default. */
  readonly processMetrics?: boolean;
}

/**
 * The Prometheus metrics of one server process, in its own registry (never the
 * global one), so several servers or tests in one process do not collide.
 */
export class ServerMetrics {
  readonly registry = new Registry();

  /** Sightings stored, by device kind. */
  readonly sightingsIngested: Counter<'kind'>;
  /** Sightings refused, by a short reason (`invalid_device_id`, `too_many_events`, ...). */
  readonly sightingsRejected: Counter<'reason'>;
  readonly storeOperationDuration: Histogram<'operation' | 'outcome'>;
  readonly grpcHandled: Counter<'service' | 'method' | 'code'>;
  readonly grpcHandlingSeconds: Histogram<'service' | 'method'>;
  /** Travel-time estimates written by this process's worker, by status (`ok`, `insufficient_data`, `stale`). */
  readonly travelTimeEstimatesWritten: Counter<'status'>;
  /** Destinations whose travel times this process's worker holds now. */
  readonly travelTimeDestinationsHeld: Gauge;
  /** Destinations the worker lost while holding them (lease expired, store unreachable too long). */
  readonly travelTimeLeasesLost: Counter;
  /** Link intervals left unestimated because their sightings are past the retention. */
  readonly travelTimeIntervalsSkipped: Counter;
  /** Link intervals estimated again (late sightings, a backlog, an operator's request), by origin. */
  readonly travelTimeIntervalsRecomputed: Counter<'origin'>;
  /** How far the oldest interval still to (re)compute of the held destinations lies behind the newest due one. */
  readonly travelTimeBacklogSeconds: Gauge;
  /** Route travel-time estimates written, by method (`matched` end to end, `sum_of_links`). */
  readonly travelTimeRouteEstimatesWritten: Counter<'method'>;
  /** Typical profiles (per link and route) computed and stored. */
  readonly travelTimeProfilesBuilt: Counter;
  /** Alerts raised by the worker, by kind and severity. */
  readonly alertsRaised: Counter<'kind' | 'severity'>;
  /** Alerts cleared by the worker, by kind. */
  readonly alertsCleared: Counter<'kind'>;
  /** Open alerts by kind, as the worker running the detector checks last counted them. */
  readonly alertsOpen: Gauge<'kind'>;
  /** Alert changes sent to the webhook, by outcome: delivered, failed (retries exhausted) or dropped (queue full, shutdown). */
  readonly alertWebhookDeliveries: Counter<'outcome'>;
  /** Per etcd endpoint: 1 while calls may go to it, 0 while they avoid it (it failed to connect). */
  readonly etcdEndpointUp: Gauge<'endpoint'>;

  constructor(options: ServerMetricsOptions = {}) {
    if (options.defaultLabels !== undefined) {
      this.registry.setDefaultLabels({ ...options.defaultLabels });
    }
    const registers = [this.registry];
    this.sightingsIngested = new Counter({
      name: 'sightings_ingested_total',
      help: 'Sightings stored, by device kind.',
      labelNames: ['kind'],
      registers,
    });
    this.sightingsRejected = new Counter({
      name: 'sightings_rejected_total',
      help: 'Sightings refused, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.storeOperationDuration = new Histogram({
      name: 'store_operation_duration_seconds',
      help: 'Duration of store operations, by operation and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.grpcHandled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'gRPC calls completed on the server, by service, method and status code.',
      labelNames: ['service', 'method', 'code'],
      registers,
    });
    this.grpcHandlingSeconds = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from the start of a gRPC call to its status, by service and method.',
      labelNames: ['service', 'method'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.travelTimeEstimatesWritten = new Counter({
      name: 'travel_time_estimates_written_total',
      help: 'Travel-time estimates written, by status.',
      labelNames: ['status'],
      registers,
    });
    this.travelTimeDestinationsHeld = new Gauge({
      name: 'travel_time_destinations_held',
      help: 'Destination detectors whose travel times this worker holds.',
      registers,
    });
    this.travelTimeLeasesLost = new Counter({
      name: 'travel_time_leases_lost_total',
      help: 'Destinations lost while held (lease expired or store unreachable for most of its TTL).',
      registers,
    });
    this.travelTimeIntervalsSkipped = new Counter({
      name: 'travel_time_intervals_skipped_total',
      help: 'Link intervals left unestimated because their raw sightings are past the retention.',
      registers,
    });
    this.travelTimeIntervalsRecomputed = new Counter({
      name: 'travel_time_intervals_recomputed_total',
      help: 'Link intervals estimated again or late, by origin: late_sightings, backlog or request.',
      labelNames: ['origin'],
      registers,
    });
    this.travelTimeBacklogSeconds = new Gauge({
      name: 'travel_time_backlog_seconds',
      help: 'How far the oldest interval still to (re)compute of the held destinations lies behind the newest due one.',
      registers,
    });
    this.travelTimeRouteEstimatesWritten = new Counter({
      name: 'travel_time_route_estimates_written_total',
      help: 'Route travel-time estimates written, by method: matched (end to end) or sum_of_links.',
      labelNames: ['method'],
      registers,
    });
    this.travelTimeProfilesBuilt = new Counter({
      name: 'travel_time_profiles_built_total',
      help: 'Typical travel-time profiles (per link and route) computed and stored.',
      registers,
    });
    this.alertsRaised = new Counter({
      name: 'alerts_raised_total',
      help: 'Alerts raised, by kind and severity.',
      labelNames: ['kind', 'severity'],
      registers,
    });
    this.alertsCleared = new Counter({
      name: 'alerts_cleared_total',
      help: 'Alerts cleared, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.alertsOpen = new Gauge({
      name: 'alerts_open',
      help: 'Open alerts by kind, as the worker running the detector checks last counted them.',
      labelNames: ['kind'],
      registers,
    });
    this.alertWebhookDeliveries = new Counter({
      name: 'alert_webhook_deliveries_total',
      help: 'Alert changes sent to the webhook, by outcome: delivered, failed (retries exhausted) or dropped.',
      labelNames: ['outcome'],
      registers,
    });
    this.etcdEndpointUp = new Gauge({
      name: 'etcd_endpoint_up',
      help: 'Per etcd endpoint: 1 while calls may go to it, 0 while they avoid it after failing to connect.',
      labelNames: ['endpoint'],
      registers,
    });
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  countIngested(kind: DeviceKind, count = 1): void {
    this.sightingsIngested.inc({ kind }, count);
  }

  countRejected(reason: string, count = 1): void {
    this.sightingsRejected.inc({ reason }, count);
  }

  /** Runs a store call and records its duration and outcome; the result or error passes through. */
  async timeStoreOperation<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const stopTimer = this.storeOperationDuration.startTimer({ operation });
    try {
      const result = await run();
      stopTimer({ outcome: 'ok' satisfies StoreOutcome });
      return result;
    } catch (error) {
      stopTimer({ outcome: (error instanceof StoreError ? error.code : 'error') satisfies StoreOutcome });
      throw error;
    }
  }

  /** Records whether calls may go to an etcd endpoint (`up`) or avoid it. */
  setEtcdEndpointUp(endpoint: string, up: boolean): void {
    this.etcdEndpointUp.set({ endpoint }, up ? 1 : 0);
  }

  /** Records one finished call; `path` is the gRPC method path `/package.Service/Method`. */
  recordGrpcCall(path: string, code: GrpcStatus, seconds: number): void {
    const { service, method } = splitMethodPath(path);
    this.grpcHandled.inc({ service, method, code: GrpcStatus[code] ?? String(code) });
    this.grpcHandlingSeconds.observe({ service, method }, seconds);
  }

  /** The exposition text for a scrape. */
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/** `/collector.CollectorService/CreateEventLog` → service `collector.CollectorService`, method `CreateEventLog`. */
export function splitMethodPath(path: string): { service: string; method: string } {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return { service: match?.[1] ?? 'unknown', method: match?.[2] ?? path };
}

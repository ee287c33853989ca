import { status as GrpcStatus, type ServiceDefinition } from '@grpc/grpc-js';
import { DEVICE_KINDS, type DeviceKind } from '@message-bus/domain';
import { StoreError } from '@message-bus/repository';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One process's series as data (`ServerMetrics.snapshot()`), to be summed with its server's others. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** `ok`, the StoreError code (`unavailable`, `quota_exhausted`, `invalid_argument`), or `error`. */
export type StoreOutcome = 'ok' | StoreError['code'] | 'error';

const STORE_OUTCOMES: readonly StoreOutcome[] = [
  'ok',
  'unavailable',
  'quota_exhausted',
  'invalid_argument',
  'error',
];

/** The `grpc_type` label of the gRPC Prometheus convention, from the method's streaming sides. */
export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/**
 * The `grpc_code` of each status code, indexed by its number: Go's `codes.Code` names
 * (`OK`, `InvalidArgument`, ...), as go-grpc-prometheus writes them, so the stock
 * dashboards and the gRPC mixin's alerts (`grpc_code=~"Unknown|Internal|..."`) match.
 */
const GRPC_CODE_NAMES: readonly string[] = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

type GrpcMethodLabel = 'grpc_type' | 'grpc_service' | 'grpc_method';

/** The series of one gRPC method; `handled` by status code number. */
interface GrpcMethodSeries {
  readonly labels: Record<GrpcMethodLabel, string>;
  readonly started: Counter.Internal;
  readonly received: Counter.Internal;
  readonly sent: Counter.Internal;
  readonly handling: Histogram.Internal<GrpcMethodLabel>;
  readonly handled: readonly Counter.Internal[];
}

/** What of a grpc-js method definition names it and its type. */
export interface GrpcMethodShape {
  /** `/package.Service/Method`. */
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** What the interceptor tells about one call as it goes. */
export interface GrpcCallRecorder {
  messageReceived(): void;
  messageSent(): void;
  /** The call's status; only the first one counts. */
  finished(code: GrpcStatus): void;
}

export interface ServerMetricsOptions {
  /** Labels on every series, e.g. `{ app: 'collector' }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Node process metrics (CPU, memory, event loop lag, GC); on by default. */
  readonly processMetrics?: boolean;
  /** What `message_bus_build_info` says: the program's version and the commit it was built from. */
  readonly build?: { readonly version: string; readonly commit: string };
}

/**
 * The Prometheus metrics of one server process, in its own registry (never the
 * global one), so several servers or tests in one process do not collide. A server with
 * several processes (`--workers`) sums theirs (prom-client's `AggregatorRegistry.aggregate`):
 * counters and histograms add up; gauges add up unless they say otherwise (`aggregator`).
 *
 * The project's own metrics are named `message_bus_*`. The gRPC server metrics keep the
 * names and labels of the common convention (go-grpc-prometheus): `grpc_server_started_total`,
 * `grpc_server_handled_total`, `grpc_server_handling_seconds`, `grpc_server_msg_received_total`
 * and `grpc_server_msg_sent_total`, labelled `grpc_type`, `grpc_service`, `grpc_method` (and
 * `grpc_code`, the code's name), so stock gRPC dashboards and alerts work on them.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** The series of each method of the served services, by path (`/package.Service/Method`). */
  readonly #grpcMethods = new Map<string, GrpcMethodSeries>();

  /** 1, labelled with the version and commit of the running program. */
  readonly buildInfo: Gauge<'version' | 'commit'>;

  /** Sightings stored, by device kind. */
  readonly sightingsIngested: Counter<'kind'>;
  /** Sightings refused, by a short reason (`invalid_device_id`, `too_many_events`, ...). */
  readonly sightingsRejected: Counter<'reason'>;
  readonly storeOperationDuration: Histogram<'operation' | 'outcome'>;
  readonly grpcStarted: Counter<GrpcMethodLabel>;
  readonly grpcHandled: Counter<GrpcMethodLabel | 'grpc_code'>;
  readonly grpcHandlingSeconds: Histogram<GrpcMethodLabel>;
  readonly grpcMessagesReceived: Counter<GrpcMethodLabel>;
  readonly grpcMessagesSent: Counter<GrpcMethodLabel>;
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
  /** Store operations seen so far, whose every outcome has a series. */
  readonly #storeOperationsSeen = new Set<string>();

  constructor(options: ServerMetricsOptions = {}) {
    if (options.defaultLabels !== undefined) {
      this.registry.setDefaultLabels({ ...options.defaultLabels });
    }
    const registers = [this.registry];
    this.buildInfo = new Gauge({
      name: 'message_bus_build_info',
      help: 'Always 1; labelled with the version and git commit of the running program.',
      labelNames: ['version', 'commit'],
      // Summed over a server's processes (--workers) it would count them; it says one thing.
      aggregator: 'first',
      registers,
    });
    if (options.build !== undefined) {
      this.buildInfo.set({ version: options.build.version, commit: options.build.commit }, 1);
    }
    this.sightingsIngested = new Counter({
      name: 'message_bus_sightings_ingested_total',
      help: 'Sightings stored, by device kind.',
      labelNames: ['kind'],
      registers,
    });
    this.sightingsRejected = new Counter({
      name: 'message_bus_sightings_rejected_total',
      help: 'Sightings refused, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.storeOperationDuration = new Histogram({
      name: 'message_bus_store_operation_duration_seconds',
      help: 'Duration of store operations, by operation and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    const grpcMethodLabels: GrpcMethodLabel[] = ['grpc_type', 'grpc_service', 'grpc_method'];
    this.grpcStarted = new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: grpcMethodLabels,
      registers,
    });
    this.grpcHandled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...grpcMethodLabels, 'grpc_code'],
      registers,
    });
    this.grpcHandlingSeconds = new Histogram({
      name: 'grpc_server_handling_seconds',
      help:
        'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames: grpcMethodLabels,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.grpcMessagesReceived = new Counter({
      name: 'grpc_server_msg_received_total',
      help: 'Total number of RPC stream messages received on the server.',
      labelNames: grpcMethodLabels,
      registers,
    });
    this.grpcMessagesSent = new Counter({
      name: 'grpc_server_msg_sent_total',
      help: 'Total number of gRPC stream messages sent by the server.',
      labelNames: grpcMethodLabels,
      registers,
    });
    this.travelTimeEstimatesWritten = new Counter({
      name: 'message_bus_travel_time_estimates_written_total',
      help: 'Travel-time estimates written, by status.',
      labelNames: ['status'],
      registers,
    });
    this.travelTimeDestinationsHeld = new Gauge({
      name: 'message_bus_travel_time_destinations_held',
      help: 'Destination detectors whose travel times this worker holds.',
      registers,
    });
    this.travelTimeLeasesLost = new Counter({
      name: 'message_bus_travel_time_leases_lost_total',
      help: 'Destinations lost while held (lease expired or store unreachable for most of its TTL).',
      registers,
    });
    this.travelTimeIntervalsSkipped = new Counter({
      name: 'message_bus_travel_time_intervals_skipped_total',
      help: 'Link intervals left unestimated because their raw sightings are past the retention.',
      registers,
    });
    this.travelTimeIntervalsRecomputed = new Counter({
      name: 'message_bus_travel_time_intervals_recomputed_total',
      help: 'Link intervals estimated again or late, by origin: late_sightings, backlog or request.',
      labelNames: ['origin'],
      registers,
    });
    this.travelTimeBacklogSeconds = new Gauge({
      name: 'message_bus_travel_time_backlog_seconds',
      help: 'How far the oldest interval still to (re)compute of the held destinations lies behind the newest due one.',
      aggregator: 'max',
      registers,
    });
    this.travelTimeRouteEstimatesWritten = new Counter({
      name: 'message_bus_travel_time_route_estimates_written_total',
      help: 'Route travel-time estimates written, by method: matched (end to end) or sum_of_links.',
      labelNames: ['method'],
      registers,
    });
    this.travelTimeProfilesBuilt = new Counter({
      name: 'message_bus_travel_time_profiles_built_total',
      help: 'Typical travel-time profiles (per link and route) computed and stored.',
      registers,
    });
    this.alertsRaised = new Counter({
      name: 'message_bus_alerts_raised_total',
      help: 'Alerts raised, by kind and severity.',
      labelNames: ['kind', 'severity'],
      registers,
    });
    this.alertsCleared = new Counter({
      name: 'message_bus_alerts_cleared_total',
      help: 'Alerts cleared, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.alertsOpen = new Gauge({
      name: 'message_bus_alerts_open',
      help: 'Open alerts by kind, as the worker running the detector checks last counted them.',
      labelNames: ['kind'],
      registers,
    });
    this.alertWebhookDeliveries = new Counter({
      name: 'message_bus_alert_webhook_deliveries_total',
      help: 'Alert changes sent to the webhook, by outcome: delivered, failed (retries exhausted) or dropped.',
      labelNames: ['outcome'],
      registers,
    });
    this.etcdEndpointUp = new Gauge({
      name: 'message_bus_etcd_endpoint_up',
      help: 'Per etcd endpoint: 1 while calls may go to it, 0 while they avoid it after failing to connect.',
      labelNames: ['endpoint'],
      // Over a server's processes: 0 as soon as one of them avoids the endpoint.
      aggregator: 'min',
      registers,
    });
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /**
   * Gives every device kind and every rejection reason a series at 0, so a rate over them
   * sees the first rejection and a dashboard shows a zero rather than nothing.
   */
  initialiseSightingCounts(rejectionReasons: readonly string[]): void {
    for (const kind of DEVICE_KINDS) this.sightingsIngested.inc({ kind }, 0);
    for (const reason of rejectionReasons) this.sightingsRejected.inc({ reason }, 0);
  }

  countIngested(kind: DeviceKind, count = 1): void {
    this.sightingsIngested.inc({ kind }, count);
  }

  countRejected(reason: string, count = 1): void {
    this.sightingsRejected.inc({ reason }, count);
  }

  /** Runs a store call and records its duration and outcome; the result or error passes through. */
  async timeStoreOperation<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (!this.#storeOperationsSeen.has(operation)) {
      // Every outcome of an operation gets a series at its first use, so its first failure shows in a rate.
      this.#storeOperationsSeen.add(operation);
      for (const outcome of STORE_OUTCOMES) this.storeOperationDuration.zero({ operation, outcome });
    }
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

  /**
   * Gives every method of a served service its series at 0 (started, messages, handling time,
   * and handled for every status code), as go-grpc-prometheus does for registered services.
   */
  initialiseGrpcService(definition: ServiceDefinition): void {
    for (const method of Object.values(definition)) {
      const series = this.grpcMethodSeries(method);
      this.#grpcMethods.set(method.path, series);
      series.started.inc(0);
      series.received.inc(0);
      series.sent.inc(0);
      this.grpcHandlingSeconds.zero(grpcMethodLabels(method));
      for (const handled of series.handled) handled.inc(0);
    }
  }

  /** Counts a call as started and returns what records the rest of it; the handling time starts now. */
  startGrpcCall(method: GrpcMethodShape): GrpcCallRecorder {
    const series = this.#grpcMethods.get(method.path) ?? this.grpcMethodSeries(method);
    series.started.inc();
    const stopTimer = series.handling.startTimer();
    let finished = false;
    return {
      messageReceived: () => series.received.inc(),
      messageSent: () => series.sent.inc(),
      finished: (code) => {
        if (finished) return;
        finished = true;
        stopTimer();
        (series.handled[code] ?? this.grpcHandled.labels({ ...series.labels, grpc_code: String(code) })).inc();
      },
    };
  }

  /**
   * A method's series. Those of served methods are resolved once, at initialisation, so a
   * call and each of its messages count without building and hashing the label set again;
   * only they are kept, so a client naming made-up methods grows no cache.
   */
  private grpcMethodSeries(method: GrpcMethodShape): GrpcMethodSeries {
    const labels = grpcMethodLabels(method);
    return {
      labels,
      started: this.grpcStarted.labels(labels),
      received: this.grpcMessagesReceived.labels(labels),
      sent: this.grpcMessagesSent.labels(labels),
      handling: this.grpcHandlingSeconds.labels(labels),
      handled: GRPC_CODE_NAMES.map((grpc_code) => this.grpcHandled.labels({ ...labels, grpc_code })),
    };
  }

  /** The exposition text for a scrape. */
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** This process's series as data, for a server that sums its processes' (`aggregateMetrics`). */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /** The content type of `scrape()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The exposition text of several processes' series in one: counters and histograms summed,
 * gauges by their `aggregator` (sum unless declared). Default labels are in each snapshot.
 */
export function aggregateMetrics(snapshots: readonly MetricsSnapshot[]): Promise<string> {
  return AggregatorRegistry.aggregate([...snapshots]).metrics();
}

/** `unary`, `client_stream`, `server_stream` or `bidi_stream`. */
export function grpcTypeOf(method: Pick<GrpcMethodShape, 'requestStream' | 'responseStream'>): GrpcType {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

function grpcMethodLabels(method: GrpcMethodShape): Record<GrpcMethodLabel, string> {
  const { service, method: name } = splitMethodPath(method.path);
  return { grpc_type: grpcTypeOf(method), grpc_service: service, grpc_method: name };
}

/** `/collector.CollectorService/CreateEventLog` → service `collector.CollectorService`, method `CreateEventLog`. */
export function splitMethodPath(path: string): { service: string; method: string } {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return { service: match?.[1] ?? 'unknown', method: match?.[2] ?? path };
}

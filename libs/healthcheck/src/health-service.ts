import {
  status as GrpcStatus,
  type sendUnaryData,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { StoreHealth } from '@message-bus/repository';
import { GrpcStatusError, type Logger } from '@message-bus/server-kit';
import { service as healthServiceDefinition } from 'grpc-health-check';
import type { StoreHealthMonitor } from './store-health-monitor';

/** The statuses this server reports (`grpc.health.v1.HealthCheckResponse.ServingStatus`). */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** `SERVICE_UNKNOWN` is what Watch answers for a name this server does not serve. */
type WatchStatus = ServingStatus | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service: string;
}
interface HealthCheckResponse {
  status: WatchStatus;
}
interface HealthListResponse {
  statuses: Record<string, HealthCheckResponse>;
}

export interface HealthServiceOptions {
  /**
   * Full names of the services this server serves; e.g.
   * `['collector.CollectorService', 'query.QueryService']`. `''`, the whole server,
   * is always reported too.
   */
  readonly services: readonly string[];
  /**
   * Those of `services` that cannot work while the store refuses writes (etcd out of
   * space); e.g. `['collector.CollectorService']`. They are NOT_SERVING then, while the
   * others, and `''`, stay SERVING: reads still work.
   */
  readonly writingServices?: readonly string[];
  /** The store's health; every name is NOT_SERVING while the store does not answer. */
  readonly monitor: StoreHealthMonitor;
  readonly logger: Logger;
}

/**
 * grpc.health.v1 (`Check`, `Watch`, `List`) for `''` and each served service, driven by
 * the store: SERVING while it answers, NOT_SERVING while it does not (and before its
 * first answer); a writing service is NOT_SERVING also while the store refuses writes.
 * Add it with `addToServer(server)`; call `beginShutdown()` when the process starts
 * shutting down.
 *
 * Built on grpc-health-check's service definition; the handlers are our own because
 * its implementation keeps Watch calls open forever, which would hold a graceful
 * shutdown until its deadline. Here `beginShutdown()` sends NOT_SERVING and then ends
 * every Watch with OK, which the health protocol tells clients to retry later.
 */
export class HealthService {
  /** Every name reported, `''` first. */
  readonly serviceNames: readonly string[];
  private readonly writingServices: ReadonlySet<string>;
  private storeHealth: StoreHealth | undefined;
  private shuttingDown = false;
  private readonly watches = new Set<ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();
  private readonly unsubscribe: () => void;
  private readonly logger: Logger;

  constructor(options: HealthServiceOptions) {
    this.serviceNames = ['', ...new Set(options.services.filter((name) => name !== ''))];
    this.writingServices = new Set(options.writingServices);
    this.logger = options.logger;
    this.storeHealth = options.monitor.current;
    this.unsubscribe = options.monitor.onChange((health) => this.changeTo(health, false));
  }

  /** What `Check` answers for `service` now; undefined for a name this server does not serve. */
  status(service = ''): ServingStatus | undefined {
    return this.serviceNames.includes(service) ? this.servedStatus(service) : undefined;
  }

  /**
   * Everything NOT_SERVING for good, whatever the store does from now on, and every
   * Watch ended after it has been told. New Watch calls get NOT_SERVING and end at once.
   */
  beginShutdown(): void {
    if (this.shuttingDown) return;
    this.changeTo(this.storeHealth, true);
    this.unsubscribe();
    this.logger.info('health: shutting down, NOT_SERVING from now on');
    for (const call of this.watches) call.end();
    this.watches.clear();
  }

  addToServer(server: Server): void {
    server.addService(healthServiceDefinition as ServiceDefinition, {
      check: (
        call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: sendUnaryData<HealthCheckResponse>,
      ) => this.check(call.request.service, callback),
      watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => this.watch(call),
      list: (
        _call: ServerUnaryCall<unknown, HealthListResponse>,
        callback: sendUnaryData<HealthListResponse>,
      ) =>
        callback(null, {
          statuses: Object.fromEntries(
            this.serviceNames.map((name) => [name, { status: this.servedStatus(name) }]),
          ),
        }),
    });
  }

  private check(service: string, callback: sendUnaryData<HealthCheckResponse>): void {
    const status = this.status(service);
    if (status === undefined) {
      callback(
        new GrpcStatusError(
          GrpcStatus.NOT_FOUND,
          `unknown service ${JSON.stringify(service)}; this server reports ${this.serviceNames.map((name) => JSON.stringify(name)).join(', ')}`,
        ),
      );
      return;
    }
    callback(null, { status });
  }

  private watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>): void {
    call.write({ status: this.status(call.request.service) ?? 'SERVICE_UNKNOWN' });
    if (this.shuttingDown) {
      call.end();
      return;
    }
    this.watches.add(call);
    call.once('cancelled', () => this.watches.delete(call));
  }

  private servedStatus(service: string): ServingStatus {
    if (this.shuttingDown) return 'NOT_SERVING';
    return statusOf(this.storeHealth, this.writingServices.has(service));
  }

  /** Takes the new state and tells each Watch whose service's status it changed. */
  private changeTo(health: StoreHealth | undefined, shuttingDown: boolean): void {
    if (this.shuttingDown) return;
    const before = new Map(this.serviceNames.map((name) => [name, this.status(name)]));
    this.storeHealth = health;
    this.shuttingDown = shuttingDown;
    for (const call of this.watches) {
      const status = this.status(call.request.service);
      if (status !== undefined && status !== before.get(call.request.service)) call.write({ status });
    }
  }
}

function statusOf(health: StoreHealth | undefined, writes: boolean): ServingStatus {
  if (health?.reachable !== true) return 'NOT_SERVING';
  return writes && health.writesRefused !== undefined ? 'NOT_SERVING' : 'SERVING';
}

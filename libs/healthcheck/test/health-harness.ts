import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type Client,
  type ClientReadableStream,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Repository, StoreHealth } from '@message-bus/repository';
import { createLogger, type Logger } from '@message-bus/server-kit';
import { LmdbBackend } from '@message-bus/store-embedded';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { expect, vi } from 'vitest';
import { HealthService, StoreHealthMonitor, type StoreHealthMonitorOptions } from '../src';

export const SERVED = ['collector.CollectorService', 'query.QueryService'] as const;

/** A real store under test, opened fresh (its own directory or etcd prefix). */
export interface StoreCase {
  readonly name: string;
  open(): Promise<Repository>;
}

export function embeddedStore(): StoreCase {
  return {
    name: 'embedded store (lmdb)',
    open: async () => {
      const directory = await mkdtemp(join(tmpdir(), 'health-test-'));
      const repository = new KvRepository(new LmdbBackend({ path: directory }), { prefix: 'tdc' });
      return {
        ...delegate(repository),
        close: async () => {
          await repository.close();
          await rm(directory, { recursive: true, force: true });
        },
      };
    },
  };
}

export function etcdStore(endpoints: () => string[]): StoreCase {
  return {
    name: 'etcd',
    open: async () =>
      new KvRepository(new EtcdBackend({ hosts: endpoints() }), { prefix: `health-test-${randomUUID()}` }),
  };
}

function delegate(repository: Repository): Repository {
  return {
    events: repository.events,
    links: repository.links,
    detectors: repository.detectors,
    travelTimes: repository.travelTimes,
    recompute: repository.recompute,
    routes: repository.routes,
    routeTravelTimes: repository.routeTravelTimes,
    profiles: repository.profiles,
    alerts: repository.alerts,
    detectorHealth: repository.detectorHealth,
    health: () => repository.health(),
    close: () => repository.close(),
  };
}

/** A store whose health probe can be made to hang, and which counts probes answered. */
export class ProbedStore {
  hang = false;
  probes = 0;
  readonly repository: Pick<Repository, 'health'>;

  constructor(inner: Pick<Repository, 'health'>) {
    this.repository = {
      health: async (): Promise<StoreHealth> => {
        if (this.hang) return new Promise<StoreHealth>(() => undefined);
        const health = await inner.health();
        this.probes += 1;
        return health;
      },
    };
  }

  /** Waits until `count` more probes have been answered. */
  async waitForProbes(count: number): Promise<void> {
    const target = this.probes + count;
    await vi.waitFor(() => expect(this.probes).toBeGreaterThanOrEqual(target), {
      timeout: 10_000,
      interval: 10,
    });
  }
}

/** A pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    name: 'health-test',
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthClient extends Client {
  check(
    request: { service: string },
    callback: (error: ServiceError | null, response: { status: HealthStatus }) => void,
  ): void;
  watch(request: { service: string }): ClientReadableStream<{ status: HealthStatus }>;
  list(
    request: Record<string, never>,
    callback: (
      error: ServiceError | null,
      response: { statuses: Record<string, { status: HealthStatus }> },
    ) => void,
  ): void;
}

const HealthClient = makeGenericClientConstructor(
  healthServiceDefinition as ServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (
  address: string,
  channelCredentials: ReturnType<typeof credentials.createInsecure>,
) => HealthClient;

/** A monitor and HealthService over `repository`, served on loopback, with a grpc.health.v1 client. */
export class HealthServer {
  readonly monitor: StoreHealthMonitor;
  readonly health: HealthService;
  private readonly server = new Server();
  private client: HealthClient | undefined;

  constructor(
    repository: Pick<Repository, 'health'>,
    logger: Logger,
    monitorOptions: Omit<StoreHealthMonitorOptions, 'logger'> = {},
  ) {
    this.monitor = new StoreHealthMonitor(repository, { logger, ...monitorOptions });
    this.health = new HealthService({
      services: SERVED,
      writingServices: ['collector.CollectorService'],
      monitor: this.monitor,
      logger,
    });
    this.health.addToServer(this.server);
  }

  async start(): Promise<this> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
    this.monitor.start();
    return this;
  }

  private get connected(): HealthClient {
    if (this.client === undefined) throw new Error('start() the server first');
    return this.client;
  }

  check(service: string): Promise<HealthStatus> {
    return new Promise((resolve, reject) =>
      this.connected.check({ service }, (error, response) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
  }

  list(): Promise<Record<string, HealthStatus>> {
    return new Promise((resolve, reject) =>
      this.connected.list({}, (error, response) =>
        error
          ? reject(error)
          : resolve(
              Object.fromEntries(
                Object.entries(response.statuses).map(([name, { status }]) => [name, status]),
              ),
            ),
      ),
    );
  }

  watch(service: string): WatchReader {
    return new WatchReader(this.connected.watch({ service }));
  }

  /** Waits until Check('') answers `status`. */
  async waitForStatus(status: HealthStatus, timeoutMs: number): Promise<void> {
    await vi.waitFor(async () => expect(await this.check('')).toBe(status), {
      timeout: timeoutMs,
      interval: 50,
    });
  }

  stop(): void {
    this.monitor.stop();
    this.client?.close();
    this.server.forceShutdown();
  }
}

/** The statuses a Watch call has received, and how it ended. */
export class WatchReader {
  readonly statuses: HealthStatus[] = [];
  readonly ended: Promise<ServiceError | undefined>;

  constructor(readonly call: ClientReadableStream<{ status: HealthStatus }>) {
    call.on('data', (response: { status: HealthStatus }) => this.statuses.push(response.status));
    this.ended = new Promise((resolve) => {
      call.on('error', (error: ServiceError) => resolve(error));
      call.on('end', () => resolve(undefined));
    });
  }

  async waitForCount(count: number, timeoutMs = 10_000): Promise<HealthStatus[]> {
    await vi.waitFor(() => expect(this.statuses.length).toBeGreaterThanOrEqual(count), {
      timeout: timeoutMs,
      interval: 20,
    });
    return this.statuses;
  }
}

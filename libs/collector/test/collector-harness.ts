import { randomBytes } from 'node:crypto';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { nanosToTimestamp, Pseudonymiser, type DeviceKind, type UnixNanos } from '@message-bus/domain';
import { collector } from '@message-bus/proto';
import type { Repository } from '@message-bus/repository';
import {
  createLogger,
  ServerMetrics,
  startGrpcServer,
  type RunningGrpcServer,
} from '@message-bus/server-kit';
import { CollectorUseCases, collectorGrpcHandlers, type CollectorLimits } from '../src';

/** 2023-11-14T22:13:20Z, the receiver's clock in these tests. */
export const NOW: UnixNanos = 1_700_000_000_000_000_000n;
export const SECOND = 1_000_000_000n;

export interface HarnessOptions {
  readonly repository: Repository;
  readonly pseudonymiser?: Pseudonymiser;
  readonly limits?: Partial<CollectorLimits>;
  /** The store's raw-sighting retention; older sightings are refused. Unset: any age. */
  readonly eventRetentionSeconds?: number;
}

/** A collector served over real gRPC on loopback, a generated client for it, and what it logged. */
export class CollectorHarness {
  private constructor(
    readonly useCases: CollectorUseCases,
    readonly client: collector.CollectorServiceClient,
    /** Every JSON line the collector logged. */
    readonly logLines: readonly string[],
    readonly metrics: ServerMetrics,
    private readonly clock: { reads: number },
    private readonly server: RunningGrpcServer,
  ) {}

  static async start(options: HarnessOptions): Promise<CollectorHarness> {
    const logLines: string[] = [];
    const logger = createLogger({
      name: 'collector-test',
      level: 'debug',
      destination: { write: (line: string) => logLines.push(line) },
    });
    const metrics = new ServerMetrics({ processMetrics: false });
    const clock = { reads: 0 };
    const useCases = new CollectorUseCases({
      repository: options.repository,
      pseudonymiser: options.pseudonymiser ?? testPseudonymiser(),
      metrics,
      logger,
      clock: () => {
        clock.reads += 1;
        return NOW;
      },
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.eventRetentionSeconds === undefined
        ? {}
        : { eventRetentionSeconds: options.eventRetentionSeconds }),
    });
    const server = await startGrpcServer({
      name: 'collector.CollectorService',
      address: { host: '127.0.0.1', port: 0 },
      services: [
        {
          definition: collector.CollectorServiceService,
          implementation: collectorGrpcHandlers(useCases, logger),
        },
      ],
      logger,
    });
    const client = new collector.CollectorServiceClient(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
    return new CollectorHarness(useCases, client, logLines, metrics, clock, server);
  }

  /** How often the collector read its clock: once per event log or status report it parses. */
  get clockReads(): number {
    return this.clock.reads;
  }

  createEventLog(log: collector.EventLog): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.createEventLog(log, (error) => (error === null ? resolve() : reject(error))),
    );
  }

  createDetectorLink(link: collector.DetectorLink): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.createDetectorLink(link, (error) => (error === null ? resolve() : reject(error))),
    );
  }

  deleteDetectorLink(request: collector.DeleteDetectorLinkRequest): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.deleteDetectorLink(request, (error) => (error === null ? resolve() : reject(error))),
    );
  }

  createRoute(route: collector.Route): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.createRoute(route, (error) => (error === null ? resolve() : reject(error))),
    );
  }

  deleteRoute(request: collector.DeleteRouteRequest): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.deleteRoute(request, (error) => (error === null ? resolve() : reject(error))),
    );
  }

  createCoordinates(coordinates: collector.Coordinates): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.createCoordinates(coordinates, (error) => (error === null ? resolve() : reject(error))),
    );
  }

  createDetectorStatus(status: collector.DetectorStatus): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.createDetectorStatus(status, (error) => (error === null ? resolve() : reject(error))),
    );
  }

  /** Sends every log on one StreamEventLog call without waiting, then half-closes it. */
  streamEventLogs(logs: readonly collector.EventLog[]): Promise<collector.SendStreamResponse> {
    return new Promise((resolve, reject) => {
      const call = this.client.streamEventLog((error, response) =>
        error === null ? resolve(response) : reject(error),
      );
      for (const log of logs) call.write(log);
      call.end();
    });
  }

  async close(): Promise<void> {
    this.client.close();
    await this.server.shutdown(5_000);
    await this.useCases.close();
  }
}

export function testPseudonymiser(): Pseudonymiser {
  return new Pseudonymiser({
    masterSecret: randomBytes(32),
    rotation: { kind: 'daily', utcHour: 0 },
    overlapSeconds: 600,
  });
}

export interface EventSpec {
  readonly kind: DeviceKind;
  readonly id: string;
  readonly times: readonly UnixNanos[];
}

/** An EventLog of `detectorId` with one DetectionEvent per spec. */
export function eventLog(detectorId: string, events: readonly EventSpec[]): collector.EventLog {
  return {
    loc: { detectorId, latitude: 0n, longitude: 0n },
    events: events.map(({ kind, id, times }) => ({
      time: times.map(nanosToTimestamp),
      deviceId: { $case: kind, value: id } as collector.DetectionEvent['deviceId'],
    })),
  };
}

/** The gRPC status a call failed with, or a failure if it succeeded. */
export async function statusOf(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await call;
  } catch (error) {
    const { code, details } = error as ServiceError;
    return { code, details };
  }
  throw new Error('the call succeeded; a gRPC error status was expected');
}

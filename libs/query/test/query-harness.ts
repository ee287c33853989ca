import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentials,
  Server,
  ServerCredentials,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  nanosToTimestamp,
  type DetectorId,
  type Sighting,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import { query } from '@message-bus/proto';
import type { EventRepository, Repository, TravelTimeRepository } from '@message-bus/repository';
import { createLogger } from '@message-bus/server-kit';
import { LmdbBackend } from '@message-bus/store-embedded';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';
import { expect, vi } from 'vitest';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { QueryService, queryGrpcService, type QueryAccess, type QueryLimits } from '../src';
import { trafficEstimateFields } from '../src/traffic/traffic-wire';

/** A real store under test, opened fresh (its own directory or etcd prefix). */
export interface StoreCase {
  readonly name: string;
  open(): Promise<OpenStore>;
}

export interface OpenStore {
  readonly repository: Repository;
  close(): Promise<void>;
}

export const storeCases: readonly StoreCase[] = [
  {
    name: 'embedded store (lmdb)',
    open: async () => {
      const directory = await mkdtemp(join(tmpdir(), 'query-test-'));
      const repository = new KvRepository(new LmdbBackend({ path: directory }), { prefix: 'tdc' });
      return {
        repository,
        close: async () => {
          await repository.close();
          await rm(directory, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'etcd',
    open: async () => {
      const repository = new KvRepository(new EtcdBackend({ hosts: etcdEndpoints() }), {
        prefix: `query-test-${randomUUID()}`,
      });
      return { repository, close: () => repository.close() };
    },
  },
];

export const silentLogger = createLogger({ name: 'query-test', level: 'silent' });

/** A QueryService over `repository`, served on a loopback port, and a generated client for it. */
export interface QueryServer {
  readonly client: query.QueryServiceClient;
  stop(): Promise<void>;
}

/** The raw-sighting retention the test servers are given: the `--retention` default, 168 h. */
export const EVENT_RETENTION_SECONDS = 168 * 3600;

/** Every caller is shown the stored pseudonyms, as a server without query tokens does. */
export const PSEUDONYMS_FOR_ALL: QueryAccess = { deviceIdsFor: () => 'pseudonyms' };

export async function startQueryServer(
  repository: Repository,
  limits?: Partial<QueryLimits>,
  clock?: () => UnixNanos,
  access: QueryAccess = PSEUDONYMS_FOR_ALL,
): Promise<QueryServer> {
  const service = new QueryService({
    repository,
    logger: silentLogger,
    eventRetentionSeconds: EVENT_RETENTION_SECONDS,
    ...(limits ? { limits } : {}),
    ...(clock ? { clock } : {}),
  });
  const server = new Server();
  const { definition, implementation } = queryGrpcService(service, silentLogger, access);
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const client = new query.QueryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    client,
    stop: async () => {
      client.close();
      server.forceShutdown();
    },
  };
}

/** Runs `use` with the calls of a second server over `repository` with `limits`, then stops it. */
export async function withLimitedServer(
  repository: Repository,
  limits: Partial<QueryLimits>,
  use: (calls: ReturnType<typeof queryCalls>) => Promise<void>,
): Promise<void> {
  const server = await startQueryServer(repository, limits);
  try {
    await use(queryCalls(server.client));
  } finally {
    await server.stop();
  }
}

/** The unary RPCs as promises, taking partial requests (unset fields get their proto defaults). */
export function queryCalls(client: query.QueryServiceClient) {
  const call = <Response>(
    invoke: (done: (error: ServiceError | null, response: Response) => void) => unknown,
  ) =>
    new Promise<Response>((resolve, reject) =>
      invoke((error, response) => (error ? reject(error) : resolve(response))),
    );
  return {
    getEvents: (request: query.DeepPartial<query.GetEventsRequest>) =>
      call<query.GetEventsResponse>((done) =>
        client.getEvents(query.GetEventsRequest.fromPartial(request), done),
      ),
    getBatteryVoltage: (request: query.DeepPartial<query.GetBatteryVoltageRequest>) =>
      call<query.GetBatteryVoltageResponse>((done) =>
        client.getBatteryVoltage(query.GetBatteryVoltageRequest.fromPartial(request), done),
      ),
    listDetectors: (request: query.DeepPartial<query.ListDetectorsRequest> = {}) =>
      call<query.ListDetectorsResponse>((done) =>
        client.listDetectors(query.ListDetectorsRequest.fromPartial(request), done),
      ),
    listLinks: (destDetectorId = '', page: { pageSize?: number; pageToken?: string } = {}) =>
      call<query.ListLinksResponse>((done) =>
        client.listLinks(query.ListLinksRequest.fromPartial({ destDetectorId, ...page }), done),
      ),
    getTravelTimes: (request: query.DeepPartial<query.GetTravelTimesRequest>) =>
      call<query.GetTravelTimesResponse>((done) =>
        client.getTravelTimes(query.GetTravelTimesRequest.fromPartial(request), done),
      ),
    getLatestTravelTimes: (request: query.DeepPartial<query.GetLatestTravelTimesRequest>) =>
      call<query.GetTravelTimesResponse>((done) =>
        client.getLatestTravelTimes(query.GetLatestTravelTimesRequest.fromPartial(request), done),
      ),
    listRoutes: (request: query.DeepPartial<query.ListRoutesRequest> = {}) =>
      call<query.ListRoutesResponse>((done) =>
        client.listRoutes(query.ListRoutesRequest.fromPartial(request), done),
      ),
    getOriginDestination: (request: query.DeepPartial<query.GetOriginDestinationRequest>) =>
      call<query.GetOriginDestinationResponse>((done) =>
        client.getOriginDestination(query.GetOriginDestinationRequest.fromPartial(request), done),
      ),
    getTypicalProfile: (request: query.DeepPartial<query.GetTypicalProfileRequest>) =>
      call<query.TypicalProfile>((done) =>
        client.getTypicalProfile(query.GetTypicalProfileRequest.fromPartial(request), done),
      ),
    getReliability: (request: query.DeepPartial<query.GetReliabilityRequest>) =>
      call<query.Reliability>((done) =>
        client.getReliability(query.GetReliabilityRequest.fromPartial(request), done),
      ),
    listAlerts: (request: query.DeepPartial<query.ListAlertsRequest> = {}) =>
      call<query.ListAlertsResponse>((done) =>
        client.listAlerts(query.ListAlertsRequest.fromPartial(request), done),
      ),
  };
}

/** Asserts a call failed with exactly this status code and details. */
export async function expectStatus(call: Promise<unknown>, code: number, details: string): Promise<void> {
  const error = await call.then(
    () => undefined,
    (failure: unknown) => failure as ServiceError,
  );
  expect(error, 'the call should have failed').toBeDefined();
  expect({ code: error?.code, details: error?.details }).toEqual({ code, details });
}

/** An hour ago, with nanoseconds, so events live well inside the store's retention. */
export const BASE_TIME: UnixNanos = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n + 123_456_789n;

/** A detector id unique to this run. */
export function detector(name: string): DetectorId {
  return `${name}-${randomUUID().slice(0, 8)}` as DetectorId;
}

export function sighting(detectorId: DetectorId, deviceId: string, time: UnixNanos): Sighting {
  return { detectorId, deviceId, time };
}

export const timestamp = nanosToTimestamp;

/** An estimate of `source` → `destination` with every statistic set; `overrides` may drop some (undefined). */
export function estimate(
  source: DetectorId,
  destination: DetectorId,
  intervalEnd: UnixNanos,
  overrides: Partial<TravelTimeEstimate> = {},
): TravelTimeEstimate {
  return {
    source,
    destination,
    intervalEnd,
    windowSeconds: 900,
    medianSeconds: 120.5,
    p15Seconds: 101.25,
    p85Seconds: 150.75,
    meanSeconds: 123.125,
    validSamples: 7,
    totalSamples: 9,
    speedKmh: 47.5,
    status: 'ok',
    ...overrides,
  };
}

const STATUS_ON_WIRE = {
  ok: query.EstimateStatus.ESTIMATE_STATUS_OK,
  insufficient_data: query.EstimateStatus.ESTIMATE_STATUS_INSUFFICIENT_DATA,
  stale: query.EstimateStatus.ESTIMATE_STATUS_STALE,
  no_samples: query.EstimateStatus.ESTIMATE_STATUS_NO_SAMPLES,
  all_rejected: query.EstimateStatus.ESTIMATE_STATUS_ALL_REJECTED,
} as const;

/**
 * What a client decodes for `estimate`: absent statistics are undefined. The route and
 * congestion fields are the production mapping's; route-travel-times.test.ts pins their
 * wire values literally.
 */
export function estimateOnWire(estimate: TravelTimeEstimate): query.TravelTimeEstimate {
  return {
    sourceDetectorId: estimate.source,
    destDetectorId: estimate.destination,
    intervalEnd: timestamp(estimate.intervalEnd),
    windowSeconds: BigInt(estimate.windowSeconds),
    medianSeconds: estimate.medianSeconds,
    p15Seconds: estimate.p15Seconds,
    p85Seconds: estimate.p85Seconds,
    meanSeconds: estimate.meanSeconds,
    validSamples: BigInt(estimate.validSamples),
    totalSamples: BigInt(estimate.totalSamples),
    speedKmh: estimate.speedKmh,
    status: STATUS_ON_WIRE[estimate.status],
    ...trafficEstimateFields(estimate),
  };
}

/** A wire `LinkSelector` of one link. */
export const oneLink = (source: string, destination: string) => ({
  selector: { $case: 'link' as const, value: { sourceDetectorId: source, destDetectorId: destination } },
});
/** A wire `LinkSelector` of every link into `destination`. */
export const intoDestination = (destination: string) => ({
  selector: { $case: 'destDetectorId' as const, value: destination },
});
/** A wire `LinkSelector` of every link. */
export const allLinks = { selector: { $case: 'all' as const, value: true } };
/** A wire `LinkSelector` of one route. */
export const oneRoute = (route: string) => ({ selector: { $case: 'route' as const, value: route } });
/** A wire `LinkSelector` of every route. */
export const allRoutes = { selector: { $case: 'allRoutes' as const, value: true } };

/**
 * The store under test with its follows counted: `activeFollows` drops when a follow's
 * iteration ends, which is how a test sees that the server stopped watching.
 */
export function countingFollows(repository: Repository): { repository: Repository; activeFollows(): number } {
  let active = 0;
  const events: EventRepository = {
    append: (sightings) => repository.events.append(sightings),
    list: (eventQuery) => repository.events.list(eventQuery),
    listPages: (eventQuery) => repository.events.listPages(eventQuery),
    follow: (detectorIds, signal) => {
      const inner = repository.events.follow(detectorIds, signal);
      active += 1;
      return (async function* counted() {
        try {
          yield* inner;
        } finally {
          active -= 1;
        }
      })();
    },
  };
  return { repository: withEvents(repository, events), activeFollows: () => active };
}

/**
 * The store under test with its travel-time follows counted, as `countingFollows` counts
 * event follows; `startedFollows` counts every follow ever started.
 */
export function countingTravelTimeFollows(repository: Repository): {
  repository: Repository;
  activeFollows(): number;
  startedFollows(): number;
} {
  let active = 0;
  let started = 0;
  const travelTimes: TravelTimeRepository = {
    put: (estimates) => repository.travelTimes.put(estimates),
    list: (estimateQuery) => repository.travelTimes.list(estimateQuery),
    latest: (links) => repository.travelTimes.latest(links),
    follow: (signal) => {
      const inner = repository.travelTimes.follow(signal);
      active += 1;
      started += 1;
      return (async function* counted() {
        try {
          yield* inner;
        } finally {
          active -= 1;
        }
      })();
    },
  };
  return {
    repository: { ...withEvents(repository, repository.events), travelTimes },
    activeFollows: () => active,
    startedFollows: () => started,
  };
}

/** `repository` with its event repository replaced; everything else delegates. */
export function withEvents(repository: Repository, events: EventRepository): Repository {
  return {
    events,
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

/** What a server-streaming call (StreamEvents, StreamTravelTimes) has received so far, and how it ended. */
export class StreamReader<Message> {
  readonly received: Message[] = [];
  readonly ended: Promise<ServiceError | undefined>;

  constructor(readonly call: ClientReadableStream<Message>) {
    call.on('data', (message: Message) => this.received.push(message));
    this.ended = new Promise((resolve) => {
      call.on('error', (error: ServiceError) => resolve(error));
      call.on('end', () => resolve(undefined));
    });
  }

  /** Waits until `count` messages have arrived (at most `timeoutMs`). */
  async waitForCount(count: number, timeoutMs = 10_000): Promise<Message[]> {
    await vi.waitFor(() => expect(this.received.length).toBeGreaterThanOrEqual(count), {
      timeout: timeoutMs,
      interval: 20,
    });
    return this.received;
  }
}

/**
 * The store under test with its route-estimate and alert follows counted, as
 * `countingFollows` counts event follows: how a test sees that a StreamTravelTimes of
 * routes or a StreamAlerts follows the store, and that it stopped.
 */
export function countingTrafficFollows(repository: Repository): {
  repository: Repository;
  activeFollows(): number;
} {
  let active = 0;
  const counted = <Item>(inner: AsyncIterable<Item>): AsyncIterable<Item> => {
    active += 1;
    return (async function* countedFollow() {
      try {
        yield* inner;
      } finally {
        active -= 1;
      }
    })();
  };
  const { routeTravelTimes, alerts } = repository;
  return {
    repository: {
      ...withEvents(repository, repository.events),
      routeTravelTimes: {
        put: (estimates) => routeTravelTimes.put(estimates),
        list: (estimateQuery) => routeTravelTimes.list(estimateQuery),
        latest: (routes) => routeTravelTimes.latest(routes),
        follow: (signal) => counted(routeTravelTimes.follow(signal)),
      },
      alerts: {
        put: (each) => alerts.put(each),
        get: (id) => alerts.get(id),
        list: (alertQuery) => alerts.list(alertQuery),
        follow: (signal) => counted(alerts.follow(signal)),
      },
    },
    activeFollows: () => active,
  };
}

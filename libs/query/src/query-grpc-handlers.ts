import {
  status as GrpcStatus,
  type handleUnaryCall,
  type Metadata,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import {
  DEVICE_KINDS,
  deviceKindToWire,
  type AlertSeverity,
  nanosToTimestamp,
  timestampToNanos,
  type DetectorLink,
  type DetectorStatus,
  type EstimateStatus,
  type Sighting,
  type TravelTimeEstimate,
} from '@message-bus/domain';
import type { TimeRange } from '@message-bus/repository';
import { collector, query } from '@message-bus/proto';
import { GrpcStatusError, toGrpcError, type Logger } from '@message-bus/server-kit';
import type { DeviceIdDisclosure } from './answer-local-device-ids';
import { encodeGetEventsResponse } from './get-events-response';
import type { PageRequestInput } from './list-paging';
import type { LinkSelectorInput } from './link-selection';
import type { DetectorQueryInput, TravelTimeQueryInput } from './query-arguments';
import type { DetectorOverview, QueryService } from './query-service';
import { ScanAdmission } from './scan-admission';
import {
  RecomputeRefusedError,
  type RecomputeProgress,
  type RecomputeRequestInput,
} from './recompute-travel-times';
import { NoTypicalProfileError } from './traffic/no-typical-profile-error';
import {
  alertKindsFromWire,
  alertSeverityFromWire,
  alertToWire,
  detectorHealthToWire,
  originDestinationToWire,
  reliabilityToWire,
  routeToWire,
  trafficEstimateFields,
  trafficTargetFromWire,
  typicalProfileToWire,
} from './traffic/traffic-wire';

/**
 * `query.QueryServiceService` with one difference on the server side: GetEvents' handler
 * answers with the response's protobuf bytes (`encodeGetEventsResponse`, a fraction of
 * ts-proto's cost for thousands of times), which pass through unchanged. The bytes on
 * the wire, and what a client decodes, are the same.
 */
export const queryServiceDefinition = {
  ...query.QueryServiceService,
  getEvents: {
    ...query.QueryServiceService.getEvents,
    responseSerialize: (encoded: Buffer): Buffer => encoded,
  },
};

type QueryMethod = keyof typeof query.QueryServiceService;

/** The handlers `queryServiceDefinition` serves: `query.QueryServiceServer`'s, GetEvents answering bytes. */
export type QueryGrpcHandlers = {
  readonly [Method in Exclude<QueryMethod, 'getEvents'>]: query.QueryServiceServer[Method];
} & { readonly getEvents: handleUnaryCall<query.GetEventsRequest, Buffer> };

/**
 * The `query.QueryService` gRPC service over the use cases: wire messages in, domain
 * calls, wire messages out. Every failure goes through `toGrpcError`, so bad input is
 * INVALID_ARGUMENT naming the field and an unreachable store is UNAVAILABLE.
 *
 * Register both halves together, e.g. `server.addService(definition, implementation)`:
 * the handlers only work with this definition.
 */
export function queryGrpcService(
  service: QueryService,
  logger: Logger,
  access: QueryAccess,
): { readonly definition: typeof queryServiceDefinition; readonly implementation: QueryGrpcHandlers } {
  return { definition: queryServiceDefinition, implementation: queryGrpcHandlers(service, logger, access) };
}

/** What a caller may see, decided from its call's metadata (its bearer token). */
export interface QueryAccess {
  /** Stored pseudonyms, or ids that hold within one answer; see docs/privacy.md. */
  readonly deviceIdsFor: (metadata: Metadata) => DeviceIdDisclosure;
}

function queryGrpcHandlers(service: QueryService, logger: Logger, access: QueryAccess): QueryGrpcHandlers {
  // One per server: the scans its clients run at once (QueryLimits.maxConcurrentScans).
  const scans = new ScanAdmission(service.limits);
  return {
    getEvents: (call, callback) => {
      respondCancellable(call, logger, callback, async (signal) => {
        scans.admit('GetEvents', call.getPeer(), signal);
        return encodeGetEventsResponse(
          await service.getEvents(wireQuery(call.request), access.deviceIdsFor(call.metadata), signal),
        );
      });
    },
    streamEvents: (call) => {
      void serveStream(call, logger, sightingToWire, (signal) => {
        // Released once the replay is sent: the live follow after it costs little.
        const replayed = scans.admit('StreamEvents', call.getPeer(), signal);
        const deviceIds = access.deviceIdsFor(call.metadata);
        return service.streamEvents(wireQuery(call.request), signal, deviceIds, replayed);
      });
    },
    getBatteryVoltage: (call, callback) => {
      respondCancellable(call, logger, callback, async (signal) => {
        scans.admit('GetBatteryVoltage', call.getPeer(), signal);
        const reports = await service.getBatteryVoltage(wireQuery(call.request), signal);
        return { reports: reports.map(({ detectorId, voltages }) => ({ detectorId, voltage: voltages })) };
      });
    },
    listDetectors: (call, callback) => {
      respond(logger, callback, async () => {
        const page = await service.listDetectors(wirePageRequest(call.request));
        return { detectors: page.items.map(detectorToWire), nextPageToken: page.nextPageToken ?? '' };
      });
    },
    listLinks: (call, callback) => {
      respond(logger, callback, async () => {
        const page = await service.listLinks(call.request.destDetectorId, wirePageRequest(call.request));
        return { links: linksToWire(page.items.flat()), nextPageToken: page.nextPageToken ?? '' };
      });
    },
    getTravelTimes: (call, callback) => {
      respondCancellable(call, logger, callback, async (signal) => {
        scans.admit('GetTravelTimes', call.getPeer(), signal);
        const estimates = await service.getTravelTimes(wireTravelTimeQuery(call.request), signal);
        return { estimates: estimates.map(estimateToWire) };
      });
    },
    getLatestTravelTimes: (call, callback) => {
      respond(logger, callback, async () => ({
        estimates: (await service.getLatestTravelTimes(wireSelector(call.request.links))).map(estimateToWire),
      }));
    },
    streamTravelTimes: (call) => {
      void serveStream(call, logger, estimateToWire, (signal) =>
        service.streamTravelTimes(wireSelector(call.request.links), signal),
      );
    },
    recomputeTravelTimes: (call) => {
      void serveStream(call, logger, recomputeProgressToWire, (signal) =>
        withRecomputeStatuses(() => service.recomputeTravelTimes(wireRecomputeRequest(call.request), signal)),
      );
    },
    listRoutes: (call, callback) => {
      respond(logger, callback, async () => {
        const page = await service.listRoutes(wirePageRequest(call.request));
        return { routes: page.items.map(routeToWire), nextPageToken: page.nextPageToken ?? '' };
      });
    },
    getOriginDestination: (call, callback) => {
      respondCancellable(call, logger, callback, async (signal) => {
        scans.admit('GetOriginDestination', call.getPeer(), signal);
        const { detectorIds, range, tripGapSeconds } = call.request;
        const answer = await service.getOriginDestination(
          { detectorIds, range: wireRange(range), tripGapSeconds },
          signal,
        );
        return originDestinationToWire(answer.detectorIds, answer);
      });
    },
    getTypicalProfile: (call, callback) => {
      respond(logger, callback, async () =>
        typicalProfileToWire(
          await withMissingProfileAsNotFound(() =>
            service.getTypicalProfile(trafficTargetFromWire(call.request.target)),
          ),
        ),
      );
    },
    getReliability: (call, callback) => {
      respondCancellable(call, logger, callback, async (signal) => {
        scans.admit('GetReliability', call.getPeer(), signal);
        const request = {
          target: trafficTargetFromWire(call.request.target),
          range: wireRange(call.request.range),
        };
        const { target, range, figures } = await service.getReliability(request, signal);
        return reliabilityToWire(target, range, figures);
      });
    },
    listAlerts: (call, callback) => {
      respond(logger, callback, async () => {
        const { request } = call;
        const page = await service.listAlerts({
          range: wireRange(request.range),
          kinds: alertKindsFromWire(request.kinds),
          ...wireMinSeverity(request.minSeverity),
          openOnly: request.openOnly,
          ...wirePageRequest(request),
        });
        return { alerts: page.items.map(alertToWire), nextPageToken: page.nextPageToken ?? '' };
      });
    },
    streamAlerts: (call) => {
      void serveStream(call, logger, alertToWire, (signal) => {
        const filter = {
          kinds: alertKindsFromWire(call.request.kinds),
          ...wireMinSeverity(call.request.minSeverity),
        };
        return service.streamAlerts(filter, signal);
      });
    },
  };
}

/** `min_severity` in domain terms; UNSPECIFIED leaves it out. */
function wireMinSeverity(value: number): { minSeverity?: AlertSeverity } {
  const minSeverity = alertSeverityFromWire(value);
  return minSeverity === undefined ? {} : { minSeverity };
}

/** A missing typical profile, when the profile is what was asked for, as NOT_FOUND. */
async function withMissingProfileAsNotFound<Result>(run: () => Promise<Result>): Promise<Result> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof NoTypicalProfileError)) throw error;
    throw new GrpcStatusError(GrpcStatus.NOT_FOUND, error.message, { cause: error });
  }
}

/** Runs a unary use case and answers with its result, or its failure as a gRPC status. */
function respond<Response>(
  logger: Logger,
  callback: (error: Error | null, response?: Response) => void,
  run: () => Promise<Response>,
): void {
  run().then(
    (response) => callback(null, response),
    (error: unknown) => callback(toGrpcError(error, logger)),
  );
}

/**
 * As `respond`, for a use case that reads much: `run` gets a signal that aborts when the
 * client cancels (so the reading stops) or when the use case ends (so its scan slot is
 * freed). A cancelled call's failure is not logged: it is the cancel, and nobody reads it.
 */
function respondCancellable<Response>(
  call: ServerUnaryCall<unknown, unknown>,
  logger: Logger,
  callback: (error: Error | null, response?: Response) => void,
  run: (signal: AbortSignal) => Promise<Response>,
): void {
  const ended = new AbortController();
  const onCancelled = () => ended.abort();
  call.once('cancelled', onCancelled);
  respond(logger, callback, async () => {
    try {
      return await run(ended.signal);
    } catch (error) {
      if (call.cancelled) throw new GrpcStatusError(GrpcStatus.CANCELLED, 'cancelled by the client');
      throw error;
    } finally {
      call.off('cancelled', onCancelled);
      ended.abort();
    }
  });
}

/** The request's fields with Timestamps as nanoseconds. */
function wireQuery(request: {
  detectorIds: string[];
  range: query.Range | undefined;
  limit: bigint;
}): DetectorQueryInput {
  return { detectorIds: request.detectorIds, range: wireRange(request.range), limit: request.limit };
}

/** `page_size` and `page_token`; an older client sends neither: the first page, of the default size. */
function wirePageRequest(request: { pageSize: number; pageToken: string }): PageRequestInput {
  return { pageSize: request.pageSize, pageToken: request.pageToken };
}

function wireTravelTimeQuery(request: query.GetTravelTimesRequest): TravelTimeQueryInput {
  return { links: wireSelector(request.links), range: wireRange(request.range), limit: request.limit };
}

function wireRecomputeRequest(request: query.RecomputeTravelTimesRequest): RecomputeRequestInput {
  return { links: wireSelector(request.links), range: wireRange(request.range) };
}

/**
 * The recompute's refusals with their statuses: a selection without links is NOT_FOUND;
 * a range outside the retained time is OUT_OF_RANGE rather than FAILED_PRECONDITION:
 * it is the request's range that lies past what the store can recompute, the case gRPC
 * names OUT_OF_RANGE for (the more specific of the two where both could apply).
 */
async function* withRecomputeStatuses(
  open: () => AsyncIterable<RecomputeProgress>,
): AsyncGenerator<RecomputeProgress> {
  try {
    yield* open();
  } catch (error) {
    if (!(error instanceof RecomputeRefusedError)) throw error;
    const code = error.reason === 'unknown_links' ? GrpcStatus.NOT_FOUND : GrpcStatus.OUT_OF_RANGE;
    throw new GrpcStatusError(code, error.message, { cause: error });
  }
}

function recomputeProgressToWire(progress: RecomputeProgress): query.RecomputeTravelTimesProgress {
  return {
    destinations: BigInt(progress.destinations),
    destinationsDone: BigInt(progress.destinationsDone),
    spanSeconds: BigInt(progress.spanSeconds),
    spanSecondsDone: BigInt(progress.spanSecondsDone),
    done: progress.done,
  };
}

/** The range in nanoseconds; a bad Timestamp names `range.after.nanos` etc. */
function wireRange(range: query.Range | undefined): TimeRange {
  const after = range?.after;
  const before = range?.before;
  return {
    ...(after === undefined ? {} : { after: timestampToNanos(after, 'range.after') }),
    ...(before === undefined ? {} : { before: timestampToNanos(before, 'range.before') }),
  };
}

/** The selector's one choice; undefined when `links` or its choice is unset. */
function wireSelector(links: query.LinkSelector | undefined): LinkSelectorInput | undefined {
  const chosen = links?.selector;
  switch (chosen?.$case) {
    case undefined:
      return undefined;
    case 'all':
      return { all: chosen.value };
    case 'link':
      return { link: chosen.value };
    case 'destDetectorId':
      return { destDetectorId: chosen.value };
    case 'route':
      return { route: chosen.value };
    case 'allRoutes':
      return { allRoutes: chosen.value };
  }
}

const ESTIMATE_STATUS_TO_WIRE: Record<EstimateStatus, query.EstimateStatus> = {
  ok: query.EstimateStatus.ESTIMATE_STATUS_OK,
  insufficient_data: query.EstimateStatus.ESTIMATE_STATUS_INSUFFICIENT_DATA,
  stale: query.EstimateStatus.ESTIMATE_STATUS_STALE,
  no_samples: query.EstimateStatus.ESTIMATE_STATUS_NO_SAMPLES,
  all_rejected: query.EstimateStatus.ESTIMATE_STATUS_ALL_REJECTED,
};

/** Absent statistics stay absent (proto3 `optional`), so a client never reads them as 0. */
function estimateToWire(estimate: TravelTimeEstimate): query.TravelTimeEstimate {
  return {
    sourceDetectorId: estimate.source,
    destDetectorId: estimate.destination,
    intervalEnd: nanosToTimestamp(estimate.intervalEnd),
    // Whole seconds on the wire; the estimator's windows are whole minutes.
    windowSeconds: BigInt(Math.round(estimate.windowSeconds)),
    medianSeconds: estimate.medianSeconds,
    p15Seconds: estimate.p15Seconds,
    p85Seconds: estimate.p85Seconds,
    meanSeconds: estimate.meanSeconds,
    validSamples: BigInt(estimate.validSamples),
    totalSamples: BigInt(estimate.totalSamples),
    speedKmh: estimate.speedKmh,
    status: ESTIMATE_STATUS_TO_WIRE[estimate.status],
    ...trafficEstimateFields(estimate),
  };
}

function detectorToWire(overview: DetectorOverview): query.DetectorSummary {
  const loc: collector.Coordinates = {
    detectorId: overview.detectorId,
    latitude: BigInt(overview.coordinates.latitude),
    longitude: BigInt(overview.coordinates.longitude),
  };
  const status = overview.latestStatus;
  return {
    loc,
    latestStatus: status === undefined ? undefined : statusToWire(status, loc),
    health: overview.health === undefined ? undefined : detectorHealthToWire(overview.health),
  };
}

function statusToWire(status: DetectorStatus, loc: collector.Coordinates): collector.DetectorStatus {
  const detectionCount: Record<number, bigint> = {};
  for (const kind of DEVICE_KINDS) {
    const count = status.detectionCounts[kind];
    if (count !== undefined) detectionCount[deviceKindToWire(kind)] = count;
  }
  return {
    loc,
    activeDetectors: status.activeRadios.map(deviceKindToWire),
    batteryVoltage: status.batteryVoltage,
    detectionCount,
    time: nanosToTimestamp(status.time),
  };
}

/** One DetectorLink per destination, as CreateDetectorLink takes them; the input is ordered by destination. */
function linksToWire(links: readonly DetectorLink[]): collector.DetectorLink[] {
  const grouped: collector.DetectorLink[] = [];
  for (const link of links) {
    let last = grouped.at(-1);
    if (last === undefined || last.destDetectorId !== link.destination) {
      last = { destDetectorId: link.destination, srcDetectors: [] };
      grouped.push(last);
    }
    last.srcDetectors.push({
      detectorId: link.source,
      maxSeconds: BigInt(link.maxSeconds),
      minSeconds: BigInt(link.minSeconds ?? 0),
    });
  }
  return grouped;
}

function sightingToWire(sighting: Sighting): query.DetectionEvent {
  return {
    detectorId: sighting.detectorId,
    deviceId: sighting.deviceId,
    time: [nanosToTimestamp(sighting.time)],
  };
}

/**
 * Serves a server stream: what `open` yields, one message each, written as fast as the
 * client reads (waiting for `drain` when grpc-js buffers). The client cancelling aborts
 * the use case's signal, which ends the store's follow.
 */
async function serveStream<Request, Item, Wire>(
  call: ServerWritableStream<Request, Wire>,
  logger: Logger,
  toWire: (item: Item) => Wire,
  open: (signal: AbortSignal) => AsyncIterable<Item>,
): Promise<void> {
  const cancelled = new AbortController();
  const onCancelled = () => cancelled.abort();
  call.once('cancelled', onCancelled);
  try {
    for await (const item of open(cancelled.signal)) {
      if (cancelled.signal.aborted) break;
      if (!call.write(toWire(item))) await drained(call, cancelled.signal);
    }
    if (!cancelled.signal.aborted) call.end();
  } catch (error) {
    // grpc-js ends the call with the status of an 'error' event, after what was already written.
    if (!cancelled.signal.aborted) call.emit('error', toGrpcError(error, logger));
  } finally {
    call.off('cancelled', onCancelled);
    cancelled.abort();
  }
}

/** Resolves on the stream's `drain`, or at once when the call is cancelled (no drain will come). */
function drained(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

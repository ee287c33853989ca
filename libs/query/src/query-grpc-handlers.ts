import type { ServerWritableStream } from '@grpc/grpc-js';
import {
  DEVICE_KINDS,
  deviceKindToWire,
  nanosToTimestamp,
  timestampToNanos,
  type DetectorLink,
  type DetectorStatus,
  type Sighting,
} from '@message-bus/domain';
import type { TimeRange } from '@message-bus/repository';
import { collector, query } from '@message-bus/proto';
import { toGrpcError, type Logger } from '@message-bus/server-kit';
import type { DetectorQueryInput } from './query-arguments';
import type { DetectorOverview, QueryService } from './query-service';
import type { SightingGroup } from './sighting-groups';

/**
 * The `query.QueryService` gRPC handlers over the use cases: wire messages in, domain
 * calls, wire messages out. Every failure goes through `toGrpcError`, so bad input is
 * INVALID_ARGUMENT naming the field and an unreachable store is UNAVAILABLE.
 *
 * Register with `server.addService(query.QueryServiceService, queryGrpcHandlers(...))`.
 */
export function queryGrpcHandlers(service: QueryService, logger: Logger): query.QueryServiceServer {
  return {
    getEvents: (call, callback) => {
      respond(logger, callback, async () => {
        const groups = await service.getEvents(wireQuery(call.request));
        return { events: groups.map(groupToWire) };
      });
    },
    streamEvents: (call) => {
      void streamEvents(service, logger, call);
    },
    getBatteryVoltage: (call, callback) => {
      respond(logger, callback, async () => {
        const reports = await service.getBatteryVoltage(wireQuery(call.request));
        return { reports: reports.map(({ detectorId, voltages }) => ({ detectorId, voltage: voltages })) };
      });
    },
    listDetectors: (_call, callback) => {
      respond(logger, callback, async () => ({
        detectors: (await service.listDetectors()).map(detectorToWire),
      }));
    },
    listLinks: (call, callback) => {
      respond(logger, callback, async () => ({
        links: linksToWire(await service.listLinks(call.request.destDetectorId)),
      }));
    },
  };
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

/** The request's fields with Timestamps as nanoseconds; a bad Timestamp names `range.after.nanos` etc. */
function wireQuery(request: {
  detectorIds: string[];
  range: query.Range | undefined;
  limit: bigint;
}): DetectorQueryInput {
  const after = request.range?.after;
  const before = request.range?.before;
  const range: TimeRange = {
    ...(after === undefined ? {} : { after: timestampToNanos(after, 'range.after') }),
    ...(before === undefined ? {} : { before: timestampToNanos(before, 'range.before') }),
  };
  return { detectorIds: request.detectorIds, range, limit: request.limit };
}

function groupToWire(group: SightingGroup): query.DetectionEvent {
  return { detectorId: group.detectorId, deviceId: group.deviceId, time: group.times.map(nanosToTimestamp) };
}

function detectorToWire(overview: DetectorOverview): query.DetectorSummary {
  const loc: collector.Coordinates = {
    detectorId: overview.detectorId,
    latitude: BigInt(overview.coordinates.latitude),
    longitude: BigInt(overview.coordinates.longitude),
  };
  const status = overview.latestStatus;
  return { loc, latestStatus: status === undefined ? undefined : statusToWire(status, loc) };
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
    last.srcDetectors.push({ detectorId: link.source, maxSeconds: BigInt(link.maxSeconds) });
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
 * One DetectionEvent per sighting, written as fast as the client reads (waiting for
 * `drain` when grpc-js buffers). The client cancelling aborts the use case, which ends
 * the store's watch.
 */
async function streamEvents(
  service: QueryService,
  logger: Logger,
  call: ServerWritableStream<query.GetEventsRequest, query.DetectionEvent>,
): Promise<void> {
  const cancelled = new AbortController();
  const onCancelled = () => cancelled.abort();
  call.once('cancelled', onCancelled);
  try {
    const sightings = service.streamEvents(wireQuery(call.request), cancelled.signal);
    for await (const sighting of sightings) {
      if (cancelled.signal.aborted) break;
      if (!call.write(sightingToWire(sighting))) await drained(call, cancelled.signal);
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

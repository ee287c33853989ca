import {
  status as GrpcStatus,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import type { collector, Empty } from '@message-bus/proto';
import { GrpcStatusError, toGrpcError, type Logger } from '@message-bus/server-kit';
import type { CollectorUseCases } from './collector-use-cases';
import type { SightingCounts } from './event-log';

/**
 * The `collector.CollectorService` implementation over `useCases`: each handler hands
 * the request on and answers with the outcome, every failure mapped by server-kit's
 * `toGrpcError` (bad input → INVALID_ARGUMENT, store down → UNAVAILABLE, ...).
 * Register it with `server.addService(collector.CollectorServiceService, handlers)`.
 */
export function collectorGrpcHandlers(
  useCases: CollectorUseCases,
  logger: Logger,
): collector.CollectorServiceServer {
  const unary =
    <Request>(run: (request: Request) => Promise<unknown>) =>
    (call: ServerUnaryCall<Request, Empty>, callback: sendUnaryData<Empty>): void => {
      run(call.request).then(
        () => callback(null, {}),
        (error: unknown) => callback(toGrpcError(error, logger)),
      );
    };

  return {
    createEventLog: unary((log: collector.EventLog) => useCases.createEventLog(log)),
    createDetectorLink: unary((link: collector.DetectorLink) => useCases.createDetectorLink(link)),
    createCoordinates: unary((coordinates: collector.Coordinates) => useCases.createCoordinates(coordinates)),
    createDetectorStatus: unary((status: collector.DetectorStatus) => useCases.createDetectorStatus(status)),
    // NOT_FOUND rather than an idempotent OK: a mistyped id would otherwise look like a
    // successful delete. A client that retries after a lost answer reads NOT_FOUND as
    // "already gone".
    deleteDetectorLink: unary(async (request: collector.DeleteDetectorLinkRequest) => {
      if (!(await useCases.deleteDetectorLink(request))) {
        throw new GrpcStatusError(
          GrpcStatus.NOT_FOUND,
          `no link from "${request.srcDetectorId}" to "${request.destDetectorId}"`,
        );
      }
    }),
    // FAILED_PRECONDITION, not INVALID_ARGUMENT: the request is well formed, the links it
    // needs are not there yet; the client creates them and sends it again.
    createRoute: unary(async (route: collector.Route) => {
      const missing = await useCases.createRoute(route);
      if (missing !== undefined) {
        throw new GrpcStatusError(
          GrpcStatus.FAILED_PRECONDITION,
          `detector_ids[${missing.index}], detector_ids[${missing.index + 1}]: no link from ` +
            `"${missing.source}" to "${missing.destination}"; create it with CreateDetectorLink first`,
        );
      }
    }),
    deleteRoute: unary(async (request: collector.DeleteRouteRequest) => {
      if (!(await useCases.deleteRoute(request))) {
        throw new GrpcStatusError(GrpcStatus.NOT_FOUND, `no route "${request.name}"`);
      }
    }),
    streamEventLog: (
      call: ServerReadableStream<collector.EventLog, collector.SendStreamResponse>,
      callback: sendUnaryData<collector.SendStreamResponse>,
    ): void => {
      // The call is an object-mode Readable: iterating it pulls one message at a time,
      // and grpc-js stops reading from the connection while none is pulled.
      useCases.ingestEventLogStream(call).then(
        (counts) => callback(null, toStreamResponse(counts)),
        (error: unknown) => {
          // A cancelled call has no one to answer; its iterator ends with a premature-close error.
          if (call.cancelled) return;
          callback(toGrpcError(error, logger));
        },
      );
    },
  };
}

function toStreamResponse(counts: SightingCounts): collector.SendStreamResponse {
  return { mobile: BigInt(counts.mobile), bluetooth: BigInt(counts.bluetooth), wifi: BigInt(counts.wifi) };
}

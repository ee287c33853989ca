import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status,
  type Client,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { collector, query } from '@message-bus/proto';
import { service as healthServiceDefinition } from 'grpc-health-check';

/** Big enough for a GetEvents answer of 100,000 sightings (the largest `limit` a request may give). */
const maxReceiveBytes = 64 * 1024 * 1024;

/** A plaintext collector client on `address` (`127.0.0.1:<port>`). */
export function collectorClient(address: string): collector.CollectorServiceClient {
  return new collector.CollectorServiceClient(address, credentials.createInsecure());
}

/** A plaintext query client on `address`, accepting answers up to 64 MiB. */
export function queryClient(address: string): query.QueryServiceClient {
  return new query.QueryServiceClient(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': maxReceiveBytes,
  });
}

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthClient extends Client {
  check(
    request: { service: string },
    options: { deadline: number },
    callback: (error: ServiceError | null, response: { status: HealthStatus }) => void,
  ): void;
}

const HealthClient = makeGenericClientConstructor(
  healthServiceDefinition as ServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (
  address: string,
  channelCredentials: ReturnType<typeof credentials.createInsecure>,
) => HealthClient;

/** `grpc.health.v1.Health/Check` of `service` (`''`: the whole server) on `address`. */
export async function checkHealth(address: string, service = '', deadlineMs = 5_000): Promise<HealthStatus> {
  const client = new HealthClient(address, credentials.createInsecure());
  try {
    return await new Promise<HealthStatus>((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + deadlineMs }, (error, response) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
  } finally {
    client.close();
  }
}

/** CreateEventLog; resolves once the server acknowledged (committed) the log. */
export function createEventLog(
  client: collector.CollectorServiceClient,
  log: collector.EventLog,
  deadlineMs = 30_000,
): Promise<void> {
  return new Promise((resolve, reject) =>
    client.createEventLog(log, new Metadata(), { deadline: Date.now() + deadlineMs }, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

/** One StreamEventLog call carrying `logs`; resolves with the server's counts once it acknowledged them all. */
export function streamEventLogs(
  client: collector.CollectorServiceClient,
  logs: readonly collector.EventLog[],
  deadlineMs = 30_000,
): Promise<collector.SendStreamResponse> {
  return new Promise((resolve, reject) => {
    const call = client.streamEventLog({ deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
    for (const log of logs) call.write(log);
    call.end();
  });
}

/** GetEvents. */
export function getEvents(
  client: query.QueryServiceClient,
  request: query.GetEventsRequest,
  deadlineMs = 30_000,
): Promise<query.GetEventsResponse> {
  return new Promise((resolve, reject) =>
    client.getEvents(request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** Whether `error` is a gRPC status error; `code` narrows it to one status. */
export function isGrpcError(error: unknown, code?: status): error is ServiceError {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'number' &&
    (code === undefined || error.code === code)
  );
}

/** The status name of a gRPC error (`UNAVAILABLE`), or `not a gRPC error` for anything else. */
export function statusName(error: unknown): string {
  return isGrpcError(error) ? (status[error.code] ?? String(error.code)) : 'not a gRPC error';
}

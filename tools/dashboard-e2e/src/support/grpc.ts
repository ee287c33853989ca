import { credentials, Metadata, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { collector, query, type Timestamp } from '@message-bus/proto';

const deadlineMs = 30_000;
/** Answers of a few thousand estimates stay far below this. */
const maxReceiveBytes = 64 * 1024 * 1024;

export interface GrpcClients {
  readonly collector: collector.CollectorServiceClient;
  readonly query: query.QueryServiceClient;
  /** Sent as `authorization: Bearer …` when the server has a token. */
  readonly metadata: () => Metadata;
  close(): void;
}

/** Plaintext clients of a cqserver's collector and query services on loopback. */
export function grpcClients(collectorAddress: string, queryAddress: string, token?: string): GrpcClients {
  const collectorClient = new collector.CollectorServiceClient(collectorAddress, credentials.createInsecure());
  const queryClient = new query.QueryServiceClient(queryAddress, credentials.createInsecure(), {
    'grpc.max_receive_message_length': maxReceiveBytes,
  });
  return {
    collector: collectorClient,
    query: queryClient,
    metadata: () => {
      const metadata = new Metadata();
      if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
      return metadata;
    },
    close: () => {
      collectorClient.close();
      queryClient.close();
    },
  };
}

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  done: (error: ServiceError | null, response: Response) => void,
) => unknown;

/** One unary call with the clients' metadata and a 30 s deadline. */
export function unary<Request, Response>(
  clients: GrpcClients,
  method: UnaryMethod<Request, Response>,
  request: Request,
): Promise<Response> {
  return new Promise((resolve, reject) =>
    method(request, clients.metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

export function timestampOfMillis(millis: number): Timestamp {
  const seconds = Math.floor(millis / 1000);
  return { seconds: BigInt(seconds), nanos: (millis - seconds * 1000) * 1_000_000 };
}

export function millisOfTimestamp(timestamp: Timestamp | undefined): number {
  if (timestamp === undefined) throw new Error('a timestamp the test needs is missing');
  return Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000);
}

/** GetTravelTimes of one link, `after` inclusive and `before` exclusive (ms), oldest first. */
export async function linkTravelTimes(
  clients: GrpcClients,
  link: { readonly source: string; readonly destination: string },
  afterMs: number,
  beforeMs: number,
): Promise<query.TravelTimeEstimate[]> {
  const answer = await unary(clients, clients.query.getTravelTimes.bind(clients.query), {
    links: { selector: { $case: 'link', value: { sourceDetectorId: link.source, destDetectorId: link.destination } } },
    range: { after: timestampOfMillis(afterMs), before: timestampOfMillis(beforeMs) },
    limit: 100_000n,
  } as query.GetTravelTimesRequest);
  return answer.estimates;
}

/**
 * RecomputeTravelTimes of every link over [afterMs, beforeMs), resolved once the workers
 * finished it: from then on the range's estimates are those of every sighting sent before.
 */
export function recomputeEveryLink(clients: GrpcClients, afterMs: number, beforeMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = clients.query.recomputeTravelTimes(
      {
        links: { selector: { $case: 'all', value: true } },
        range: { after: timestampOfMillis(afterMs), before: timestampOfMillis(beforeMs) },
      },
      clients.metadata(),
      { deadline: Date.now() + 240_000 },
    );
    let done = false;
    call.on('data', (progress: query.RecomputeTravelTimesProgress) => (done ||= progress.done));
    call.on('error', reject);
    call.on('end', () => (done ? resolve() : reject(new Error('recompute ended without its last message'))));
  });
}

export async function listDetectors(clients: GrpcClients): Promise<query.DetectorSummary[]> {
  const answer = await unary(clients, clients.query.listDetectors.bind(clients.query), {
    pageSize: 10_000,
    pageToken: '',
  });
  return answer.detectors;
}

export async function listOpenAlerts(clients: GrpcClients): Promise<query.Alert[]> {
  const answer = await unary(clients, clients.query.listAlerts.bind(clients.query), {
    range: undefined,
    kinds: [],
    minSeverity: query.AlertSeverity.ALERT_SEVERITY_UNSPECIFIED,
    openOnly: true,
    pageSize: 1000,
    pageToken: '',
  });
  return answer.alerts;
}

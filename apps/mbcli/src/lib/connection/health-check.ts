import {
  makeGenericClientConstructor,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import {
  channelCredentials,
  clientOptions,
  collectorTarget,
  queryTarget,
  type ConnectionSettings,
} from './grpc-connection';
import { describeServiceError, type ServiceTarget } from './service-error';

const CHECK_TIMEOUT_MS = 5_000;
const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

interface HealthClient extends Client {
  check(
    request: { service: string },
    options: { deadline: number },
    callback: (error: ServiceError | null, response?: { status: number | string }) => void,
  ): void;
}
const HealthClient = makeGenericClientConstructor(
  healthServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (address: string, creds: ChannelCredentials, options: ClientOptions) => HealthClient;

export interface HealthReport {
  readonly service: string;
  readonly host: string;
  /** SERVING, NOT_SERVING, ... as grpc.health.v1 names it, or UNREACHABLE. */
  readonly status: string;
  /** Why it is not SERVING, in a line, when the check itself failed. */
  readonly problem?: string;
}

/** grpc.health.v1 Check of each service on the host it is configured at. */
export async function checkServices(settings: ConnectionSettings): Promise<HealthReport[]> {
  const targets: [ServiceTarget, string][] = [
    [collectorTarget(settings), 'collector.CollectorService'],
    [queryTarget(settings), 'query.QueryService'],
  ];
  return Promise.all(targets.map(([target, serviceName]) => checkOne(settings, target, serviceName)));
}

function checkOne(
  settings: ConnectionSettings,
  target: ServiceTarget,
  serviceName: string,
): Promise<HealthReport> {
  const client = new HealthClient(
    target.host,
    channelCredentials(settings),
    clientOptions(settings, target.service),
  );
  return new Promise<HealthReport>((resolve) =>
    client.check({ service: serviceName }, { deadline: Date.now() + CHECK_TIMEOUT_MS }, (error, response) => {
      client.close();
      if (error) {
        resolve({
          service: serviceName,
          host: target.host,
          status: 'UNREACHABLE',
          problem: describeServiceError(target, error),
        });
        return;
      }
      const status = response?.status;
      resolve({
        service: serviceName,
        host: target.host,
        status: typeof status === 'string' ? status : (STATUS_NAMES[status ?? 0] ?? 'UNKNOWN'),
      });
    }),
  );
}

import {
  credentials,
  InterceptingCall,
  Metadata,
  type CallOptions,
  type ClientOptions,
  type Interceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { collector, query } from '@message-bus/proto';
import { ServiceCallError, type ServiceTarget } from './service-error';

/** How long one unary call may take before the operator is told the server did not answer. */
const CALL_TIMEOUT_MS = 15_000;

export interface ConnectionSettings {
  readonly collectorHost: string;
  readonly queryHost: string;
  /** Sent as `authorization: Bearer <token>` on every call when given. */
  readonly token?: string | undefined;
}

function bearerToken(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

function clientOptions(settings: ConnectionSettings): ClientOptions {
  return settings.token ? { interceptors: [bearerToken(settings.token)] } : {};
}

export function collectorClient(settings: ConnectionSettings): collector.CollectorServiceClient {
  return new collector.CollectorServiceClient(
    settings.collectorHost,
    credentials.createInsecure(),
    clientOptions(settings),
  );
}

export function queryClient(settings: ConnectionSettings): query.QueryServiceClient {
  return new query.QueryServiceClient(
    settings.queryHost,
    credentials.createInsecure(),
    clientOptions(settings),
  );
}

export function collectorTarget(settings: ConnectionSettings): ServiceTarget {
  return { service: 'collector', host: settings.collectorHost };
}

export function queryTarget(settings: ConnectionSettings): ServiceTarget {
  return { service: 'query', host: settings.queryHost };
}

type Callback<Response> = (error: ServiceError | null, response: Response) => void;

/**
 * One unary call with a deadline; a failure becomes a ServiceCallError that says, in
 * one line, which server failed and what to try.
 */
export function unaryCall<Response>(
  target: ServiceTarget,
  start: (metadata: Metadata, options: CallOptions, callback: Callback<Response>) => unknown,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    start(new Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) =>
      error ? reject(new ServiceCallError(target, error)) : resolve(response),
    );
  });
}

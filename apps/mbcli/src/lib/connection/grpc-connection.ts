import {
  credentials,
  InterceptingCall,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ClientOptions,
  type Interceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { collector, query } from '@message-bus/proto';
import { ServiceCallError, type ServiceTarget } from './service-error';
import type { TlsSettings } from './tls';

/** How long one unary call may take before the operator is told the server did not answer. */
const CALL_TIMEOUT_MS = 15_000;

export interface ConnectionSettings {
  readonly collectorHost: string;
  readonly queryHost: string;
  /** Sent as `authorization: Bearer <token>` on every collector call when given. */
  readonly collectorToken?: string | undefined;
  /** Sent as `authorization: Bearer <token>` on every query call when given. */
  readonly queryToken?: string | undefined;
  /** TLS to both services when given; plaintext otherwise. */
  readonly tls?: TlsSettings | undefined;
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

/** TLS credentials (the given CA, else the system's roots) or plaintext. */
export function channelCredentials(settings: ConnectionSettings): ChannelCredentials {
  return settings.tls === undefined
    ? credentials.createInsecure()
    : credentials.createSsl(settings.tls.rootCerts ?? null);
}

/** The channel options a client of one service needs: the TLS name to check, that service's token. */
export function clientOptions(
  settings: ConnectionSettings,
  service: ServiceTarget['service'],
): ClientOptions {
  const serverName = settings.tls?.serverName;
  const token = service === 'collector' ? settings.collectorToken : settings.queryToken;
  return {
    ...(serverName === undefined
      ? {}
      : { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName }),
    ...(token ? { interceptors: [bearerToken(token)] } : {}),
  };
}

export function collectorClient(settings: ConnectionSettings): collector.CollectorServiceClient {
  return new collector.CollectorServiceClient(
    settings.collectorHost,
    channelCredentials(settings),
    clientOptions(settings, 'collector'),
  );
}

export function queryClient(settings: ConnectionSettings): query.QueryServiceClient {
  return new query.QueryServiceClient(
    settings.queryHost,
    channelCredentials(settings),
    clientOptions(settings, 'query'),
  );
}

export function collectorTarget(settings: ConnectionSettings): ServiceTarget {
  return { service: 'collector', host: settings.collectorHost, tls: settings.tls !== undefined };
}

export function queryTarget(settings: ConnectionSettings): ServiceTarget {
  return { service: 'query', host: settings.queryHost, tls: settings.tls !== undefined };
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

import {
  credentials,
  InterceptingCall,
  Metadata,
  status,
  type CallOptions,
  type ChannelCredentials,
  type ClientOptions,
  type Interceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { createSecureContext } from 'node:tls';

/**
 * How the dashboard reaches QueryService: the same choices mbcli offers (address, bearer
 * token, TLS with an optional CA and server name). The token stays here, on the server:
 * the browser never sees it.
 */
export interface QueryConnection {
  /** gRPC target, e.g. `localhost:8000`. */
  readonly address: string;
  /** Sent as `authorization: Bearer <token>` on every call when given. */
  readonly token?: string | undefined;
  /** TLS when given; plaintext otherwise. */
  readonly tls?: QueryTls | undefined;
}

export interface QueryTls {
  /** PEM CA certificates trusted instead of the system's roots. */
  readonly rootCerts?: Buffer | undefined;
  /** The name the server certificate must hold, instead of the address's host. */
  readonly serverName?: string | undefined;
  /**
   * Trust exactly this certificate chain (PEM), whatever names it holds: cqserver's own
   * query port on loopback, served with the process's own certificate, which need not
   * name 127.0.0.1 nor be signed by a CA this process trusts.
   */
  readonly ownCertificate?: Buffer | undefined;
}

/** A unary call that takes longer is reported as the query service not answering. */
export const QUERY_CALL_TIMEOUT_MS = 15_000;

function bearerToken(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

function channelCredentials(tls: QueryTls | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  if (tls.ownCertificate !== undefined) {
    // The certificate itself is the trust anchor (a partial chain), so its names do not matter.
    const context = createSecureContext({ ca: tls.ownCertificate, allowPartialTrustChain: true });
    return credentials.createFromSecureContext(context, { checkServerIdentity: () => undefined });
  }
  return credentials.createSsl(tls.rootCerts ?? null);
}

export function createQueryClient(connection: QueryConnection): query.QueryServiceClient {
  // Its own certificate's names are not checked; a name keeps Node from sending an IP as SNI.
  const serverName =
    connection.tls?.serverName ?? (connection.tls?.ownCertificate === undefined ? undefined : 'localhost');
  const options: ClientOptions = {
    ...(serverName === undefined
      ? {}
      : { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName }),
    ...(connection.token === undefined ? {} : { interceptors: [bearerToken(connection.token)] }),
  };
  return new query.QueryServiceClient(connection.address, channelCredentials(connection.tls), options);
}

type Callback<Response> = (error: ServiceError | null, response: Response) => void;

/** One unary call with a deadline, as a promise; a failure rejects with the ServiceError. */
export function unaryCall<Response>(
  start: (metadata: Metadata, options: CallOptions, callback: Callback<Response>) => unknown,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    start(new Metadata(), { deadline: Date.now() + QUERY_CALL_TIMEOUT_MS }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/** The HTTP answer for a failed QueryService call: what the browser may know of it, in one line. */
export function httpFailure(error: unknown): { readonly statusCode: number; readonly message: string } {
  if (!isServiceError(error)) return { statusCode: 500, message: 'internal error' };
  const details = (error.details || error.message).split('\n')[0] ?? '';
  switch (error.code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return { statusCode: 400, message: details };
    case status.NOT_FOUND:
      return { statusCode: 404, message: details };
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
    case status.RESOURCE_EXHAUSTED:
      return { statusCode: 503, message: 'the query service cannot be reached; try again shortly' };
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      // The operator's problem (dashboard_query_token), not the browser's: no detail leaks.
      return {
        statusCode: 502,
        message: 'the query service refused the dashboard (check dashboard_query_token)',
      };
    default:
      return { statusCode: 502, message: `the query service failed (${status[error.code] ?? error.code})` };
  }
}

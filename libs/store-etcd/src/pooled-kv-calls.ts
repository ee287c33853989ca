import type { CallOptions, Client, Metadata } from '@grpc/grpc-js';
import type { IPolicy } from 'cockatiel';
import type { Etcd3 } from 'etcd3';

/** The `etcdserverpb.KV` methods this lib calls with its own request or response coding. */
export type KvMethod = 'Range' | 'Txn';

/** How a call's request and response are turned into and out of bytes. */
export interface KvCoding<Request, Response> {
  /** The request's bytes; undefined takes etcd3's own encoder for the method. */
  readonly encode?: (request: Request) => Buffer;
  readonly decode: (bytes: Buffer) => Response;
}

/**
 * A unary KV call through etcd3's connection pool (its host choice, credentials, auth
 * metadata, circuit breakers and retry policy, and its mapping of gRPC errors to
 * `Etcd*Error`s), with the bytes coded by the caller instead of by etcd3.
 *
 * The pool is etcd3 1.1's `ConnectionPool`, which etcd3 keeps `protected`; the calls
 * used are the ones its own `exec` makes. Unlike `exec`, this does not renew an expired
 * auth token: a caller that gets `EtcdInvalidAuthTokenError` repeats the call through
 * etcd3's own method, whose `exec` renews it.
 */
export function pooledKvCall<Request, Response>(
  client: Etcd3,
  method: KvMethod,
  coding: KvCoding<Request, Response>,
): (request: Request, options: CallOptions) => Promise<Response> {
  const pool = (client as unknown as { readonly pool: EtcdConnectionPool }).pool;
  const call = (request: Request, options: CallOptions) =>
    pool.withConnection('KV', ({ client: kv, metadata }) => {
      const { path, requestSerialize } = kv[method];
      return new Promise<Response>((resolve, reject) =>
        kv.makeUnaryRequest(
          path,
          coding.encode ?? requestSerialize,
          coding.decode,
          request,
          metadata,
          options,
          (error, response) => (error ? reject(error) : resolve(response!)),
        ),
      );
    });
  return (request, options) => pool.globalPolicy.execute(() => call(request, options));
}

/** The members of etcd3's `ConnectionPool` that `exec` uses. */
interface EtcdConnectionPool {
  /** The client's `faultHandling.global` (see `EtcdFaultHandling`), or etcd3's default retry. */
  readonly globalPolicy: IPolicy;
  withConnection<T>(
    service: 'KV',
    fn: (connection: { client: KvServiceClient; metadata: Metadata }) => Promise<T>,
  ): Promise<T>;
}

/** etcd3's generated `etcdserverpb.KV` client: each method carries its path and request encoder. */
type KvServiceClient = Client & {
  readonly [method in KvMethod]: { readonly path: string; requestSerialize(request: unknown): Buffer };
};

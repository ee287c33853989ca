import {
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptor,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { formatAddress, type Address } from './address';
import { metricsInterceptor } from './interceptors';
import type { Logger } from './logger';
import type { ServerMetrics } from './metrics';
import type { TlsFiles } from './tls';
import { undecodableRequestInterceptor, withTolerantDeserializers } from './undecodable-requests';

/** A service to serve: a definition and its handlers, or anything with `addToServer` (health, reflection). */
export type ServiceRegistration =
  | { readonly definition: ServiceDefinition; readonly implementation: UntypedServiceImplementation }
  | { addToServer(server: Server): void };

export interface GrpcServerOptions {
  /** What the port serves, as its log lines name it: `query.QueryService`, `grpc.health.v1.Health`. */
  readonly name: string;
  readonly address: Address;
  readonly services: readonly ServiceRegistration[];
  /**
   * Records every call in these metrics (the gRPC Prometheus convention), ahead of the
   * `interceptors` so calls they reject count too; every method of every service added
   * starts with its series at 0.
   */
  readonly metrics?: ServerMetrics;
  /** Applied first-to-last from the network inwards. */
  readonly interceptors?: readonly ServerInterceptor[];
  /** Serve TLS with this certificate; plaintext without. */
  readonly tls?: TlsFiles;
  /** Largest request message accepted (grpc-js default: 4 MiB); larger ones fail with RESOURCE_EXHAUSTED. */
  readonly maxReceiveMessageBytes?: number;
  readonly logger: Logger;
  /**
   * Log `gRPC server listening`; default true. A server's worker processes share their
   * ports (`--workers`): the first one says so for all.
   */
  readonly announce?: boolean;
}

export interface RunningGrpcServer {
  readonly server: Server;
  /** The bound port; the one the system chose when the address asked for port 0. */
  readonly port: number;
  /**
   * Stops accepting calls and lets in-flight ones finish; after `graceMs` the rest
   * are cancelled. Resolves `'drained'` or `'forced'`. Calling it again returns the same promise.
   */
  shutdown(graceMs: number): Promise<'drained' | 'forced'>;
}

/**
 * A grpc-js Server whose every service, `addToServer` ones too, answers undecodable requests
 * with INVALID_ARGUMENT and, with metrics, has its methods' series initialised.
 */
class TolerantServer extends Server {
  readonly #metrics: ServerMetrics | undefined;

  constructor(options: ConstructorParameters<typeof Server>[0], metrics: ServerMetrics | undefined) {
    super(options);
    this.#metrics = metrics;
  }

  override addService(service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    super.addService(withTolerantDeserializers(service), implementation);
    this.#metrics?.initialiseGrpcService(service);
  }
}

/** The start of the status grpc-js sends for a `grpc-timeout` header it cannot read (1.14). */
const GRPC_JS_INVALID_TIMEOUT = 'Invalid grpc-timeout value ';

/**
 * Answers a malformed `grpc-timeout` header with INVALID_ARGUMENT. grpc-js reads the
 * header before any interceptor and, when it cannot, sends INTERNAL itself on the next
 * tick, straight from the call this interceptor gets first; so this interceptor wraps
 * that call's `sendStatus` and re-codes that one status. INTERNAL would blame the server
 * for the client's header; the gRPC status-code table names no code for this case (grpc-go
 * says INTERNAL too), and INVALID_ARGUMENT is what the rest of this server answers for
 * bytes a client got wrong. It must come first: later interceptors get wrapped calls.
 */
export const invalidTimeoutInterceptor: ServerInterceptor = (_method, call) => {
  const sendStatus = call.sendStatus.bind(call);
  call.sendStatus = (status) =>
    sendStatus(
      status.code === GrpcStatus.INTERNAL && status.details.startsWith(GRPC_JS_INVALID_TIMEOUT)
        ? {
            ...status,
            code: GrpcStatus.INVALID_ARGUMENT,
            details:
              `grpc-timeout: ${status.details.slice(GRPC_JS_INVALID_TIMEOUT.length)} is not a timeout; ` +
              'expected 1 to 8 digits and a unit (H, M, S, m, u or n), e.g. 500m',
          }
        : status,
    );
  return new ServerInterceptingCall(call);
};

/**
 * Builds a grpc-js server with the services and interceptors, binds it, and returns it
 * running. A request message that cannot be decoded, and a malformed `grpc-timeout`
 * header, are answered with INVALID_ARGUMENT (grpc-js alone would say INTERNAL). A gzip
 * message that cannot be decompressed stays INTERNAL, grpc-js's answer: the gRPC status
 * code table (doc/statuscodes.md) prescribes INTERNAL for "could not decompress, but
 * compression algorithm supported".
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new TolerantServer(
    {
      interceptors: [
        invalidTimeoutInterceptor,
        ...(options.metrics === undefined ? [] : [metricsInterceptor(options.metrics)]),
        ...(options.interceptors ?? []),
        undecodableRequestInterceptor,
      ],
      ...(options.maxReceiveMessageBytes === undefined
        ? {}
        : { 'grpc.max_receive_message_length': options.maxReceiveMessageBytes }),
    },
    options.metrics,
  );
  for (const service of options.services) {
    if ('addToServer' in service) {
      service.addToServer(server);
    } else {
      server.addService(service.definition, service.implementation);
    }
  }
  const credentials =
    options.tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(
          null,
          [{ cert_chain: options.tls.certChain, private_key: options.tls.privateKey }],
          false,
        );
  const target = formatAddress(options.address);
  const port = await new Promise<number>((resolve, reject) => {
    // On failure nothing is bound; forceShutdown releases what the server set up.
    server.bindAsync(target, credentials, (error, boundPort) => {
      if (error === null) {
        resolve(boundPort);
      } else {
        server.forceShutdown();
        reject(new Error(`cannot listen on ${target}: ${error.message}`, { cause: error }));
      }
    });
  });
  if (options.announce !== false) {
    options.logger.info(
      {
        service: options.name,
        address: formatAddress({ host: options.address.host, port }),
        tls: options.tls !== undefined,
      },
      'gRPC server listening',
    );
  }

  let stopping: Promise<'drained' | 'forced'> | undefined;
  const shutdown = (graceMs: number): Promise<'drained' | 'forced'> => {
    stopping ??= new Promise((resolve) => {
      const forceTimer = setTimeout(() => {
        options.logger.warn(
          { service: options.name, port, graceMs },
          'gRPC calls still running after the grace period; cancelling them',
        );
        server.forceShutdown();
        resolve('forced');
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(forceTimer);
        resolve('drained');
      });
    });
    return stopping;
  };
  return { server, port, shutdown };
}

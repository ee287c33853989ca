import { Server, ServerCredentials } from '@grpc/grpc-js';
import { collector } from '@message-bus/proto';

/** A gRPC server on loopback, started by `startNoopCollector`. */
export interface NoopCollector {
  /** `host:port`; e.g. `127.0.0.1:40123`. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * A CollectorService whose CreateEventLog answers OK at once and stores nothing: what
 * grpc-js alone costs per call, so the unary shapes can be set against the most any
 * server on this machine could answer with the same load generator. The other methods
 * answer UNIMPLEMENTED.
 */
export async function startNoopCollector(): Promise<NoopCollector> {
  const server = new Server();
  const createEventLog: collector.CollectorServiceServer['createEventLog'] = (_call, callback) =>
    callback(null, {});
  server.addService(collector.CollectorServiceService, { createEventLog });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

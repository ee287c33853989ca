import {
  credentials as clientCredentials,
  makeGenericClientConstructor,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { createLogger, toGrpcError, type Logger } from '../src';

/**
 * A tiny JSON-serialised gRPC service for the tests: unary Echo, client-streaming
 * Sum and server-streaming Count, each handled by a function the test supplies.
 */

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8'),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8')),
};

function method(service: string, name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/${service}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
}

/** The Echo service definition under a full service name (default `test.EchoService`). */
export function echoServiceDefinition(service = 'test.EchoService') {
  return {
    Echo: method(service, 'Echo', false, false),
    Sum: method(service, 'Sum', true, false),
    Count: method(service, 'Count', false, true),
  } satisfies ServiceDefinition;
}

export interface EchoHandlers {
  echo?: (text: string) => Promise<string>;
  /** Called for every Count message before it is written; may wait. */
  beforeCountMessage?: (n: number) => Promise<void>;
}

/** Handlers that send every failure through toGrpcError, as real services do. */
export function echoImplementation(
  logger: Logger,
  handlers: EchoHandlers = {},
): UntypedServiceImplementation {
  const echo: handleUnaryCall<{ text: string }, { text: string }> = (call, callback) => {
    (handlers.echo ?? (async (text) => text))(call.request.text).then(
      (text) => callback(null, { text }),
      (error: unknown) => callback(toGrpcError(error, logger)),
    );
  };
  const sum: handleClientStreamingCall<{ n: number }, { total: number }> = (call, callback) => {
    let total = 0;
    call.on('data', (message: { n: number }) => {
      total += message.n;
    });
    call.on('end', () => callback(null, { total }));
  };
  const count: handleServerStreamingCall<{ to: number }, { n: number }> = async (call) => {
    for (let n = 1; n <= call.request.to && !call.cancelled; n += 1) {
      await handlers.beforeCountMessage?.(n);
      call.write({ n });
    }
    call.end();
  };
  return { Echo: echo, Sum: sum, Count: count };
}

interface GenericEchoClient {
  Echo(
    request: { text: string },
    metadata: Metadata,
    options: CallOptions,
    callback: (error: ServiceError | null, reply?: { text: string }) => void,
  ): void;
  Sum(
    metadata: Metadata,
    callback: (error: ServiceError | null, reply?: { total: number }) => void,
  ): ClientWritableStream<{ n: number }>;
  Count(request: { to: number }, metadata: Metadata): ClientReadableStream<{ n: number }>;
  close(): void;
}

export class EchoClient {
  private readonly client: GenericEchoClient;

  constructor(
    target: string,
    options: { credentials?: ChannelCredentials; service?: string; channelOptions?: ChannelOptions } = {},
  ) {
    const Client = makeGenericClientConstructor(echoServiceDefinition(options.service), 'EchoService');
    this.client = new Client(
      target,
      options.credentials ?? clientCredentials.createInsecure(),
      options.channelOptions,
    ) as unknown as GenericEchoClient;
  }

  echo(text: string, metadata: Metadata = new Metadata(), options: CallOptions = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.Echo({ text }, metadata, options, (error, reply) =>
        error === null ? resolve(reply?.text ?? '') : reject(error),
      );
    });
  }

  sum(values: readonly number[], metadata: Metadata = new Metadata()): Promise<number> {
    return new Promise((resolve, reject) => {
      const stream = this.client.Sum(metadata, (error, reply) =>
        error === null ? resolve(reply?.total ?? 0) : reject(error),
      );
      for (const n of values) {
        stream.write({ n });
      }
      stream.end();
    });
  }

  /** Starts a Count stream; the caller reads or cancels it. */
  count(to: number, metadata: Metadata = new Metadata()): ClientReadableStream<{ n: number }> {
    return this.client.Count({ to }, metadata);
  }

  close(): void {
    this.client.close();
  }
}

/** Collects every message of a server stream; rejects with its error status. */
export function readAll<T>(stream: ClientReadableStream<T> | ClientDuplexStream<unknown, T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const messages: T[] = [];
    stream.on('data', (message: T) => messages.push(message));
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

/** The rejection of a call, asserted to be a gRPC ServiceError. */
export async function callError(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A logger whose JSON lines are kept in memory for assertions. */
export function memoryLogger(name = 'test'): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ name, level: 'debug', destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Bearer metadata for a call. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Polls until `check` returns true; fails after a generous bound (never a timing assertion). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

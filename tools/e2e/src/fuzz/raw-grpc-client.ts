import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status as GrpcStatus,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';

/**
 * Calls the RPCs of a service definition with request payloads given as bytes, so the
 * caller controls each frame exactly, and reports how each call ended.
 */

/** An RPC of a service definition, with what the fuzzer needs to call it. */
export interface RpcMethod {
  /** The key in the definition (and on the generic client), e.g. `createEventLog`. */
  readonly key: string;
  /** e.g. `/collector.CollectorService/CreateEventLog`. */
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** How a call ended: its status, or for a server stream that the first message arrived. */
export interface CallOutcome {
  readonly code: GrpcStatus;
  readonly details: string;
  /** A server stream sent at least one message before the fuzzer cancelled it. */
  readonly streamedMessage: boolean;
}

export interface RawCallOptions {
  /** Safety limit of any call; a call that reaches it ends DEADLINE_EXCEEDED. */
  readonly deadlineMs: number;
  /** A server stream still quiet after this long is cancelled (a live follow never ends). */
  readonly streamSliceMs: number;
}

const identity = (bytes: Buffer): Buffer => bytes;

type UnaryRaw = (
  request: Buffer,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null) => void,
) => void;
type ClientStreamRaw = (
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null) => void,
) => ClientWritableStream<Buffer>;
type ServerStreamRaw = (
  request: Buffer,
  metadata: Metadata,
  options: { deadline: number },
) => ClientReadableStream<Buffer>;
type DuplexRaw = (metadata: Metadata, options: { deadline: number }) => ClientDuplexStream<Buffer, Buffer>;

/**
 * Response streams cancelled per connection before the client moves to a new one. The
 * server's HTTP/2 stack (nghttp2) guards against "rapid reset" floods (CVE-2023-44487)
 * by closing a connection with INTERNAL_ERROR once a client keeps cancelling streams
 * faster than about 33 a second after a burst of 1,000; the fuzzer cancels every stream
 * it opens, so it stays under the burst on each connection.
 */
const STREAM_CALLS_PER_CONNECTION = 500;

type RawClient = Client & Record<string, unknown>;

export class RawGrpcClient {
  readonly methods: readonly RpcMethod[];
  private readonly Constructor: new (...args: ConstructorParameters<typeof Client>) => Client;
  private readonly client: RawClient;
  private streamClient: RawClient;
  private streamCallsOnConnection = 0;
  /** Calls still running on each response-stream client, so a retired one is closed once they end. */
  private readonly callsInFlight = new Map<RawClient, number>();

  constructor(
    definition: ServiceDefinition,
    private readonly address: string,
  ) {
    const rawDefinition: ServiceDefinition = Object.fromEntries(
      Object.entries(definition).map(([key, method]) => [
        key,
        { ...method, requestSerialize: identity, responseDeserialize: identity },
      ]),
    );
    this.methods = Object.entries(definition).map(([key, method]) => ({
      key,
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
    }));
    this.Constructor = makeGenericClientConstructor(rawDefinition, 'RawFuzzClient');
    this.client = this.connect();
    this.streamClient = this.connect();
  }

  /** A client on its own connection (grpc-js would otherwise share one among equal channels). */
  private connect(): RawClient {
    return new this.Constructor(this.address, credentials.createInsecure(), {
      // Answers may be large (GetEvents of a busy detector); only requests are under test.
      'grpc.max_receive_message_length': -1,
      'grpc.use_local_subchannel_pool': 1,
    }) as RawClient;
  }

  /** The client for the next call; response streams move to a fresh connection every so often. */
  private clientFor(method: RpcMethod): RawClient {
    if (!method.responseStream) return this.client;
    if (this.streamCallsOnConnection === STREAM_CALLS_PER_CONNECTION) {
      const retired = this.streamClient;
      this.streamClient = this.connect();
      this.streamCallsOnConnection = 0;
      if ((this.callsInFlight.get(retired) ?? 0) === 0) retired.close();
    }
    this.streamCallsOnConnection += 1;
    return this.streamClient;
  }

  private async tracked(client: RawClient, call: Promise<CallOutcome>): Promise<CallOutcome> {
    if (client === this.client) return call;
    this.callsInFlight.set(client, (this.callsInFlight.get(client) ?? 0) + 1);
    try {
      return await call;
    } finally {
      const left = (this.callsInFlight.get(client) ?? 1) - 1;
      this.callsInFlight.set(client, left);
      if (left === 0 && client !== this.streamClient) {
        this.callsInFlight.delete(client);
        client.close();
      }
    }
  }

  /**
   * Sends `frames` (exactly one for a unary or server-streaming RPC) and resolves how
   * the call ended; a response stream is cancelled at its first message or after the slice.
   */
  call(method: RpcMethod, frames: readonly Buffer[], options: RawCallOptions): Promise<CallOutcome> {
    const client = this.clientFor(method);
    return this.tracked(client, this.send(client, method, frames, options));
  }

  private send(
    client: RawClient,
    method: RpcMethod,
    frames: readonly Buffer[],
    options: RawCallOptions,
  ): Promise<CallOutcome> {
    const deadline = Date.now() + options.deadlineMs;
    const bound = (client[method.key] as (...args: unknown[]) => unknown).bind(client);
    if (method.requestStream && !method.responseStream) {
      return new Promise((resolve) => {
        const stream = (bound as ClientStreamRaw)(new Metadata(), { deadline }, (error) =>
          resolve(outcomeOf(error, false)),
        );
        // Writes after the server already answered are dropped by grpc-js; the status stands.
        stream.on('error', () => undefined);
        for (const frame of frames) stream.write(frame);
        stream.end();
      });
    }
    if (method.responseStream) {
      return new Promise((resolve) => {
        let stream: ClientReadableStream<Buffer> | ClientDuplexStream<Buffer, Buffer>;
        if (method.requestStream) {
          const duplex = (bound as DuplexRaw)(new Metadata(), { deadline });
          for (const frame of frames) duplex.write(frame);
          duplex.end();
          stream = duplex;
        } else {
          stream = (bound as ServerStreamRaw)(onlyFrame(method, frames), new Metadata(), { deadline });
        }
        let streamedMessage = false;
        const slice = setTimeout(() => stream.cancel(), options.streamSliceMs);
        stream.on('data', () => {
          streamedMessage = true;
          stream.cancel();
        });
        stream.on('error', () => undefined);
        stream.on('status', (status: { code: GrpcStatus; details: string }) => {
          clearTimeout(slice);
          resolve({ code: status.code, details: status.details, streamedMessage });
        });
      });
    }
    const request = onlyFrame(method, frames);
    return new Promise((resolve) => {
      (bound as UnaryRaw)(request, new Metadata(), { deadline }, (error) => resolve(outcomeOf(error, false)));
    });
  }

  close(): void {
    this.client.close();
    this.streamClient.close();
  }
}

function onlyFrame(method: RpcMethod, frames: readonly Buffer[]): Buffer {
  const [request] = frames;
  if (request === undefined || frames.length !== 1) {
    throw new RangeError(`${method.path} takes exactly one request message, got ${frames.length}`);
  }
  return request;
}

function outcomeOf(error: ServiceError | null, streamedMessage: boolean): CallOutcome {
  return error === null
    ? { code: GrpcStatus.OK, details: '', streamedMessage }
    : { code: error.code, details: error.details, streamedMessage };
}

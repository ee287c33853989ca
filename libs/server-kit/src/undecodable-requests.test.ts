import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status as GrpcStatus,
  type Client,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  callError,
  EchoClient,
  echoImplementation,
  echoServiceDefinition,
  memoryLogger,
  readAll,
} from '../test/echo-service';
import { startGrpcServer } from './grpc-server';
import { ServerMetrics } from './metrics';
import { startMetricsServer } from './metrics-server';

const LOOPBACK = { host: '127.0.0.1', port: 0 };
/** Not JSON, so the echo service's deserializer throws on it. */
const GARBAGE = Buffer.from([0xff, 0x00, 0x7b]);
const JSON_REASON = /\/test\.EchoService\/\w+: the request message cannot be decoded \(.*JSON.*\)/;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const identity = (bytes: Buffer): Buffer => bytes;

/** An echo client that sends the given bytes as they are, so a test controls the frame payload. */
interface RawEchoClient extends Client {
  Echo(request: Buffer, metadata: Metadata, callback: (error: ServiceError | null) => void): void;
  Sum(metadata: Metadata, callback: (error: ServiceError | null) => void): ClientWritableStream<Buffer>;
  Count(request: Buffer, metadata: Metadata): ClientReadableStream<Buffer>;
}

function rawEchoClient(port: number, service = 'test.EchoService'): RawEchoClient {
  const raw = (name: string, requestStream: boolean, responseStream: boolean) => ({
    path: `/${service}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  });
  const Constructor = makeGenericClientConstructor(
    { Echo: raw('Echo', false, false), Sum: raw('Sum', true, false), Count: raw('Count', false, true) },
    'RawEcho',
  );
  const client = new Constructor(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  ) as unknown as RawEchoClient;
  cleanups.push(() => client.close());
  return client;
}

function rawEcho(client: RawEchoClient, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    client.Echo(bytes, new Metadata(), (error) => (error === null ? resolve() : reject(error))),
  );
}

describe('undecodable request messages', () => {
  it('are answered INVALID_ARGUMENT with the reason, for unary and streaming calls, before a handler runs', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const { logger } = memoryLogger();
    const echoed: string[] = [];
    const running = await startGrpcServer({
      name: 'test.EchoService',
      address: LOOPBACK,
      services: [
        {
          definition: echoServiceDefinition(),
          implementation: echoImplementation(logger, {
            echo: async (text) => {
              echoed.push(text);
              return text;
            },
          }),
        },
      ],
      metrics,
      logger,
    });
    cleanups.push(() => running.shutdown(0));
    const http = await startMetricsServer(metrics, LOOPBACK, logger);
    cleanups.push(() => http.close());
    const client = rawEchoClient(running.port);

    const unary = await callError(rawEcho(client, GARBAGE));
    expect(unary.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(unary.details).toMatch(JSON_REASON);
    expect(echoed).toEqual([]);

    const summed = await callError(
      new Promise((resolve, reject) => {
        const stream = client.Sum(new Metadata(), (error) => (error === null ? resolve(0) : reject(error)));
        stream.write(Buffer.from(JSON.stringify({ n: 1 })));
        stream.write(GARBAGE);
        stream.end();
      }),
    );
    expect(summed.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(summed.details).toMatch(JSON_REASON);

    const counted = await callError(readAll(client.Count(GARBAGE, new Metadata())));
    expect(counted.code).toBe(GrpcStatus.INVALID_ARGUMENT);

    // The server still serves well-formed calls, and metrics count the rejections.
    expect(await rawEchoReply(running.port)).toBe('still here');
    const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
    for (const [method, type] of [
      ['Echo', 'unary'],
      ['Sum', 'client_stream'],
      ['Count', 'server_stream'],
    ]) {
      expect(text).toContain(
        `grpc_server_handled_total{grpc_type="${type}",grpc_service="test.EchoService",grpc_method="${method}",grpc_code="InvalidArgument"} 1`,
      );
    }
  });

  it('are answered INVALID_ARGUMENT by services added through addToServer too', async () => {
    const { logger } = memoryLogger();
    const running = await startGrpcServer({
      name: 'test.Other',
      address: LOOPBACK,
      services: [
        {
          addToServer: (server) =>
            server.addService(echoServiceDefinition('test.Other'), echoImplementation(logger)),
        },
      ],
      logger,
    });
    cleanups.push(() => running.shutdown(0));
    const error = await callError(rawEcho(rawEchoClient(running.port, 'test.Other'), GARBAGE));
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.details).toContain('/test.Other/Echo: the request message cannot be decoded');
  });
});

async function rawEchoReply(port: number): Promise<string> {
  const client = new EchoClient(`127.0.0.1:${port}`);
  cleanups.push(() => client.close());
  return client.echo('still here');
}

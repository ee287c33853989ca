import { status as GrpcStatus } from '@grpc/grpc-js';
import { connect, type ClientHttp2Session } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoImplementation, echoServiceDefinition, memoryLogger } from '../test/echo-service';
import { startGrpcServer, type RunningGrpcServer } from './grpc-server';

/** A gRPC length-prefixed message: the compressed flag, the length, the bytes. */
function frame(payload: Buffer, compressed: boolean): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(compressed ? 1 : 0, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** One Echo call as raw HTTP/2, so headers and frames are exactly the test's; resolves the status. */
function rawEcho(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ code: number; details: string }> {
  return new Promise((done, fail) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/test.EchoService/Echo',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    let result: { code: number; details: string } | undefined;
    const read = (received: Record<string, unknown>): void => {
      if (received['grpc-status'] !== undefined) {
        result = {
          code: Number(received['grpc-status']),
          details: decodeURIComponent(String(received['grpc-message'] ?? '')),
        };
      }
    };
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('data', () => undefined);
    stream.on('end', () => (result === undefined ? fail(new Error('no grpc-status')) : done(result)));
    stream.on('error', fail);
    stream.end(body);
  });
}

const ECHO_HI = Buffer.from(JSON.stringify({ text: 'hi' }));

describe('statuses of requests grpc-js rejects before any handler', () => {
  let server: RunningGrpcServer;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    const { logger } = memoryLogger();
    server = await startGrpcServer({
      name: 'test.EchoService',
      address: { host: '127.0.0.1', port: 0 },
      services: [{ definition: echoServiceDefinition(), implementation: echoImplementation(logger) }],
      logger,
    });
    session = connect(`http://127.0.0.1:${server.port}`);
  });
  afterAll(async () => {
    session.close();
    await server.shutdown(1_000);
  });

  it('answers a malformed grpc-timeout header with INVALID_ARGUMENT naming the header', async () => {
    for (const timeout of ['soon', '5X', 'S']) {
      expect(await rawEcho(session, { 'grpc-timeout': timeout }, frame(ECHO_HI, false))).toEqual({
        code: GrpcStatus.INVALID_ARGUMENT,
        details:
          `grpc-timeout: "${timeout}" is not a timeout; ` +
          'expected 1 to 8 digits and a unit (H, M, S, m, u or n), e.g. 500m',
      });
    }
    expect(await rawEcho(session, { 'grpc-timeout': '5S' }, frame(ECHO_HI, false))).toEqual({
      code: GrpcStatus.OK,
      details: 'OK',
    });
  });

  it('answers a gzip message that cannot be decompressed with INTERNAL, as the gRPC status table prescribes', async () => {
    // doc/statuscodes.md: "Could not decompress, but compression algorithm supported
    // (Client -> Server): INTERNAL". A valid gzip message goes through.
    const corrupt = gzipSync(ECHO_HI);
    corrupt.writeUInt32LE(0xdeadbeef, corrupt.length - 8); // the CRC-32
    expect(await rawEcho(session, { 'grpc-encoding': 'gzip' }, frame(corrupt, true))).toEqual({
      code: GrpcStatus.INTERNAL,
      details: 'Failed to decompress message',
    });
    expect(
      await rawEcho(session, { 'grpc-encoding': 'gzip' }, frame(Buffer.from('not gzip at all'), true)),
    ).toEqual({ code: GrpcStatus.INTERNAL, details: 'Failed to decompress message' });
    expect(await rawEcho(session, { 'grpc-encoding': 'gzip' }, frame(gzipSync(ECHO_HI), true))).toEqual({
      code: GrpcStatus.OK,
      details: 'OK',
    });
  });
});

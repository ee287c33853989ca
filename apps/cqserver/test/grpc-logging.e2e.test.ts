import { status } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from './server-process';

const COLLECTOR_TOKEN = 'collector-token-7d1e0c';
const QUERY_TOKEN = 'query-token-93af2b';

/** How a raw gRPC call over HTTP/2 ended: `grpc-status` from the trailers (or trailers-only headers). */
interface RawOutcome {
  readonly code: number | undefined;
  readonly message: string | undefined;
}

/**
 * One gRPC call sent as raw HTTP/2, so the authorization header can hold bytes grpc-js's
 * own client refuses to send (a tab, a non-ASCII byte). The body is an empty message.
 */
function rawCall(session: ClientHttp2Session, path: string, authorization: string): Promise<RawOutcome> {
  return new Promise((done, fail) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization,
    });
    let outcome: RawOutcome = { code: undefined, message: undefined };
    const read = (headers: Record<string, unknown>): void => {
      if (headers['grpc-status'] !== undefined) {
        outcome = { code: Number(headers['grpc-status']), message: String(headers['grpc-message'] ?? '') };
      }
    };
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('data', () => undefined);
    stream.on('end', () => done(outcome));
    stream.on('error', fail);
    stream.end(Buffer.alloc(5));
  });
}

describe('cqserver with tokens, sent authorization headers grpc-js cannot parse', () => {
  let dataDir: string;
  let server: ServerProcess;
  const stderr: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cqserver-grpc-logging-'));
    server = await ServerProcess.start([`--data_dir=${dataDir}`], {
      PRIVACY_KEY: 'a7'.repeat(32),
      COLLECTOR_TOKEN,
      QUERY_TOKEN,
    });
    server.child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('latin1')));
  });
  afterAll(async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers UNAUTHENTICATED and writes the token text to neither stdout nor stderr', async () => {
    const calls: [port: number, path: string, token: string][] = [
      [server.ports.collector, '/collector.CollectorService/CreateEventLog', COLLECTOR_TOKEN],
      [server.ports.query, '/query.QueryService/ListDetectors', QUERY_TOKEN],
    ];
    for (const [port, path, token] of calls) {
      const session = connect(`http://127.0.0.1:${port}`);
      try {
        for (const authorization of [
          `Bearer ${token}\tx`,
          `Bearer ${token}\u00ff`,
          `Bearer x\t${token}`,
          `${token}\u00e9`,
        ]) {
          const outcome = await rawCall(session, path, authorization);
          expect(outcome.code, `${path} with ${JSON.stringify(authorization)}`).toBe(status.UNAUTHENTICATED);
        }
      } finally {
        session.close();
      }
    }
    // Let the last log lines arrive.
    await new Promise((done) => setTimeout(done, 300));

    const stdout = server.logLines.join('\n');
    const errors = stderr.join('');
    for (const token of [COLLECTOR_TOKEN, QUERY_TOKEN]) {
      expect(stdout).not.toContain(token);
      expect(errors).not.toContain(token);
    }
    expect(errors).toBe('');
    // grpc-js's complaint is there, as a JSON line with the value cut out.
    const dropped = server.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry['source'] === 'grpc-js');
    expect(dropped.length).toBeGreaterThanOrEqual(8);
    expect(dropped[0]).toMatchObject({
      level: 'error',
      msg: 'Failed to add metadata entry authorization [redacted]',
    });
  });
});

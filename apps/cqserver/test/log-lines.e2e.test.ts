import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { collector } from '@message-bus/proto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ServerProcess } from './server-process';

const dataDir = mkdtempSync(join(tmpdir(), 'cqserver-log-lines-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const COLLECTOR_TOKEN = 'collector-secret';
const LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function entries(server: ServerProcess): Array<Record<string, unknown>> {
  return server.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A CreateEventLog call with `authorization` set as given (or not at all); resolves to its status code. */
function createEventLogAs(
  client: ReturnType<ServerProcess['collectorClient']>,
  authorization: string | undefined,
): Promise<number> {
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise<number>((done) =>
    client.createEventLog(collector.EventLog.fromPartial({}), metadata, (error: ServiceError | null) =>
      done(error?.code ?? GrpcStatus.OK),
    ),
  );
}

/** Stops the server and waits for its last line, so every line it wrote has been read. */
async function stopped(server: ServerProcess): Promise<Array<Record<string, unknown>>> {
  await server.terminate();
  await vi.waitFor(
    () => expect(entries(server).some((entry) => entry['msg'] === 'shutdown complete')).toBe(true),
    { timeout: 20_000, interval: 50 },
  );
  return entries(server);
}

describe('cqserver log lines', () => {
  it('name levels and listening services, give the generated key path once, and log refusals sparingly', async () => {
    // Two workers: the primary generates the key and logs it; the workers find it there.
    const first = await ServerProcess.start([`--data_dir=${dataDir}`, '--workers=2'], { COLLECTOR_TOKEN });
    const { ports } = first;
    // One client, so one connection and one worker (each worker throttles its own lines).
    const client = first.collectorClient();
    try {
      expect(await createEventLogAs(client, 'Bearer not-the-token')).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(await createEventLogAs(client, undefined)).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(await createEventLogAs(client, 'Bearer not-the-token')).toBe(GrpcStatus.UNAUTHENTICATED);
    } finally {
      client.close();
    }
    const lines = await stopped(first);

    expect(lines.filter((line) => !LEVEL_NAMES.includes(String(line['level'])))).toEqual([]);
    // Each once: the primary binds health and metrics, the first worker the shared ports.
    const listening = lines
      .filter((line) => String(line['msg']).endsWith(' listening'))
      .map((line) => [line['service'], line['address']]);
    expect(listening).toHaveLength(4);
    expect(listening).toEqual(
      expect.arrayContaining([
        ['collector.CollectorService', `127.0.0.1:${ports.collector}`],
        ['query.QueryService', `127.0.0.1:${ports.query}`],
        ['grpc.health.v1.Health', `127.0.0.1:${ports.healthcheck}`],
        ['metrics', `127.0.0.1:${ports.metrics}`],
      ]),
    );

    const keyPath = join(dataDir, 'privacy.key');
    expect(lines.filter((line) => String(line['msg']).startsWith('generated a privacy key'))).toEqual([
      expect.objectContaining({
        level: 'info',
        path: keyPath,
        msg: `generated a privacy key at ${keyPath}; back it up: sightings cannot be matched across a lost key`,
      }),
    ]);

    // Three refusals from one client within a minute: one line, for the first.
    expect(lines.filter((line) => String(line['msg']).startsWith('refused a call'))).toEqual([
      expect.objectContaining({
        level: 'warn',
        method: '/collector.CollectorService/CreateEventLog',
        peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown,
        reason: 'wrong',
        suppressed: 0,
        msg: 'refused a call: wrong bearer token',
      }),
    ]);
    const everything = first.logLines.join('\n');
    expect(everything).not.toContain('not-the-token');
    expect(everything).not.toContain(COLLECTOR_TOKEN);
    expect(everything).not.toContain(readFileSync(keyPath, 'utf8').trim());

    const second = await ServerProcess.start([`--data_dir=${dataDir}`], { COLLECTOR_TOKEN });
    const again = await stopped(second);
    expect(again.filter((line) => String(line['msg']).startsWith('generated a privacy key'))).toEqual([]);
    expect(again.find((line) => line['msg'] === 'ready')?.['ports']).toEqual(second.ports);
  });
});

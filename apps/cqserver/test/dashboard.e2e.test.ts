import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collector } from '@message-bus/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { runToExit, ServerProcess } from './server-process';

const workDir = mkdtempSync(join(tmpdir(), 'cqserver-dashboard-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const loopbackPorts = [
  '--collector_port=127.0.0.1:0',
  '--query_port=127.0.0.1:0',
  '--healthcheck_port=127.0.0.1:0',
  '--metrics_port=',
];

describe('the dashboard in cqserver, on its own token-protected query port', () => {
  it('refuses to start without a login token, in one line with exit code 2', async () => {
    const result = await runToExit([
      `--data_dir=${join(workDir, 'refused')}`,
      ...loopbackPorts,
      '--query_token=query-secret',
      '--dashboard_port=127.0.0.1:0',
    ]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 2,
      stderr:
        'cqserver: --dashboard_token: required when the query service needs a token (query_token): the dashboard would otherwise show it to anyone\n',
    });
  });

  it('reads its own query port with its query_token once a person logs in', async () => {
    const server = await ServerProcess.start([
      `--data_dir=${join(workDir, 'served')}`,
      '--query_token=query-secret',
      '--dashboard_port=127.0.0.1:0',
      '--dashboard_token=login-secret',
    ]);
    try {
      await new Promise<void>((done, fail) =>
        server.collectorClient().createCoordinates(
          collector.Coordinates.fromPartial({ detectorId: 'gate-1', latitude: 5_200_000n, longitude: 500_000n }),
          (error) => (error ? fail(error) : done()),
        ),
      );
      const base = `http://127.0.0.1:${server.ports.dashboard}`;
      expect((await fetch(`${base}/api/network`)).status).toBe(401);
      const login = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=login-secret',
        redirect: 'manual',
      });
      expect(login.status).toBe(303);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const network = await fetch(`${base}/api/network`, { headers: { cookie } });
      const body = (await network.json()) as { detectors?: { id: string; latitude?: number }[] };
      expect({ status: network.status, detectors: body.detectors }).toEqual({
        status: 200,
        detectors: [expect.objectContaining({ id: 'gate-1', latitude: 52, longitude: 5 })],
      });
    } finally {
      await server.terminate();
    }
  });
});

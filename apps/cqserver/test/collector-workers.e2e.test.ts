import { credentials } from '@grpc/grpc-js';
import { collector } from '@message-bus/proto';
import { LmdbBackend } from '@message-bus/store-embedded';
import { AppProcess } from '@message-bus/tools/app-process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEventLog } from './server-process';

/**
 * The collector app alone (apps/collector, built) with two worker processes. It lives
 * here, beside cqserver's --workers tests, because the app has no test project of its own.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'collector-workers-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const nowSeconds = BigInt(Math.floor(Date.now() / 1000));

describe('collector --workers 2', () => {
  it('serves from two processes on one port, stores each sighting once, and drains on SIGTERM', async () => {
    const app = await AppProcess.start('collector', {
      args: [
        '--workers=2',
        `--data_dir=${dataDir}`,
        '--collector_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=127.0.0.1:0',
      ],
    });
    try {
      const serving = app.logLines.find((entry) => entry['msg'] === 'worker processes serving');
      expect(serving?.['pids']).toHaveLength(2);
      const clients = Array.from(
        { length: 8 },
        () =>
          new collector.CollectorServiceClient(app.address('collector'), credentials.createInsecure(), {
            'grpc.use_local_subchannel_pool': 1,
          }),
      );
      const send = (index: number, via: number) =>
        createEventLog(clients[via % clients.length]!, {
          loc: { detectorId: 'det-c', latitude: 5_220_000n, longitude: 2_100_000n },
          events: [
            {
              time: [{ seconds: nowSeconds - 60n, nanos: index }],
              deviceId: { $case: 'wifi', value: `collector-workers-raw-${index}` },
            },
          ],
        });
      await Promise.all(Array.from({ length: 100 }, (_, index) => send(index, index)));
      // Again, each through another connection than the first time.
      await Promise.all(Array.from({ length: 100 }, (_, index) => send(index, index + 1)));
      for (const client of clients) client.close();
      await app.stop();
      expect(app.exitCode).toBe(0);
    } finally {
      await app.kill();
    }

    const backend = new LmdbBackend({ path: join(dataDir, 'store') });
    let eventKeys = 0;
    for await (const entry of backend.scan({ start: '/', end: '0' })) {
      if (entry.key.includes('/detectors/det-c/')) eventKeys++;
    }
    await backend.close();
    expect(eventKeys).toBe(100);
  });
});

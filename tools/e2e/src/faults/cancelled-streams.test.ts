import { credentials } from '@grpc/grpc-js';
import type { DetectorId, Sighting } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import { Cleanup } from '@message-bus/tools/cleanup';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCqserver } from '../support/cqserver';
import { checkHealth, collectorClient, createEventLog } from '../support/grpc-clients';

/** Sightings stored for the one detector every stream asks for: more than a replay reads (100,000). */
const storedSightings = 150_000;
/** Streams opened and cancelled at once, spread over several client connections. */
const streams = 300;
const connections = 10;
/** Generous bounds: the failure they catch is a process frozen for minutes. */
const healthDeadlineMs = 30_000;
const ingestDeadlineMs = 30_000;
/** The server's grace for in-flight calls (10 s) plus its other shutdown steps. */
const shutdownDeadlineMs = 30_000;

const prefix = 'e2e-cancelled-streams';
const detectorId = 'starved-detector' as DetectorId;

/** Writes the sightings straight into the embedded store at `dataDir`, before the server opens it. */
async function preloadStore(dataDir: string): Promise<void> {
  const repository = new KvRepository(new LmdbBackend({ path: join(dataDir, 'store') }), { prefix });
  try {
    // Ten minutes ago onwards, a few milliseconds apart: well inside the retention.
    const firstMs = Date.now() - 600_000;
    for (let first = 0; first < storedSightings; first += 10_000) {
      const batch: Sighting[] = [];
      for (let index = first; index < first + 10_000; index += 1) {
        batch.push({
          detectorId,
          deviceId: `device-${index % 5_000}`,
          time: BigInt(firstMs * 1e6 + index * 3e6),
        });
      }
      await repository.events.append(batch);
    }
  } finally {
    await repository.close();
  }
}

describe('cqserver under a burst of cancelled StreamEvents, on the embedded store', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  // The limit bounds a hang, not a speed: the test took 18 s on a quiet machine, 39–87 s at
  // a load average of 28–40 (of 120 s then), most of it preloading the store.
  it('keeps answering health and ingest, and exits 0 on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'e2e-cancelled-streams-'));
    cleanup.defer('remove the data directory', () => rm(dataDir, { recursive: true, force: true }));
    await preloadStore(dataDir);
    const cqserver = cleanup.add(
      'kill cqserver',
      await startCqserver({ kind: 'embedded', dataDir }, [`--etcd.prefix=${prefix}`]),
      (server) => server.kill(),
    );

    // Each client its own connection (no shared subchannel), as separate clients would be.
    const clients = Array.from({ length: connections }, () =>
      cleanup.add(
        'close a query client',
        new query.QueryServiceClient(cqserver.address('query'), credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
        }),
        (client) => client.close(),
      ),
    );
    const request = query.GetEventsRequest.fromPartial({ detectorIds: [detectorId], limit: 100_000n });
    let replaying: () => void = () => undefined;
    const firstSighting = new Promise<void>((resolve) => (replaying = resolve));
    const calls = Array.from({ length: streams }, (_, index) => {
      const call = clients[index % connections]!.streamEvents(request);
      call.on('data', () => replaying());
      call.on('error', () => undefined); // CANCELLED, or RESOURCE_EXHAUSTED beyond the server's bound
      return call;
    });
    // Cancelled once the server has begun replaying, as clients that give up would.
    await firstSighting;
    for (const call of calls) call.cancel();

    expect(await checkHealth(cqserver.address('healthcheck'), '', healthDeadlineMs)).toBe('SERVING');
    const collector = cleanup.add(
      'close the collector client',
      collectorClient(cqserver.address('collector')),
      (client) => client.close(),
    );
    await createEventLog(
      collector,
      {
        loc: { detectorId: 'after-the-burst', latitude: 0n, longitude: 0n },
        events: [
          {
            time: [{ seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 }],
            deviceId: { $case: 'wifi', value: 'aa:bb:cc:dd:ee:ff' },
          },
        ],
      },
      ingestDeadlineMs,
    );

    const stopped = cqserver.stop();
    await expect(
      Promise.race([stopped.then(() => 'exited'), sleep(shutdownDeadlineMs).then(() => 'still running')]),
    ).resolves.toBe('exited');
    expect(cqserver.exitCode).toBe(0);
  }, 300_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

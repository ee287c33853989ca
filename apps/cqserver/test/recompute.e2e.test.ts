import { startThrowawayEtcd, type ThrowawayEtcd } from '@message-bus/tools/etcd';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  constructTraffic,
  createLink,
  eventLog,
  expectedEstimates,
  intervalEnds,
  isoOf,
  latestEstimate,
  mbcliJson,
  metricValue,
  NANOS_PER_SECOND,
  readEstimates,
  storedEstimates,
  streamEventLogs,
  trafficIntervalEnds,
  wireBytes,
  writeRoadsideReaderCsv,
  type Traffic,
} from './recompute-fixtures';
import { ServerProcess, waitForHealth } from './server-process';

// Issue 15's end-to-end bar, on the built cqserver with each store: travel times for every
// interval the store holds, whenever its sightings arrive.
//
// 1. a past hour imported with `mbcli import` after the link already has estimates is estimated;
// 2. a detector uploading its sightings of 1–2 hours late has those intervals recomputed;
// 3. `mbcli traveltimes recompute` reports progress and rewrites the same estimates, byte for byte;
// 4. a new link is estimated at once, from its destination's first sighting.
//
// The traffic is constructed, not simulated: devices seen once at the source and exactly
// 60 s later at the destination, so every estimate is known in advance (expectedEstimate):
// with ≥ 3 arrivals in the 15-minute window, status ok and median = p15 = p85 = mean = 60 s;
// with 1–2, insufficient_data; with none, no_samples. A 5 s interval and 2 s lag keep the
// worker's rounds short; every wait is for an event, with a generous timeout.

const INTERVAL_SECONDS = 5;
const SERVER_FLAGS = [`--traveltime.interval=${INTERVAL_SECONDS}s`, '--traveltime.lag=2s'];
const TRAVEL_SECONDS = 60;
const PRIVACY_KEY = '5c'.repeat(32);
const WAIT = { timeout: 60_000, interval: 250 };
const TEST_TIMEOUT_MS = 90_000;

interface ImportJson {
  outcome: string;
  stored: number;
  rejected: number;
}

interface RecomputeJson {
  outcome: string;
  destinations: number;
  destinationsDone: number;
  spanSeconds: number;
  spanSecondsDone: number;
  done: boolean;
}

const workDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cqserver-recompute-e2e-'));
  workDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** The four scenarios, each on links of its own, against one server. */
function recomputeScenarios(startServer: () => Promise<ServerProcess>): void {
  let server: ServerProcess;
  let mbcliFlags: string[];
  let configHome: string;
  // Whole seconds, 3 s past a multiple of 100 s: no sighting falls on an interval end.
  const nowSeconds = Math.floor(Date.now() / 1000);
  const aligned = (secondsAgo: number) => Math.floor((nowSeconds - secondsAgo) / 100) * 100 + 3;
  const imported = constructTraffic({
    source: 'imp-a',
    destination: 'imp-b',
    tag: 1,
    firstAtSourceSeconds: aligned(3 * 3600),
    count: 180,
    spacingSeconds: 20,
    travelSeconds: TRAVEL_SECONDS,
  });
  const late = constructTraffic({
    source: 'late-a',
    destination: 'late-b',
    tag: 2,
    firstAtSourceSeconds: aligned(2 * 3600),
    count: 180,
    spacingSeconds: 20,
    travelSeconds: TRAVEL_SECONDS,
  });
  const fresh = constructTraffic({
    source: 'new-a',
    destination: 'new-b',
    tag: 3,
    firstAtSourceSeconds: aligned(600),
    count: 45,
    spacingSeconds: 10,
    travelSeconds: TRAVEL_SECONDS,
  });

  beforeAll(async () => {
    server = await startServer();
    await waitForHealth(server.healthClient(), 'SERVING', 10_000);
    mbcliFlags = [
      `--collector_host=127.0.0.1:${server.ports.collector}`,
      `--query_host=127.0.0.1:${server.ports.query}`,
    ];
    configHome = tempDir();
  });
  afterAll(async () => {
    if (server === undefined) return;
    expect(await server.terminate()).toEqual({ code: 0, signal: null });
  });

  async function estimatesOf(traffic: Traffic, ends: readonly bigint[]): Promise<Record<string, string>> {
    const client = server.queryClient();
    try {
      return storedEstimates(await readEstimates(client, traffic, ends[0]!, ends.at(-1)!), ends);
    } finally {
      client.close();
    }
  }

  it(
    'estimates a past hour imported with mbcli import after the link already has estimates',
    async () => {
      const collectorClient = server.collectorClient();
      const queryClient = server.queryClient();
      await createLink(collectorClient, imported);
      // The link is live: the worker has written its current interval (with no samples yet).
      await vi.waitFor(async () => expect(await latestEstimate(queryClient, imported)).toBeDefined(), WAIT);
      const ends = trafficIntervalEnds(imported, INTERVAL_SECONDS);
      expect(await readEstimates(queryClient, imported, ends[0]!, ends.at(-1)!)).toEqual([]);

      const csv = join(tempDir(), 'past-hour.csv');
      const rows = writeRoadsideReaderCsv(csv, imported);
      const summary = await mbcliJson<ImportJson>(
        ['import', csv, '--preset', 'roadside-reader', ...mbcliFlags],
        configHome,
      );
      expect(summary).toMatchObject({ outcome: 'complete', stored: rows, rejected: 0 });

      const expected = expectedEstimates(imported, ends);
      expect(Object.values(expected).filter((line) => line.startsWith('OK ')).length).toBeGreaterThan(700);
      await vi.waitFor(async () => expect(await estimatesOf(imported, ends)).toEqual(expected), WAIT);
      collectorClient.close();
      queryClient.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "recomputes the intervals a detector's upload of 1–2 hours ago changes, after they were estimated without it",
    async () => {
      const collectorClient = server.collectorClient();
      // The destination's sightings arrive, then the link: the worker catches it up from the
      // destination's first sighting, and with nothing from the source every interval has no samples.
      await streamEventLogs(collectorClient, [eventLog(late, 'destination')]);
      await createLink(collectorClient, late);
      const ends = trafficIntervalEnds(late, INTERVAL_SECONDS);
      const withoutSource = Object.fromEntries(
        Object.keys(expectedEstimates(late, ends)).map((end) => [end, 'NO_SAMPLES - - - - 0/0']),
      );
      await vi.waitFor(async () => expect(await estimatesOf(late, ends)).toEqual(withoutSource), WAIT);

      // The source detector uploads its buffered sightings of 1–2 hours ago.
      const counts = await streamEventLogs(collectorClient, [eventLog(late, 'source')]);
      expect(counts.bluetooth).toBe(BigInt(late.trips.length));
      const expected = expectedEstimates(late, ends);
      await vi.waitFor(async () => expect(await estimatesOf(late, ends)).toEqual(expected), WAIT);
      collectorClient.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'mbcli traveltimes recompute reports the range done and leaves the same estimates, byte for byte',
    async () => {
      const queryClient = server.queryClient();
      const ends = trafficIntervalEnds(imported, INTERVAL_SECONDS);
      const first = ends[0]!;
      const last = ends.at(-1)!;
      // The imported hour as the first test left it, every interval estimated.
      await vi.waitFor(
        async () => expect(await estimatesOf(imported, ends)).toEqual(expectedEstimates(imported, ends)),
        WAIT,
      );
      const before = wireBytes(await readEstimates(queryClient, imported, first, last));
      expect(before).toHaveLength(ends.length);
      const recomputedOnRequest = () =>
        metricValue(server.ports.metrics!, 'message_bus_travel_time_intervals_recomputed_total', 'origin="request"');
      const recomputedBefore = await recomputedOnRequest();

      const seconds = (nanos: bigint) => String(nanos / NANOS_PER_SECOND);
      const spanSeconds = ends.length * INTERVAL_SECONDS;
      const result = await mbcliJson<RecomputeJson>(
        [
          'traveltimes',
          'recompute',
          '--link',
          `${imported.source}:${imported.destination}`,
          '--after',
          seconds(first),
          '--before',
          seconds(last + BigInt(INTERVAL_SECONDS) * NANOS_PER_SECOND),
          ...mbcliFlags,
        ],
        configHome,
      );
      expect(result).toMatchObject({
        outcome: 'done',
        done: true,
        destinations: 1,
        destinationsDone: 1,
        spanSeconds,
        spanSecondsDone: spanSeconds,
      });
      // The worker did rewrite every interval of the range, and wrote what was there.
      expect((await recomputedOnRequest()) - recomputedBefore).toBeGreaterThanOrEqual(ends.length);
      expect(wireBytes(await readEstimates(queryClient, imported, first, last))).toEqual(before);
      queryClient.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'estimates a new link at once, from the first sighting at its destination to the interval it was created in',
    async () => {
      const collectorClient = server.collectorClient();
      await streamEventLogs(collectorClient, [eventLog(fresh, 'source'), eventLog(fresh, 'destination')]);
      const createdAtMs = Date.now();
      const createdAt = BigInt(createdAtMs) * 1_000_000n;
      await createLink(collectorClient, fresh);
      const interval = BigInt(INTERVAL_SECONDS) * NANOS_PER_SECOND;
      // The first interval end after the link was created: due one interval (plus lag) later at most.
      const createdIn = (createdAt / interval + 1n) * interval;
      const ends = intervalEnds(fresh.trips[0]!.atDestination + 1n, createdIn, INTERVAL_SECONDS);
      const expected = expectedEstimates(fresh, ends);
      expect(Object.values(expected).at(-1)).toMatch(/^OK 60 60 60 60 \d+\/\d+$/);
      const sinceCreated = () => `${((Date.now() - createdAtMs) / 1000).toFixed(1)} s`;
      // First the interval it was created in (written live), then the ones before (a backlog).
      await vi.waitFor(
        async () =>
          expect(await estimatesOf(fresh, ends.slice(-1))).toEqual({
            [isoOf(createdIn)]: expected[isoOf(createdIn)],
          }),
        WAIT,
      );
      const liveAfter = sinceCreated();
      await vi.waitFor(async () => expect(await estimatesOf(fresh, ends)).toEqual(expected), WAIT);
      console.log(
        `new link ${fresh.source}→${fresh.destination} (interval ${INTERVAL_SECONDS} s): the interval it was ` +
          `created in estimated ${liveAfter} after, all ${ends.length} since its first sighting ${sinceCreated()} after`,
      );
      collectorClient.close();
    },
    TEST_TIMEOUT_MS,
  );
}

describe('late data, imports, recompute and new links through cqserver on the embedded store', () => {
  recomputeScenarios(() => ServerProcess.start([...SERVER_FLAGS, `--data_dir=${tempDir()}`]));
});

describe('late data, imports, recompute and new links through cqserver on etcd', () => {
  let etcd: ThrowawayEtcd | undefined;
  beforeAll(async () => {
    etcd = await startThrowawayEtcd();
  });
  afterAll(async () => {
    await etcd?.remove();
  });
  describe('with cqserver', () => {
    recomputeScenarios(() =>
      ServerProcess.start(
        [
          ...SERVER_FLAGS,
          '--store=etcd',
          `--etcd.endpoints=${etcd!.endpoint}`,
          '--etcd.prefix=recompute-e2e',
          `--data_dir=${tempDir()}`,
        ],
        { PRIVACY_KEY },
      ),
    );
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  NANOS_PER_MILLISECOND,
  nanosToTimestamp,
  parseRawDeviceId,
  Pseudonymiser,
  type UnixNanos,
} from '@message-bus/domain';
import { collector, query } from '@message-bus/proto';
import { Cleanup } from '@message-bus/tools/cleanup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppProcess } from '@message-bus/tools/app-process';
import { startCqserver, TEST_PRIVACY_KEY } from '../support/cqserver';
import { collectorClient, queryClient } from '../support/grpc-clients';

/**
 * The attack of issue 16: a client submits candidate device addresses and compares the
 * pseudonyms they get with the stored ones. Against the built cqserver with all three
 * tokens, each token shows only what docs/privacy.md says it may.
 */
const COLLECTOR_TOKEN = 'oracle-test-collector-token';
const QUERY_TOKEN = 'oracle-test-query-token';
const PSEUDONYM_TOKEN = 'oracle-test-pseudonym-token';

const VICTIM = 'AA:BB:CC:00:00:42';
const VICTIM_DETECTOR = 'victim-road';
const ATTACKER_DETECTOR = 'attacker-road';
const DAY_NANOS = 86_400_000_000_000n;

const bearer = (token: string): Metadata => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
};

const logOf = (detectorId: string, macs: readonly string[], time: UnixNanos): collector.EventLog => ({
  loc: { detectorId, latitude: 0n, longitude: 0n },
  events: macs.map((mac) => ({ deviceId: { $case: 'wifi', value: mac }, time: [nanosToTimestamp(time)] })),
});

describe('the pseudonym oracle, against cqserver with collector, query and pseudonym tokens', () => {
  const cleanup = new Cleanup();
  let cqserver: AppProcess;
  let collect: collector.CollectorServiceClient;
  let read: query.QueryServiceClient;
  const seenAt = (BigInt(Date.now()) - 60_000n) * NANOS_PER_MILLISECOND;
  /** What the store holds for the victim: the server's rotation is `never`. */
  const storedPseudonym = new Pseudonymiser({
    masterSecret: Buffer.from(TEST_PRIVACY_KEY, 'hex'),
    rotation: { kind: 'never' },
    overlapSeconds: 0,
  }).pseudonymsAt('wifi', parseRawDeviceId(VICTIM), seenAt).current;

  const createEventLog = (log: collector.EventLog, token: string) =>
    new Promise<unknown>((resolve, reject) =>
      collect.createEventLog(log, bearer(token), (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const streamEventLog = (logs: readonly collector.EventLog[], token: string) =>
    new Promise<collector.SendStreamResponse>((resolve, reject) => {
      const call = collect.streamEventLog(bearer(token), (error, response) =>
        error ? reject(error) : resolve(response),
      );
      for (const log of logs) call.write(log);
      call.end();
    });
  const deviceIds = (detectorId: string, token: string) =>
    new Promise<string[]>((resolve, reject) =>
      read.getEvents(
        query.GetEventsRequest.fromPartial({ detectorIds: [detectorId] }),
        bearer(token),
        (error, response) =>
          error ? reject(error) : resolve(response.events.map((event) => event.deviceId)),
      ),
    );
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => 'accepted',
      (error: ServiceError) => `${status[error.code]}: ${error.details}`,
    );

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'e2e-oracle-'));
    cleanup.add('remove the data directory', dataDir, (dir) => rm(dir, { recursive: true, force: true }));
    cqserver = cleanup.add(
      'stop cqserver',
      await startCqserver({ kind: 'embedded', dataDir }, [
        `--collector_token=${COLLECTOR_TOKEN}`,
        `--query_token=${QUERY_TOKEN}`,
        `--query_pseudonym_token=${PSEUDONYM_TOKEN}`,
      ]),
      (server) => server.stop(),
    );
    collect = cleanup.add('close the collector client', collectorClient(cqserver.address('collector')), (c) =>
      c.close(),
    );
    read = cleanup.add('close the query client', queryClient(cqserver.address('query')), (c) => c.close());
    // The victim drives past.
    await createEventLog(logOf(VICTIM_DETECTOR, [VICTIM], seenAt), COLLECTOR_TOKEN);
  });
  afterAll(() => cleanup.run());

  it('the collector token learns nothing: a matching candidate is answered as any other', async () => {
    const candidates = [VICTIM, 'AA:BB:CC:00:00:43'];
    const unary = await Promise.all(
      candidates.map((mac) => createEventLog(logOf(VICTIM_DETECTOR, [mac], seenAt), COLLECTOR_TOKEN)),
    );
    const streamed = await Promise.all(
      candidates.map((mac) => streamEventLog([logOf(VICTIM_DETECTOR, [mac], seenAt)], COLLECTOR_TOKEN)),
    );
    expect(unary[0]).toEqual(unary[1]);
    expect(streamed[0]).toEqual(streamed[1]);
    expect(streamed[0]).toEqual({ mobile: 0n, bluetooth: 0n, wifi: 1n });
    expect(await refusal(deviceIds(VICTIM_DETECTOR, COLLECTOR_TOKEN))).toBe(
      'UNAUTHENTICATED: invalid bearer token',
    );
  });

  it('the query token cannot submit candidates', async () => {
    for (const token of [QUERY_TOKEN, PSEUDONYM_TOKEN]) {
      expect(await refusal(createEventLog(logOf(ATTACKER_DETECTOR, [VICTIM], seenAt), token))).toBe(
        'UNAUTHENTICATED: invalid bearer token',
      );
    }
  });

  it('the query token never sees a stored pseudonym, and its answers cannot be joined', async () => {
    // Holding both write and read tokens, submit the victim's address as a candidate at a road of one's own…
    await createEventLog(logOf(ATTACKER_DETECTOR, [VICTIM], seenAt), COLLECTOR_TOKEN);
    // …then compare what two answers say about the two roads.
    const [victimRoad, attackerRoad, victimRoadAgain] = [
      await deviceIds(VICTIM_DETECTOR, QUERY_TOKEN),
      await deviceIds(ATTACKER_DETECTOR, QUERY_TOKEN),
      await deviceIds(VICTIM_DETECTOR, QUERY_TOKEN),
    ];
    expect(victimRoad).toHaveLength(2); // the victim and the other candidate
    expect(attackerRoad).toHaveLength(1);
    expect([...victimRoad, ...attackerRoad]).not.toContain(storedPseudonym);
    expect(victimRoad).not.toContain(attackerRoad[0]);
    expect(victimRoadAgain.filter((id) => victimRoad.includes(id))).toEqual([]);
  });

  it('the pseudonym token sees the stored pseudonyms', async () => {
    expect(await deviceIds(ATTACKER_DETECTOR, PSEUDONYM_TOKEN)).toEqual([storedPseudonym]);
    expect(await deviceIds(VICTIM_DETECTOR, PSEUDONYM_TOKEN)).toContain(storedPseudonym);
  });

  it('refuses sightings older than the retention or further ahead than the skew, so no past day’s key is chosen', async () => {
    const now = BigInt(Date.now()) * NANOS_PER_MILLISECOND;
    expect(
      await refusal(
        createEventLog(logOf(ATTACKER_DETECTOR, [VICTIM], now - 8n * DAY_NANOS), COLLECTOR_TOKEN),
      ),
    ).toMatch(
      /^INVALID_ARGUMENT: events\[0\]\.time\[0\]: .* s before now .*; at most 604800 s old is accepted/,
    );
    expect(
      await refusal(createEventLog(logOf(ATTACKER_DETECTOR, [VICTIM], now + DAY_NANOS), COLLECTOR_TOKEN)),
    ).toMatch(/^INVALID_ARGUMENT: events\[0\]\.time\[0\]: .* s ahead of now .*; at most 300 s is accepted$/);
    expect(await deviceIds(ATTACKER_DETECTOR, PSEUDONYM_TOKEN)).toHaveLength(1);
  });

  it('no token reaches the log', () => {
    const logged = JSON.stringify(cqserver.logLines);
    for (const token of [COLLECTOR_TOKEN, QUERY_TOKEN, PSEUDONYM_TOKEN]) expect(logged).not.toContain(token);
  });
});

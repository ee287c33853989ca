import type { AppProcess } from '@message-bus/tools/app-process';
import { Cleanup } from '@message-bus/tools/cleanup';
import { startEtcdCluster, type EtcdCluster } from '@message-bus/tools/etcd';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallLog, type CallOutcome, type FaultWindow } from '../support/call-log';
import { startCqserver } from '../support/cqserver';
import { checkHealth, queryClient } from '../support/grpc-clients';
import { LiveEvents } from '../support/live-events';
import { RetryingStreamSender, type StreamSendReport } from '../support/retrying-stream-sender';
import { SightingPlan } from '../support/sighting-plan';
import { SteadyCalls } from '../support/steady-calls';
import { readStoredSightings } from '../support/stored-sightings';

/**
 * Limits, not speeds: each scenario waits on events (a share acknowledged, a leader, a
 * first success, a delivery) and these only end a hung run. A scenario took 10–33 s on a
 * quiet 2-core machine but 64–75 s at a load average of 20–30, the partition one 75 s of
 * the 90 s it had then; on a loaded CI machine the ingest, elections and rejoins all stretch.
 */
const scenarioTimeoutMs = 300_000;
/** Longest wait for one awaited event (a leader, a first success, a rejoin, a delivery). */
const eventTimeoutMs = 90_000;

/**
 * cqserver on a three-member etcd cluster, given every member's endpoint, under the
 * traffic of a site: a retrying detector streaming a bulk plan, rounds of CreateEventLog,
 * GetEvents and health checks, and a live StreamEvents over both plans' detectors.
 */
interface Site {
  readonly cluster: EtcdCluster;
  readonly cqserver: AppProcess;
  readonly calls: CallLog;
  readonly bulk: SightingPlan;
  readonly bulkSightings: number;
  readonly probes: SightingPlan;
  readonly sender: RetryingStreamSender;
  readonly sending: Promise<StreamSendReport>;
  readonly steady: SteadyCalls;
  readonly live: LiveEvents;
}

async function startSite(cleanup: Cleanup, tag: string, bulkSightings: number): Promise<Site> {
  const cluster = cleanup.add(
    'remove the etcd cluster',
    await startEtcdCluster({ members: 3, startTimeoutMs: eventTimeoutMs }),
    (cluster) => cluster.remove(),
  );
  const cqserver = cleanup.add(
    'kill cqserver',
    await startCqserver({ kind: 'etcd', endpoint: cluster.endpoints.join(','), prefix: tag }),
    (cqserver) => cqserver.kill(),
  );
  const firstTimeMs = Date.now() - 3_600_000;
  const bulk = new SightingPlan({
    tag: `${tag}-bulk`,
    sightings: bulkSightings,
    sightingsPerLog: 100,
    detectors: 5,
    firstTimeMs,
  });
  // Far more logs than the rounds can send in a scenario (about 10 rounds a second).
  const probes = new SightingPlan({
    tag: `${tag}-probe`,
    sightings: 50_000,
    sightingsPerLog: 5,
    detectors: 5,
    firstTimeMs,
  });
  const calls = new CallLog();

  const query = cleanup.add('close the query client', queryClient(cqserver.address('query')), (client) =>
    client.close(),
  );
  const live = cleanup.add(
    'cancel the live stream',
    new LiveEvents(query, {
      detectorIds: [...bulk.detectorIds, ...probes.detectorIds],
      range: { after: bulk.range.after, before: undefined },
      limit: 0n,
    }),
    (live) => live.cancel(),
  );
  const steady = cleanup.add(
    'stop the steady calls',
    new SteadyCalls({
      collectorAddress: cqserver.address('collector'),
      queryAddress: cqserver.address('query'),
      healthAddress: cqserver.address('healthcheck'),
      plan: probes,
      calls,
    }),
    (steady) => steady.stop(),
  );
  steady.start();
  const sender = new RetryingStreamSender(bulk.streams(5), {
    collectorAddress: () => cqserver.address('collector'),
    concurrency: 4,
    giveUpAfterMs: scenarioTimeoutMs,
    calls,
  });
  const sending = sender.run();
  sending.catch(() => undefined); // awaited by the scenario; this only keeps an early failure from going unhandled
  const site: Site = {
    cluster,
    cqserver,
    calls,
    bulk,
    bulkSightings,
    probes,
    sender,
    sending,
    steady,
    live,
  };
  // The stream's replay (of nothing yet) is over once it delivers the first sighting sent;
  // a stream that ended says why instead.
  await vi.waitFor(
    () =>
      expect({ ended: live.ended, delivered: live.distinct > 0 }).toEqual({
        ended: undefined,
        delivered: true,
      }),
    {
      timeout: eventTimeoutMs,
      interval: 20,
    },
  );
  return site;
}

/**
 * How long cqserver's health may lag the store: it answers from its last store probe,
 * made once a second with a 1.5 s deadline, so a probe that was waiting on an election
 * can report the store unreachable up to 2.5 s after the new leader is in place.
 */
const healthLagMs = 2_500;

/**
 * Waits for the cluster to have a leader again, then for a CreateEventLog made after that
 * to succeed and for a health check made once the health can no longer lag to answer
 * SERVING: the fault window ends there. Every call made later must succeed.
 */
async function settle(site: Site, faultAt: number): Promise<FaultWindow> {
  await site.cluster.waitForLeader(eventTimeoutMs);
  const leaderAt = Date.now();
  const settledAt = Math.max(
    ...(await Promise.all([
      site.calls.firstSuccess('CreateEventLog', leaderAt, eventTimeoutMs),
      site.calls.firstSuccess('Health', leaderAt + healthLagMs, eventTimeoutMs),
    ])),
  );
  return { from: faultAt, to: settledAt };
}

/** What a scenario ends with: the figures its assertions are made on. */
interface ScenarioFigures {
  /** The bulk plan: acknowledged by the server, and as read back. */
  readonly bulk: {
    readonly acked: number;
    readonly stored: number;
    readonly duplicates: number;
    readonly missing: number;
    readonly unexpected: number;
    readonly resentStreams: number;
  };
  /** The rounds' single logs: acknowledged ones must be stored once; failed ones may be stored or not. */
  readonly probes: {
    readonly ackedLogs: number;
    readonly failedLogs: number;
    readonly duplicates: number;
    readonly missing: number;
    /** Stored sightings that came from neither an acknowledged nor a failed log. */
    readonly unexpected: number;
  };
  /** The live StreamEvents, after it delivered every stored sighting. */
  readonly live: { readonly ended: string | undefined; readonly repeats: number };
  /** Calls in all, failed calls during each fault window, and failed calls outside them by `name:status`. */
  readonly calls: number;
  readonly failedInWindows: readonly (readonly string[])[];
  readonly failedOutsideWindows: readonly string[];
  /** Health answers as they changed over the run, false alarms left out; e.g. `['SERVING', 'NOT_SERVING', 'SERVING']`. */
  readonly health: readonly string[];
  /** NOT_SERVING answers outside the windows while the store took writes (see `probeMissedWhileWritesSucceeded`). */
  readonly healthFalseAlarms: readonly string[];
}

/**
 * Lets the bulk ingest finish, stops the rounds, reads every plan back and waits until
 * the live stream delivered all that is stored (it rejects on a gap).
 */
async function finish(site: Site, windows: readonly FaultWindow[]): Promise<ScenarioFigures> {
  const report = await site.sending;
  await site.steady.stop();
  const query = queryClient(site.cqserver.address('query'));
  try {
    const bulk = await readStoredSightings(query, site.bulk);
    const ackedProbes = site.probes.keysOf(site.steady.ackedLogs);
    const failedProbes = site.probes.keysOf(site.steady.failedLogs);
    const probes = await readStoredSightings(query, site.probes, ackedProbes);
    await site.live.waitFor(new Set([...bulk.keys, ...probes.keys]), eventTimeoutMs);
    const outside = site.calls.failuresOutside(windows);
    const falseAlarms = outside.filter((call) => probeMissedWhileWritesSucceeded(call, site.calls));
    for (const alarm of falseAlarms) {
      console.warn(`health false alarm while the store took writes: ${describeOutside(alarm, windows)}`);
    }
    return {
      bulk: {
        acked: report.sightings,
        stored: bulk.stored,
        duplicates: bulk.duplicates,
        missing: bulk.missing,
        unexpected: bulk.unexpected,
        resentStreams: report.attempts - report.streams,
      },
      probes: {
        ackedLogs: site.steady.ackedLogs.length,
        failedLogs: site.steady.failedLogs.length,
        duplicates: probes.duplicates,
        missing: probes.missing,
        unexpected: [...probes.keys].filter((key) => !ackedProbes.has(key) && !failedProbes.has(key)).length,
      },
      live: { ended: site.live.ended, repeats: site.live.repeats },
      calls: site.calls.calls.length,
      failedInWindows: windows.map((window) =>
        site.calls.failuresDuring(window).map((call) => `${call.name}:${call.failure}`),
      ),
      failedOutsideWindows: outside
        .filter((call) => !falseAlarms.includes(call))
        .map((call) => describeOutside(call, windows)),
      health: healthAnswers(site.calls, falseAlarms),
      healthFalseAlarms: falseAlarms.map((call) => describeOutside(call, windows)),
    };
  } finally {
    query.close();
  }
}

/**
 * The promises of every scenario. A write that is retried (the detector resending a
 * stream that failed, or the store retrying a batch whose first attempt committed) puts
 * its keys again; the follow skips such puts, so the live stream has no repeat either.
 */
function expectNothingLost(figures: ScenarioFigures, bulkSightings: number): void {
  expect(figures).toMatchObject({
    bulk: { acked: bulkSightings, stored: bulkSightings, duplicates: 0, missing: 0, unexpected: 0 },
    probes: { duplicates: 0, missing: 0, unexpected: 0 },
    live: { ended: undefined, repeats: 0 },
    failedOutsideWindows: [],
  });
}

/** `name:status`, and when the call was made relative to the fault windows, so a failure names its moment. */
function describeOutside(call: CallOutcome, windows: readonly FaultWindow[]): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const before = windows.findIndex((window) => call.endedAt < window.from);
  const moment =
    before === -1
      ? `${seconds(call.startedAt - windows.at(-1)!.to)} after the last fault window`
      : `${seconds(windows[before]!.from - call.endedAt)} before fault window ${before + 1}`;
  return `${call.name}:${call.failure} (${moment}, took ${seconds(call.endedAt - call.startedAt)})`;
}

/**
 * A NOT_SERVING answered while the cluster was whole (outside every fault window) and a
 * CreateEventLog through the same server succeeded within the health's lag of it: the
 * store took writes, so what failed was cqserver's store probe (1.5 s deadline, three
 * misses in a row) on cores oversubscribed by other work, not the store. Seen only on a
 * loaded machine (issue 19's and 20's notes); reported, not failed on. Health that goes
 * NOT_SERVING while writes fail too still fails the test.
 */
function probeMissedWhileWritesSucceeded(call: CallOutcome, calls: CallLog): boolean {
  return (
    call.name === 'Health' &&
    call.failure === 'NOT_SERVING' &&
    calls.calls.some(
      (other) =>
        other.name === 'CreateEventLog' &&
        other.failure === undefined &&
        other.endedAt >= call.startedAt - healthLagMs &&
        other.endedAt <= call.endedAt,
    )
  );
}

/** The health answers in the order they changed, `falseAlarms` left out. */
function healthAnswers(calls: CallLog, falseAlarms: readonly CallOutcome[]): string[] {
  const answers: string[] = [];
  for (const call of calls.calls) {
    if (call.name !== 'Health' || falseAlarms.includes(call)) continue;
    const answer = call.failure ?? 'SERVING';
    if (answers.at(-1) !== answer) answers.push(answer);
  }
  return answers;
}

describe('cqserver given all three members of an etcd cluster, under traffic, while members fail', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /** The bulk ingest is under way, and not yet done: a fault injected now comes mid-ingest. */
  const expectMidIngest = (site: Site) => expect(site.sender.ackedSightings).toBeLessThan(site.bulkSightings);

  const ingestReached = (site: Site, share: number) =>
    vi.waitFor(() => expect(site.sender.ackedSightings).toBeGreaterThanOrEqual(site.bulkSightings * share), {
      timeout: eventTimeoutMs,
      interval: 10,
    });

  it(
    'the leader SIGKILLed mid-ingest: another is elected, nothing acknowledged is lost, no call fails after',
    async () => {
      const site = await startSite(cleanup, `cluster-leader-kill-${Date.now()}`, 20_000);
      await ingestReached(site, 0.3);
      const leader = await site.cluster.waitForLeader(eventTimeoutMs);
      expectMidIngest(site);
      const killedAt = Date.now();
      await site.cluster.member(leader).kill();
      const election = await settle(site, killedAt);
      // Asked until it answers: one member slow to report its status reads as no leader at all.
      expect([0, 1, 2].filter((index) => index !== leader)).toContain(
        await site.cluster.waitForLeader(eventTimeoutMs),
      );

      const figures = await finish(site, [election]);
      expectNothingLost(figures, site.bulkSightings);
      expect(figures.health.at(-1)).toBe('SERVING');
    },
    scenarioTimeoutMs,
  );

  it(
    'a follower SIGKILLed mid-ingest: no call fails at all',
    async () => {
      const site = await startSite(cleanup, `cluster-follower-kill-${Date.now()}`, 20_000);
      await ingestReached(site, 0.3);
      const leader = await site.cluster.waitForLeader(eventTimeoutMs);
      expectMidIngest(site);
      const killedAt = Date.now();
      await site.cluster.member((leader + 1) % 3).kill();
      const settled = await settle(site, killedAt);

      const figures = await finish(site, [settled]);
      expectNothingLost(figures, site.bulkSightings);
      expect(figures).toMatchObject({
        failedInWindows: [[]],
        health: ['SERVING'],
        bulk: { resentStreams: 0 },
      });
    },
    scenarioTimeoutMs,
  );

  it(
    'a rolling restart, one member at a time, under ingest, queries and a live stream: no call fails once each has rejoined',
    async () => {
      const site = await startSite(cleanup, `cluster-rolling-${Date.now()}`, 80_000);
      await ingestReached(site, 0.1);
      const restarts: FaultWindow[] = [];
      for (const index of [0, 1, 2]) {
        expectMidIngest(site);
        const restartedAt = Date.now();
        await site.cluster.member(index).restart(); // resolves once it rejoined
        restarts.push(await settle(site, restartedAt));
      }

      const figures = await finish(site, restarts);
      expectNothingLost(figures, site.bulkSightings);
      expect(figures.health.at(-1)).toBe('SERVING');
    },
    scenarioTimeoutMs,
  );

  it(
    'the leader partitioned away and back: no call fails once the others elected a leader, nor after the heal',
    async () => {
      const site = await startSite(cleanup, `cluster-partition-${Date.now()}`, 60_000);
      await ingestReached(site, 0.2);
      const leader = await site.cluster.waitForLeader(eventTimeoutMs);
      expectMidIngest(site);
      const severedAt = Date.now();
      site.cluster.sever(leader);
      const election = await settle(site, severedAt);
      expect(await site.cluster.waitForLeader(eventTimeoutMs)).not.toBe(leader);
      expectMidIngest(site);
      const healedAt = Date.now();
      site.cluster.heal(leader);
      await vi.waitFor(async () => expect(await site.cluster.member(leader).isHealthy()).toBe(true), {
        timeout: eventTimeoutMs,
        interval: 50,
      });
      const rejoined = await settle(site, healedAt);

      const figures = await finish(site, [election, rejoined]);
      expectNothingLost(figures, site.bulkSightings);
      expect(figures.health.at(-1)).toBe('SERVING');
    },
    scenarioTimeoutMs,
  );

  it(
    'quorum lost with two members down: NOT_SERVING; once one is back, SERVING and no call fails',
    async () => {
      const site = await startSite(cleanup, `cluster-quorum-${Date.now()}`, 60_000);
      await ingestReached(site, 0.2);
      const leader = await site.cluster.waitForLeader(eventTimeoutMs);
      const [first, second] = [(leader + 1) % 3, (leader + 2) % 3];
      expectMidIngest(site);
      const firstDownAt = Date.now();
      await site.cluster.member(first).kill();
      const oneDown = await settle(site, firstDownAt);
      expectMidIngest(site);
      const quorumLostAt = Date.now();
      await site.cluster.member(second).kill();
      // Checked here too, as the rounds may be stuck in a write while there is no quorum.
      const health = () =>
        site.calls.record(
          'Health',
          () => checkHealth(site.cqserver.address('healthcheck')),
          (status) => (status === 'SERVING' ? undefined : status),
        );
      await vi.waitFor(async () => expect(await health()).toBe('NOT_SERVING'), {
        timeout: eventTimeoutMs,
        interval: 100,
      });
      await site.cluster.member(first).restart();
      const quorumBack = await settle(site, quorumLostAt);
      expect(await health()).toBe('SERVING');

      const figures = await finish(site, [oneDown, quorumBack]);
      expectNothingLost(figures, site.bulkSightings);
      expect(figures.failedInWindows[0]).toEqual([]); // one member down
      expect(figures.health).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    },
    scenarioTimeoutMs,
  );
});

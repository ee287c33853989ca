import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cleanup } from '../cleanup';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster';

/** Elections and restarts take seconds; on a loaded CI machine, more. */
const eventTimeout = { timeout: 30_000, interval: 50 };
const testTimeoutMs = 120_000;

describe('a throwaway etcd cluster of three members', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  const startCluster = async (): Promise<EtcdCluster> =>
    cleanup.add('remove the etcd cluster', await startEtcdCluster({ members: 3 }), (cluster) =>
      cluster.remove(),
    );

  /** A client of `endpoints` only, each call bounded so a cut-off member fails the call instead of hanging it. */
  const clientOf = (endpoints: readonly string[]): Etcd3 =>
    cleanup.add(
      'close an etcd client',
      new Etcd3({
        hosts: [...endpoints],
        dialTimeout: 2_000,
        defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 3_000 }),
      }),
      (client) => client.close(),
    );

  const others = (index: number): number[] => [0, 1, 2].filter((other) => other !== index);

  it(
    'starts with one leader every member names, and each member serves what another was given',
    async () => {
      const cluster = await startCluster();
      expect(cluster.endpoints).toHaveLength(3);
      expect(new Set(cluster.endpoints).size).toBe(3);

      const leader = await cluster.waitForLeader();
      expect([0, 1, 2]).toContain(leader);
      for (const index of [0, 1, 2]) {
        expect(await cluster.member(index).leaderInItsView()).toBe(leader);
        expect(cluster.member(index).running).toBe(true);
      }

      await clientOf([cluster.endpoints[0]!]).put('/cluster/greeting').value('hello');
      for (const endpoint of cluster.endpoints.slice(1)) {
        expect(await clientOf([endpoint]).get('/cluster/greeting').string()).toBe('hello');
      }
    },
    testTimeoutMs,
  );

  it(
    'elects a new leader among the other two when the leader is SIGKILLed, and the restarted one catches up',
    async () => {
      const cluster = await startCluster();
      const oldLeader = await cluster.waitForLeader();
      const killed = cluster.member(oldLeader);

      await killed.kill();
      expect(killed.running).toBe(false);
      const newLeader = await cluster.waitForLeader();
      expect(others(oldLeader)).toContain(newLeader);

      const survivors = clientOf(others(oldLeader).map((index) => cluster.endpoints[index]!));
      await survivors.put('/cluster/while-down').value('written while a member was down');

      await killed.restart();
      expect(killed.running).toBe(true);
      expect(await killed.isHealthy()).toBe(true);
      // A serializable read answers from the member's own copy, so this proves it caught up.
      await vi.waitFor(
        async () =>
          expect(
            await clientOf([killed.endpoint]).get('/cluster/while-down').serializable(true).string(),
          ).toBe('written while a member was down'),
        eventTimeout,
      );
      expect(await killed.leaderInItsView()).toBe(await cluster.waitForLeader());
    },
    testTimeoutMs,
  );

  it(
    'keeps serving when a follower is stopped with SIGTERM, and takes it back on restart',
    async () => {
      const cluster = await startCluster();
      const leader = await cluster.waitForLeader();
      const follower = cluster.member(others(leader)[0]!);

      await follower.stop();
      expect(follower.running).toBe(false);
      expect(await follower.isHealthy()).toBe(false);
      expect(await cluster.waitForLeader()).toBe(leader);
      await clientOf(cluster.endpoints).put('/cluster/follower-down').value('still writable');

      await follower.restart();
      expect(await follower.isHealthy()).toBe(true);
      expect(
        await clientOf([follower.endpoint]).get('/cluster/follower-down').serializable(true).string(),
      ).toBe('still writable');
    },
    testTimeoutMs,
  );

  it(
    'a paused member answers nothing until it is resumed',
    async () => {
      const cluster = await startCluster();
      const leader = await cluster.waitForLeader();
      const follower = cluster.member(others(leader)[0]!);

      follower.pause();
      expect(follower.paused).toBe(true);
      expect(follower.running).toBe(true);
      const askedAt = Date.now();
      expect(await follower.isHealthy(1_000)).toBe(false);
      expect(Date.now() - askedAt).toBeGreaterThanOrEqual(900); // it timed out rather than refused
      expect(await follower.leaderInItsView(1_000)).toBeUndefined();

      follower.resume();
      expect(follower.paused).toBe(false);
      await vi.waitFor(async () => expect(await follower.isHealthy()).toBe(true), eventTimeout);
    },
    testTimeoutMs,
  );

  it(
    'a severed follower loses the leader, fails /health (a quorum read) and serves no client; heal undoes it',
    async () => {
      const cluster = await startCluster();
      const leader = await cluster.waitForLeader();
      const severedIndex = others(leader)[0]!;
      const severed = cluster.member(severedIndex);

      cluster.sever(severedIndex);
      expect(severed.severed).toBe(true);
      // Cut off from its peers, it stops hearing the leader and campaigns without winning.
      await vi.waitFor(async () => expect(await severed.leaderInItsView()).toBe('none'), eventTimeout);
      expect(await severed.isHealthy()).toBe(false);
      // Cut off from clients, its endpoint serves nothing, not even from its own copy.
      await expect(
        clientOf([severed.endpoint]).get('/cluster/anything').serializable(true).string(),
      ).rejects.toThrow();
      // The other two keep a quorum.
      expect(others(severedIndex)).toContain(await cluster.waitForLeader());
      await clientOf(others(severedIndex).map((index) => cluster.endpoints[index]!))
        .put('/cluster/while-severed')
        .value('written during the partition');

      cluster.heal(severedIndex);
      expect(severed.severed).toBe(false);
      await vi.waitFor(async () => expect(await severed.isHealthy()).toBe(true), eventTimeout);
      expect(await severed.leaderInItsView()).toBe(await cluster.waitForLeader());
      expect(await clientOf([severed.endpoint]).get('/cluster/while-severed').string()).toBe(
        'written during the partition',
      );
    },
    testTimeoutMs,
  );

  it(
    'a severed leader is replaced by one of the other two',
    async () => {
      const cluster = await startCluster();
      const oldLeader = await cluster.waitForLeader();

      cluster.sever(oldLeader);
      const newLeader = await cluster.waitForLeader();
      expect(others(oldLeader)).toContain(newLeader);
      // Without a quorum behind it, the old leader steps down.
      await vi.waitFor(
        async () => expect(await cluster.member(oldLeader).leaderInItsView()).not.toBe(oldLeader),
        eventTimeout,
      );

      cluster.heal(oldLeader);
      await vi.waitFor(
        async () => expect(await cluster.member(oldLeader).isHealthy()).toBe(true),
        eventTimeout,
      );
      const leaderAfterHeal = await cluster.waitForLeader();
      expect(await cluster.member(oldLeader).leaderInItsView()).toBe(leaderAfterHeal);
    },
    testTimeoutMs,
  );

  it(
    'loses its quorum with two members down and regains it when one comes back',
    async () => {
      const cluster = await startCluster();
      const leader = await cluster.waitForLeader();
      const [first, second] = others(leader);

      await cluster.member(first!).kill();
      await cluster.member(second!).kill();
      await vi.waitFor(
        async () => expect(await cluster.member(leader).isHealthy()).toBe(false),
        eventTimeout,
      );
      expect(await cluster.leader()).toBeUndefined();

      await cluster.member(first!).restart();
      expect([leader, first]).toContain(await cluster.waitForLeader());
      await clientOf(cluster.endpoints).put('/cluster/quorum-back').value('writable again');
    },
    testTimeoutMs,
  );

  it(
    'remove() stops every member and deletes their directories',
    async () => {
      const cluster = await startEtcdCluster({ members: 3 });
      await cluster.remove();
      for (const index of [0, 1, 2]) expect(cluster.member(index).running).toBe(false);
      expect(existsSync(cluster.dir)).toBe(false);
    },
    testTimeoutMs,
  );
});

import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '@message-bus/tools/etcd';
import { EtcdBackend } from './etcd-backend';
import { EtcdWorkLeases } from './etcd-work-leases';
import type { EndpointState } from './fault-handling';

const text = (value: string) => new TextEncoder().encode(value);
const watchedKey = (n: number) => `/members/watched/${String(n).padStart(4, '0')}`;
const CALLS_AFTER_ELECTION = 200;
/** The claim is trusted for 3/4 of this without a renewal: an election and a reconnect must fit. */
const WORK_LEASE_TTL_SECONDS = 6;

/** How many streams of a gRPC method a member serves now: started less finished, from its own metrics. */
async function openStreamsOf(endpoint: string, method: 'Watch' | 'LeaseKeepAlive'): Promise<number> {
  const metrics = await (await fetch(`${endpoint}/metrics`)).text();
  const sum = (name: string) =>
    metrics
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(`grpc_method="${method}"`))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return sum('grpc_server_started_total') - sum('grpc_server_handled_total');
}

/** The one member serving streams of `method`, once there is exactly one. */
async function memberServing(cluster: EtcdCluster, method: 'Watch' | 'LeaseKeepAlive'): Promise<number> {
  return vi.waitFor(
    async () => {
      const streams = await Promise.all(cluster.endpoints.map((endpoint) => openStreamsOf(endpoint, method)));
      expect(streams.filter((count) => count > 0)).toEqual([1]);
      return streams.indexOf(1);
    },
    { timeout: 10_000, interval: 100 },
  );
}

/** Runs `use` with a client of `endpoint` alone. */
async function withMemberClient<T>(endpoint: string, use: (client: Etcd3) => Promise<T>): Promise<T> {
  const client = new Etcd3({ hosts: endpoint });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** Makes member `target` the leader, so that killing it forces an election. */
async function moveLeaderTo(cluster: EtcdCluster, target: number): Promise<void> {
  const leader = await cluster.waitForLeader();
  if (leader === target) return;
  const targetID = await withMemberClient(
    cluster.member(target).endpoint,
    async (client) => (await client.maintenance.status()).header.member_id,
  );
  await withMemberClient(cluster.member(leader).endpoint, (client) =>
    client.maintenance.moveLeader({ targetID }),
  );
  await vi.waitFor(async () => expect(await cluster.leader()).toBe(target), {
    timeout: 10_000,
    interval: 100,
  });
}

describe('EtcdBackend on three etcd members when one of them dies', () => {
  let cluster: EtcdCluster;
  let backend: EtcdBackend;
  const stateChanges: [string, EndpointState][] = [];
  const stateListeners = new Set<(endpoint: string, state: EndpointState) => void>();

  beforeAll(async () => {
    cluster = await startEtcdCluster();
    backend = new EtcdBackend({
      hosts: cluster.endpoints,
      onEndpointState: (endpoint, state) => {
        stateChanges.push([endpoint, state]);
        for (const listener of stateListeners) listener(endpoint, state);
      },
    });
  });
  afterAll(async () => {
    await backend?.close();
    await cluster?.remove();
  });

  it('serves every call from the live members, resumes the watch once, and returns to the member', async () => {
    const controller = new AbortController();
    const iterator = backend.watch('/members/watched/', controller.signal)[Symbol.asyncIterator]();
    const received: string[] = [];
    const receive = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const next = await iterator.next();
        if (next.done) throw new Error('the watch ended early');
        received.push(next.value.key);
      }
    };
    await backend.put([{ key: watchedKey(0), value: text('before') }]);
    await receive(1);

    // Kill the member that serves the watch, made leader first: the watch must move, and
    // every call must wait out an election and then avoid the dead endpoint.
    const victim = await memberServing(cluster, 'Watch');
    await moveLeaderTo(cluster, victim);
    const victimEndpoint = cluster.member(victim).endpoint;
    await cluster.member(victim).kill();
    await cluster.waitForLeader();

    const failures: string[] = [];
    for (let n = 1; n <= CALLS_AFTER_ELECTION; n++) {
      try {
        await backend.put([{ key: watchedKey(n), value: text(`after ${n}`) }]);
        expect(await backend.get(watchedKey(n))).toEqual(text(`after ${n}`));
      } catch (error) {
        failures.push(String(error));
      }
    }
    expect(failures).toEqual([]);
    expect(backend.endpointStates().get(victimEndpoint)).toBe('open');

    // Every put after the kill arrives once, in order: the next one is the sentinel.
    await receive(CALLS_AFTER_ELECTION);
    await backend.put([{ key: '/members/watched/sentinel', value: text('last') }]);
    await receive(1);
    expect(received).toEqual([
      ...Array.from({ length: CALLS_AFTER_ELECTION + 1 }, (_, n) => watchedKey(n)),
      '/members/watched/sentinel',
    ]);
    controller.abort();

    // Once the member answers again, a probe closes its circuit and calls reach it.
    await cluster.member(victim).restart();
    const closedAgain = new Promise<void>((resolve) => {
      stateListeners.add((endpoint, state) => {
        if (endpoint === victimEndpoint && state === 'closed') resolve();
      });
    });
    let reachedVictim = false;
    void closedAgain.then(() => (reachedVictim = true));
    while (!reachedVictim) {
      await backend.get(watchedKey(0));
      await Promise.race([closedAgain, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    expect(backend.endpointStates().get(victimEndpoint)).toBe('closed');
    const victimChanges = stateChanges.filter(([endpoint]) => endpoint === victimEndpoint);
    expect(victimChanges.at(0)).toEqual([victimEndpoint, 'open']);
    expect(victimChanges.at(-1)).toEqual([victimEndpoint, 'closed']);
  }, 60_000);

  it('keeps a work lease renewed when the member renewing it dies', async () => {
    const prefix = 'members-leases';
    const name = 'traveltime/det-1';
    const holderA = new EtcdWorkLeases({ hosts: cluster.endpoints, prefix, holder: 'worker-a' });
    const holderB = new EtcdWorkLeases({ hosts: cluster.endpoints, prefix, holder: 'worker-b' });
    try {
      const lease = await holderA.tryAcquire(name, WORK_LEASE_TTL_SECONDS);
      expect(lease).toBeDefined();
      const victim = await memberServing(cluster, 'LeaseKeepAlive');
      await moveLeaderTo(cluster, victim);
      await cluster.member(victim).kill();
      await cluster.waitForLeader();

      const survivors = cluster.endpoints.filter((_, index) => index !== victim);
      await withMemberClient(survivors[0]!, async (client) => {
        const lockKey = `/${prefix}/locks/${name}`;
        const leaseId = (await client.get(lockKey).exec()).kvs[0]!.lease;
        const remainingTtl = async () =>
          Number((await client.leaseClient.leaseTimeToLive({ ID: leaseId })).TTL);
        // A remaining TTL that grows again is a renewal etcd accepted after the election.
        for (let previous = await remainingTtl(); ;) {
          expect(lease!.lost.aborted).toBe(false);
          const remaining = await remainingTtl();
          expect(remaining).toBeGreaterThan(0);
          if (remaining > previous) break;
          previous = remaining;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(await client.get(lockKey).string()).toBe('worker-a');
      });
      expect(await holderB.tryAcquire(name, WORK_LEASE_TTL_SECONDS)).toBeUndefined();
      expect(lease!.lost.aborted).toBe(false);
    } finally {
      await holderA.close();
      await holderB.close();
    }
  }, 60_000);
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  startEtcdCluster,
  startSeverableProxy,
  type EtcdCluster,
  type SeverableProxy,
} from '@message-bus/tools/etcd';
import type { KvWatchEntry } from '@message-bus/store-kv';
import { EtcdBackend } from './etcd-backend';

const text = (value: string) => new TextEncoder().encode(value);
const watchedKey = (n: number) => `/partition/watched/${String(n).padStart(4, '0')}`;
/** Puts made while the watched member is cut off, and again after it is back. */
const PUTS_PER_PHASE = 50;
/** Limits, not speeds: an election, the server ending a leaderless watch and a reconnect must fit. */
const EVENT_TIMEOUT_MS = 60_000;

/**
 * The client URL a member listens on itself, read from its log: the cluster's own proxy
 * in front of it is cut with its peers, and the watch must keep a connection that is not.
 */
async function directClientUrl(cluster: EtcdCluster, index: number): Promise<string> {
  const log = await readFile(join(cluster.member(index).dir, 'etcd.log'), 'utf8');
  const address = /serving (?:insecure )?client (?:requests|traffic)[^\n]*?(127\.0\.0\.1:\d+)/.exec(log)?.[1];
  if (address === undefined) throw new Error(`no client address in the log of member ${index}`);
  return `http://${address}`;
}

/** How many Watch streams a member serves now: started less finished, from its own metrics. */
async function openWatchStreams(endpoint: string): Promise<number> {
  const metrics = await (await fetch(`${endpoint}/metrics`)).text();
  const sum = (name: string) =>
    metrics
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes('grpc_method="Watch"'))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return sum('grpc_server_started_total') - sum('grpc_server_handled_total');
}

/** Makes member `target` the leader. */
async function moveLeaderTo(cluster: EtcdCluster, target: number): Promise<void> {
  const leader = await cluster.waitForLeader();
  if (leader === target) return;
  const withClient = async <T>(index: number, use: (client: Etcd3) => Promise<T>): Promise<T> => {
    const client = new Etcd3({ hosts: cluster.member(index).endpoint });
    try {
      return await use(client);
    } finally {
      client.close();
    }
  };
  const targetID = await withClient(target, async (client) => (await client.maintenance.status()).header.member_id);
  await withClient(leader, (client) => client.maintenance.moveLeader({ targetID }));
  await vi.waitFor(async () => expect(await cluster.leader()).toBe(target), {
    timeout: EVENT_TIMEOUT_MS,
    interval: 100,
  });
}

describe('EtcdBackend.watch when the member serving it is cut off from its peers', () => {
  let cluster: EtcdCluster;
  /** One per member, straight to its client port: severing the member leaves these up. */
  const directProxies: SeverableProxy[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster();
    for (const index of [0, 1, 2]) {
      directProxies.push(await startSeverableProxy(await directClientUrl(cluster, index)));
    }
  });
  afterAll(async () => {
    await Promise.all(directProxies.map((proxy) => proxy.close()));
    await cluster?.remove();
  });

  it('delivers every later put once, in order, while the member is partitioned and after it is back', async () => {
    // The watcher reaches every member past the cluster's proxies, so its stream stays
    // open on the cut-off member, as over a network that separates etcd's members only.
    const watcher = new EtcdBackend({ hosts: directProxies.map((proxy) => proxy.endpoint) });
    const controller = new AbortController();
    const received: KvWatchEntry[] = [];
    const reading = (async () => {
      for await (const entry of watcher.watch('/partition/watched/', controller.signal)) received.push(entry);
    })();
    const receivedKeys = () => received.filter((entry) => !entry.replaced).map((entry) => entry.key);
    let writer: EtcdBackend | undefined;
    try {
      await watcher.put([{ key: watchedKey(0), value: text('before') }]);
      await vi.waitFor(() => expect(receivedKeys()).toEqual([watchedKey(0)]), { timeout: EVENT_TIMEOUT_MS });

      // The member serving the watch leads, then loses its peers: the others elect a leader.
      const streams = await Promise.all(directProxies.map((proxy) => openWatchStreams(proxy.endpoint)));
      expect(streams.filter((count) => count > 0)).toEqual([1]);
      const serving = streams.indexOf(1);
      await moveLeaderTo(cluster, serving);
      cluster.sever(serving);
      const others = [0, 1, 2].filter((index) => index !== serving);
      writer = new EtcdBackend({ hosts: others.map((index) => cluster.member(index).endpoint) });
      expect(others).toContain(await cluster.waitForLeader(EVENT_TIMEOUT_MS));

      const put = async (n: number) => writer!.put([{ key: watchedKey(n), value: text(`put ${n}`) }]);
      for (let n = 1; n <= PUTS_PER_PHASE; n++) await put(n);
      const whilePartitioned = Array.from({ length: PUTS_PER_PHASE + 1 }, (_, n) => watchedKey(n));
      await vi.waitFor(() => expect(receivedKeys()).toEqual(whilePartitioned), {
        timeout: EVENT_TIMEOUT_MS,
        interval: 50,
      });

      cluster.heal(serving);
      await vi.waitFor(async () => expect(await cluster.member(serving).isHealthy()).toBe(true), {
        timeout: EVENT_TIMEOUT_MS,
        interval: 50,
      });
      for (let n = PUTS_PER_PHASE + 1; n <= 2 * PUTS_PER_PHASE; n++) await put(n);
      const all = Array.from({ length: 2 * PUTS_PER_PHASE + 1 }, (_, n) => watchedKey(n));
      await vi.waitFor(() => expect(receivedKeys()).toEqual(all), { timeout: EVENT_TIMEOUT_MS, interval: 50 });
      // Nothing twice: a key seen again is a put written again (a retry that had committed).
      const seen = new Set<string>();
      const repeatsNotWritten = received.filter((entry) => seen.has(entry.key) !== entry.replaced || !seen.add(entry.key));
      expect(repeatsNotWritten).toEqual([]);
    } finally {
      controller.abort();
      await reading;
      await watcher.close();
      await writer?.close();
    }
  }, 240_000);
});

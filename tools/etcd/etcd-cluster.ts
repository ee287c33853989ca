import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdProcess, freePorts, isHealthy, PortTakenError } from './etcd-process';
import { startSeverableProxy, type SeverableProxy } from './severable-proxy';

/** How to start a throwaway etcd cluster. */
export interface EtcdClusterOptions {
  /** Members; e.g. `3` (the default). */
  readonly members?: number;
  /** The etcd executable; e.g. `/usr/bin/etcd`. Default: `etcd` from PATH. */
  readonly binary?: string;
  /** Further flags for every member; e.g. `['--pre-vote=true']`. */
  readonly extraArgs?: readonly string[];
  /** How long the cluster, or a restarted member, may take to answer; e.g. `60_000`. Default: 30 s. */
  readonly startTimeoutMs?: number;
}

/** One member of an EtcdCluster. Its ports and data directory stay the same across restarts. */
export interface EtcdClusterMember {
  /** Its place in the cluster, 0-based: `cluster.member(index)`. */
  readonly index: number;
  /** Its etcd name; e.g. `member-0`. */
  readonly name: string;
  /** Its client URL, through the proxy that `sever` cuts; e.g. `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  /** The temp directory holding its data (`data/`) and its log (`etcd.log`). */
  readonly dir: string;
  /** Whether its process is running (a paused one is). */
  readonly running: boolean;
  /** Whether it is stopped by `pause()`. */
  readonly paused: boolean;
  /** Whether `cluster.sever(index)` cut it off. */
  readonly severed: boolean;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGSTOP: the process stays, but answers no one, as if it hung. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /**
   * Stops it if it runs, starts it again and waits until it has rejoined: it answers
   * `/health`, which needs a leader and a quorum read. A severed member cannot, so heal it first.
   */
  restart(): Promise<void>;
  /** Whether it answers `/health` within `timeoutMs`, asked directly (past its proxy). */
  isHealthy(timeoutMs?: number): Promise<boolean>;
  /**
   * The leader as this member sees it, asked directly (past its proxy): the leader's
   * index, `'none'` while it knows of none, or `undefined` when it does not answer in `timeoutMs`.
   */
  leaderInItsView(timeoutMs?: number): Promise<number | 'none' | undefined>;
}

/** Throwaway etcd members on loopback forming one cluster, owned by the test that started it. */
export interface EtcdCluster {
  /** Every member's client URL (through its proxy), in member order. */
  readonly endpoints: readonly string[];
  /** The temp directory holding every member's directory. */
  readonly dir: string;
  /** The member at `index` (0-based). */
  member(index: number): EtcdClusterMember;
  /**
   * The index of the leader clients can reach: a member not severed that says it leads,
   * which a quorum of the members not severed names as leader. `undefined` while there is none.
   */
  leader(): Promise<number | undefined>;
  /** Resolves with `leader()` once there is one and it serves a quorum read; rejects after `timeoutMs` (default 30 s). */
  waitForLeader(timeoutMs?: number): Promise<number>;
  /**
   * Cuts member `index` off from clients and from its peers (every connection to its
   * client and peer proxies, and the raft connections it opened to the others), as a
   * network partition would. The process keeps running.
   */
  sever(index: number): void;
  /** Lets member `index` reach and be reached again. */
  heal(index: number): void;
  /** Kills every member, closes the proxies and deletes the directory. */
  remove(): Promise<void>;
}

const defaultStartTimeoutMs = 30_000;
const defaultLeaderTimeoutMs = 30_000;
const portRaceAttempts = 5;
const statusTimeoutMs = 1_000;
const leaderPollMs = 50;

/**
 * Starts `members` etcd processes (default 3) as one new cluster on free loopback ports,
 * each in its own temp directory, and resolves once every member answers `/health` (so
 * the cluster has a leader). Each member's client and peer traffic goes through a
 * severable proxy, so a test can partition one member away; members advertise the proxy
 * URLs, so their peers reach them only through the proxy.
 */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const memberCount = options.members ?? 3;
  if (!Number.isInteger(memberCount) || memberCount < 1) {
    throw new Error(`members must be 1 or more, not ${memberCount}`);
  }
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'etcd-cluster-'));
    let cluster: Cluster | undefined;
    try {
      cluster = await Cluster.create(options, memberCount, dir);
      await cluster.start();
      return cluster;
    } catch (error) {
      await (cluster ? cluster.remove() : rm(dir, { recursive: true, force: true }));
      // Another process may have taken a port between our probe and etcd's bind.
      if (!(error instanceof PortTakenError) || attempt >= portRaceAttempts) throw error;
    }
  }
}

class Member implements EtcdClusterMember {
  readonly name: string;
  readonly endpoint: string;
  severed = false;
  private knownId: string | undefined;
  private pausedNow = false;

  constructor(
    readonly index: number,
    readonly dir: string,
    readonly clientPort: number,
    readonly clientProxy: SeverableProxy,
    readonly peerProxy: SeverableProxy,
    private readonly process: EtcdProcess,
    /** Every member's index by its hex id, filled in once the cluster started. */
    private readonly indexById: ReadonlyMap<string, number>,
    private readonly startTimeoutMs: number,
  ) {
    this.name = memberName(index);
    this.endpoint = clientProxy.endpoint;
  }

  get running(): boolean {
    return this.process.running;
  }

  /** etcd's member id in hex, as its peer requests name it in `X-Server-From`; known once the cluster started. */
  get id(): string {
    if (this.knownId === undefined) throw new Error(`${this.name} has not started yet`);
    return this.knownId;
  }

  set id(id: string) {
    this.knownId = id;
  }

  get paused(): boolean {
    return this.pausedNow && this.running;
  }

  /** Starts the process and waits for `/health`. */
  async start(): Promise<void> {
    this.pausedNow = false;
    await this.process.start(this.startTimeoutMs);
  }

  async stop(): Promise<void> {
    await this.process.stop();
    this.pausedNow = false;
  }

  async kill(): Promise<void> {
    await this.process.kill('SIGKILL');
    this.pausedNow = false;
  }

  pause(): void {
    this.process.signal('SIGSTOP');
    this.pausedNow = true;
  }

  resume(): void {
    this.process.signal('SIGCONT');
    this.pausedNow = false;
  }

  async restart(): Promise<void> {
    if (this.severed) throw new Error(`${this.name} is severed, so it could not rejoin: heal it first`);
    await this.stop();
    await this.start();
  }

  isHealthy(timeoutMs = statusTimeoutMs): Promise<boolean> {
    return isHealthy(this.clientPort, timeoutMs);
  }

  async leaderInItsView(timeoutMs = statusTimeoutMs): Promise<number | 'none' | undefined> {
    const status = await memberStatus(this.clientPort, timeoutMs);
    if (status === undefined) return undefined;
    if (status.leaderId === undefined) return 'none';
    return this.indexById.get(status.leaderId) ?? 'none';
  }
}

class Cluster implements EtcdCluster {
  readonly endpoints: readonly string[];

  private constructor(
    readonly dir: string,
    private readonly members: readonly Member[],
    private readonly indexById: Map<string, number>,
  ) {
    this.endpoints = members.map((member) => member.endpoint);
  }

  /** Sets up proxies and processes (not yet started) for a new cluster in `dir`. */
  static async create(options: EtcdClusterOptions, memberCount: number, dir: string): Promise<Cluster> {
    const ports = await freePorts(2 * memberCount);
    const clientPort = (index: number) => ports[2 * index]!;
    const peerPort = (index: number) => ports[2 * index + 1]!;
    const clientProxies: SeverableProxy[] = [];
    const peerProxies: SeverableProxy[] = [];
    try {
      for (let index = 0; index < memberCount; index++) {
        clientProxies.push(await startSeverableProxy(`http://127.0.0.1:${clientPort(index)}`));
        peerProxies.push(
          await startSeverableProxy(`http://127.0.0.1:${peerPort(index)}`, { sourceOf: serverFrom }),
        );
      }
    } catch (error) {
      await Promise.all([...clientProxies, ...peerProxies].map((proxy) => proxy.close()));
      throw error;
    }
    const initialCluster = peerProxies
      .map((peer, index) => `${memberName(index)}=${peer.endpoint}`)
      .join(',');
    const token = `etcd-cluster-${randomUUID()}`;
    const indexById = new Map<string, number>();
    const members: Member[] = [];
    for (let index = 0; index < memberCount; index++) {
      const memberDir = join(dir, memberName(index));
      await mkdir(memberDir);
      const clientUrl = `http://127.0.0.1:${clientPort(index)}`;
      const peerUrl = `http://127.0.0.1:${peerPort(index)}`;
      const process = new EtcdProcess({
        binary: options.binary ?? 'etcd',
        args: [
          `--name=${memberName(index)}`,
          `--data-dir=${join(memberDir, 'data')}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientProxies[index]!.endpoint}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerProxies[index]!.endpoint}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          `--initial-cluster-token=${token}`,
          ...(options.extraArgs ?? []),
        ],
        clientPort: clientPort(index),
        logFile: join(memberDir, 'etcd.log'),
        description: `etcd ${memberName(index)} at ${clientUrl} (peer ${peerUrl})`,
      });
      members.push(
        new Member(
          index,
          memberDir,
          clientPort(index),
          clientProxies[index]!,
          peerProxies[index]!,
          process,
          indexById,
          options.startTimeoutMs ?? defaultStartTimeoutMs,
        ),
      );
    }
    return new Cluster(dir, members, indexById);
  }

  /** Starts every member at once (none answers `/health` before a quorum is up) and learns their ids. */
  async start(): Promise<void> {
    const outcomes = await Promise.allSettled(this.members.map((member) => member.start()));
    const failures = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
    );
    if (failures.length > 0)
      throw failures.find((failure) => failure instanceof PortTakenError) ?? failures[0];
    for (const member of this.members) {
      const status = await memberStatus(member.clientPort, 5_000);
      if (status === undefined) throw new Error(`${member.name} answered /health but not its status`);
      member.id = status.memberId;
      this.indexById.set(status.memberId, member.index);
    }
  }

  member(index: number): EtcdClusterMember {
    return this.memberAt(index);
  }

  async leader(): Promise<number | undefined> {
    const reachable = this.members.filter((member) => !member.severed);
    const views = await Promise.all(
      reachable.map(async (member) => ({ member, view: await member.leaderInItsView() })),
    );
    const quorum = Math.floor(this.members.length / 2) + 1;
    for (const { member, view } of views) {
      if (view !== member.index) continue; // a leader says it leads...
      const named = views.filter((other) => other.view === member.index).length;
      if (named >= quorum) return member.index; // ...and a quorum follows it
    }
    return undefined;
  }

  async waitForLeader(timeoutMs = defaultLeaderTimeoutMs): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.leader();
      if (leader !== undefined && (await this.memberAt(leader).isHealthy())) return leader;
      if (Date.now() > deadline)
        throw new Error(`the etcd cluster in ${this.dir} had no leader within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, leaderPollMs));
    }
  }

  sever(index: number): void {
    const member = this.memberAt(index);
    member.severed = true;
    member.clientProxy.sever();
    member.peerProxy.sever();
    for (const other of this.members) if (other !== member) other.peerProxy.sever(member.id);
  }

  heal(index: number): void {
    const member = this.memberAt(index);
    member.clientProxy.heal();
    member.peerProxy.heal();
    for (const other of this.members) if (other !== member) other.peerProxy.heal(member.id);
    member.severed = false;
  }

  async remove(): Promise<void> {
    // SIGKILL: the data goes anyway, and members stopping together with SIGTERM wait
    // seconds on each other to hand leadership over.
    await Promise.all(this.members.map((member) => member.kill()));
    await Promise.all(
      this.members.flatMap((member) => [member.clientProxy.close(), member.peerProxy.close()]),
    );
    await rm(this.dir, { recursive: true, force: true });
  }

  private memberAt(index: number): Member {
    const member = this.members[index];
    if (member === undefined) throw new Error(`no member ${index}: the cluster has ${this.members.length}`);
    return member;
  }
}

function memberName(index: number): string {
  return `member-${index}`;
}

/** The member id an etcd peer request names in `X-Server-From` (hex), if any. */
function serverFrom(requestHead: string): string | undefined {
  return /^x-server-from:\s*([0-9a-f]+)\s*$/im.exec(requestHead)?.[1]?.toLowerCase();
}

interface MemberStatus {
  /** This member's id, in hex. */
  readonly memberId: string;
  /** The leader's id in hex, or `undefined` while it knows of none. */
  readonly leaderId: string | undefined;
}

/**
 * etcd's maintenance status through its HTTP gateway (`POST /v3/maintenance/status`),
 * or `undefined` when it does not answer in `timeoutMs`. The gateway writes the uint64
 * ids as decimal strings; they are turned into the hex that etcd's peers use.
 */
function memberStatus(port: number, timeoutMs: number): Promise<MemberStatus | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v3/maintenance/status',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('error', () => resolve(undefined));
        res.on('end', () => {
          try {
            const status = JSON.parse(body) as { header?: { member_id?: string }; leader?: string };
            const memberId = status.header?.member_id;
            if (res.statusCode !== 200 || memberId === undefined) return resolve(undefined);
            const leader = status.leader === undefined ? 0n : BigInt(status.leader);
            resolve({
              memberId: BigInt(memberId).toString(16),
              leaderId: leader === 0n ? undefined : leader.toString(16),
            });
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end('{}');
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to start a throwaway etcd. */
export interface ThrowawayEtcdOptions {
  /** The etcd executable; e.g. `/usr/bin/etcd`. Default: `etcd` from PATH. */
  readonly binary?: string;
  /** etcd's `--quota-backend-bytes`; e.g. `4 * 1024 * 1024` to provoke the NOSPACE alarm. Default: etcd's (2 GiB). */
  readonly quotaBackendBytes?: number;
  /** Further etcd flags; e.g. `['--auto-compaction-retention=1h']`. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for etcd to answer after starting it; e.g. `10_000`. Default: 15 s. */
  readonly startTimeoutMs?: number;
}

/** A running etcd on loopback, owned by the test that started it. */
export interface ThrowawayEtcd {
  /** The client URL; e.g. `http://127.0.0.1:40123`. Stays the same across stop and start. */
  readonly endpoint: string;
  /** The temp directory holding etcd's data (`data/`) and its log (`etcd.log`). */
  readonly dataDir: string;
  /** Whether the etcd process is running. */
  readonly running: boolean;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL), then waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts etcd again on the same ports and data directory and waits until it answers. */
  start(): Promise<void>;
  /** Stops etcd and deletes its directory. */
  remove(): Promise<void>;
}

const defaultStartTimeoutMs = 15_000;
const stopGraceMs = 10_000;
const portRaceAttempts = 5;

/** Every etcd started by this process, killed when the process exits so none is orphaned. */
const liveProcesses = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts etcd on free loopback ports (client and peer) with a fresh temp directory and
 * resolves once it answers `/health`. etcd's output goes to `<dataDir>/etcd.log`; it is
 * shown only when startup fails.
 */
export async function startThrowawayEtcd(options: ThrowawayEtcdOptions = {}): Promise<ThrowawayEtcd> {
  installExitHook();
  const dataDir = await mkdtemp(join(tmpdir(), 'throwaway-etcd-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const [clientPort, peerPort] = await freePorts(2);
      const instance = new EtcdInstance(options, dataDir, clientPort!, peerPort!);
      try {
        await instance.start();
        return instance;
      } catch (error) {
        // Another process may have taken a port between our probe and etcd's bind.
        if (!(error instanceof PortTakenError) || attempt >= portRaceAttempts) throw error;
      }
    }
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
}

class EtcdInstance implements ThrowawayEtcd {
  readonly endpoint: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: ThrowawayEtcdOptions,
    readonly dataDir: string,
    private readonly clientPort: number,
    private readonly peerPort: number,
  ) {
    this.endpoint = `http://127.0.0.1:${clientPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private get logFile(): string {
    return join(this.dataDir, 'etcd.log');
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`etcd at ${this.endpoint} is already running`);
    const logStart = this.logSize();
    const logFd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.options.binary ?? 'etcd', this.args(), { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    this.child = child;
    liveProcesses.add(child);
    let spawnError: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        spawnError = error;
        resolve();
      });
      child.once('exit', () => resolve());
    }).then(() => {
      liveProcesses.delete(child);
      if (this.child === child) this.child = undefined;
    });

    const ready = await Promise.race([
      this.waitUntilHealthy(this.options.startTimeoutMs ?? defaultStartTimeoutMs),
      this.exited.then(() => false),
    ]);
    if (ready) return;

    await this.kill('SIGKILL');
    const log = this.logSince(logStart);
    if (/address already in use/.test(log)) {
      throw new PortTakenError(`etcd could not bind ${this.endpoint} or peer port ${this.peerPort}`);
    }
    const why = spawnError ? spawnError.message : 'it did not answer in time or exited';
    throw new Error(`throwaway etcd at ${this.endpoint} failed to start (${why}); its log:\n${log}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private args(): string[] {
    const client = this.endpoint;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    return [
      '--name=throwaway',
      `--data-dir=${join(this.dataDir, 'data')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=throwaway=${peer}`,
      '--initial-cluster-state=new',
      ...(this.options.quotaBackendBytes === undefined
        ? []
        : [`--quota-backend-bytes=${this.options.quotaBackendBytes}`]),
      ...(this.options.extraArgs ?? []),
    ];
  }

  private async waitUntilHealthy(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.child) {
      if (await isHealthy(this.clientPort)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  private logSize(): number {
    try {
      return readFileSync(this.logFile).length;
    } catch {
      return 0;
    }
  }

  private logSince(offset: number): string {
    try {
      return readFileSync(this.logFile).subarray(offset).toString('utf8');
    } catch {
      return '(no log written)';
    }
  }
}

/** etcd's `/health` answers `{"health":"true"}` once the member has a leader and serves. */
function isHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Ports the OS hands out for listen(0), held open together so they are distinct. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function killLiveProcesses(): void {
  for (const child of liveProcesses) child.kill('SIGKILL');
}

/**
 * Kills every etcd we started when this process ends, normally or by a signal. A signal
 * is re-raised afterwards when no one else handles it, so the process still terminates.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killLiveProcesses);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killLiveProcesses();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

/** How to run one etcd process: the parts throwaway-etcd and etcd-cluster share. */
export interface EtcdProcessConfig {
  /** The etcd executable; e.g. `/usr/bin/etcd`. */
  readonly binary: string;
  /** Every flag etcd is started with. */
  readonly args: readonly string[];
  /** The loopback port etcd serves clients on, where `/health` is asked. */
  readonly clientPort: number;
  /** Where etcd's output is appended; shown only when startup fails. */
  readonly logFile: string;
  /** Names the process in errors; e.g. `throwaway etcd at http://127.0.0.1:40123`. */
  readonly description: string;
}

/** etcd could not bind a port it was given: another process took it after we probed it. */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
}

const stopGraceMs = 10_000;
const healthPollMs = 50;

/** Every etcd started by this process, killed when the process exits so none is orphaned. */
const liveProcesses = new Set<ChildProcess>();
let exitHookInstalled = false;

/** One etcd process that can be started again after it stopped, with the same flags. */
export class EtcdProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly config: EtcdProcessConfig) {}

  /** Whether the process is running (a paused one is). */
  get running(): boolean {
    return this.child !== undefined;
  }

  /**
   * Spawns etcd and resolves once it answers `/health`, which it does only once it has a
   * leader and can serve a quorum read. Throws PortTakenError when a port was taken, and
   * otherwise an error holding etcd's log when it exits or does not answer in `timeoutMs`.
   */
  async start(timeoutMs: number): Promise<void> {
    installExitHook();
    if (this.child) throw new Error(`${this.config.description} is already running`);
    const logStart = this.logSize();
    const logFd = openSync(this.config.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.config.binary, this.config.args, { stdio: ['ignore', logFd, logFd] });
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

    const ready = await Promise.race([this.waitUntilHealthy(timeoutMs), this.exited.then(() => false)]);
    if (ready) return;

    await this.kill('SIGKILL');
    const log = this.logSince(logStart);
    if (/address already in use/.test(log)) {
      throw new PortTakenError(
        `${this.config.description} could not bind a port: ${firstLineWith(log, 'address already in use')}`,
      );
    }
    const why = spawnError ? spawnError.message : 'it did not answer in time or exited';
    throw new Error(`${this.config.description} failed to start (${why}); its log:\n${log}`);
  }

  /** SIGTERM (and SIGCONT, so a paused etcd gets it), then waits for the exit; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Sends `signal`, then waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
  }

  /** Sends `signal` without waiting for anything; e.g. SIGSTOP and SIGCONT. */
  signal(signal: NodeJS.Signals): void {
    if (!this.child) throw new Error(`${this.config.description} is not running`);
    this.child.kill(signal);
  }

  private async waitUntilHealthy(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.child) {
      if (await isHealthy(this.config.clientPort)) return true;
      await new Promise((resolve) => setTimeout(resolve, healthPollMs));
    }
    return false;
  }

  private logSize(): number {
    try {
      return readFileSync(this.config.logFile).length;
    } catch {
      return 0;
    }
  }

  private logSince(offset: number): string {
    try {
      return readFileSync(this.config.logFile).subarray(offset).toString('utf8');
    } catch {
      return '(no log written)';
    }
  }
}

/**
 * Whether the etcd serving clients on loopback `port` answers `/health` with
 * `{"health":"true"}` within `timeoutMs`: it has a leader, no alarm, and a quorum read
 * went through. A paused or cut-off member does not.
 */
export function isHealthy(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: timeoutMs }, (res) => {
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
export async function freePorts(count: number): Promise<number[]> {
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

function firstLineWith(log: string, text: string): string {
  return log.split('\n').find((line) => line.includes(text)) ?? text;
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

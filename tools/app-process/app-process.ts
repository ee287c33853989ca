import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The apps whose bundle (`nx run <app>:build` → `apps/<folder>/dist/main.js`) can be started. */
export type BuiltApp = 'cqserver' | 'collector' | 'query' | 'healthcheck' | 'traveltime';

/** The ports an app logged in its `ready` line, by service; e.g. `{ collector: 40123, healthcheck: 40125 }`. */
export type ReadyPorts = Readonly<Record<string, number>>;

export interface AppProcessOptions {
  /** Flags after `main.js`; e.g. `['--store=etcd', '--collector_port=127.0.0.1:0']`. */
  readonly args?: readonly string[];
  /** Environment of the child besides PATH; e.g. `{ PRIVACY_KEY: '…' }`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Flags for node itself, before `main.js`; e.g. `['--cpu-prof']` (not allowed in NODE_OPTIONS). */
  readonly nodeArgs?: readonly string[];
  /** How long to wait for the `ready` line. Default 90 s. */
  readonly readyTimeoutMs?: number;
}

const workspaceRoot = resolve(__dirname, '../..');
/**
 * A server with `--workers` (one per core by default) starts its processes one after
 * another before it is ready; on a loaded machine that took over 30 s once.
 */
const defaultReadyTimeoutMs = 90_000;

/** The bundle of a built app; throws with the build command when it is missing. */
export function builtAppMain(app: BuiltApp): string {
  const main = resolve(workspaceRoot, 'apps', app, 'dist/main.js');
  const project = app === 'cqserver' ? app : `${app}-app`;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx nx run ${project}:build\` first`);
  return main;
}

/**
 * A built app running as a child process, started and restarted with the same flags, so
 * tests can SIGKILL it mid-work and bring it back on the same data. Its JSON log lines
 * are kept for assertions (`logLines`); stderr is shown when startup fails.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private currentPorts: ReadyPorts = {};
  readonly logLines: Record<string, unknown>[] = [];

  private constructor(
    readonly app: BuiltApp,
    private readonly options: AppProcessOptions,
  ) {}

  /** Starts `app` and resolves once it logs `ready`. */
  static async start(app: BuiltApp, options: AppProcessOptions = {}): Promise<AppProcess> {
    const process = new AppProcess(app, options);
    await process.start();
    return process;
  }

  /** The ports of the running process (they change across restarts when the flags ask for port 0). */
  get ports(): ReadyPorts {
    return this.currentPorts;
  }

  /** `127.0.0.1:<port>` of one service; throws when the app did not report it. */
  address(service: string): string {
    const port = this.currentPorts[service];
    if (port === undefined) throw new Error(`${this.app} reported no ${service} port`);
    return `127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the last run ended: its exit code, or null while it runs or when a signal ended it. */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process again with the same flags (after `kill` or `stop`). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.app} is already running`);
    const nodeArgs = this.options.nodeArgs ?? [];
    const child = spawn(
      process.execPath,
      [...nodeArgs, builtAppMain(this.app), ...(this.options.args ?? [])],
      {
        env: { PATH: process.env['PATH'] ?? '', ...this.options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
    this.currentPorts = await new Promise<ReadyPorts>((done, fail) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new Error(`${this.app} not ready within ${this.readyTimeoutMs} ms: ${stderr.join('\n')}`));
      }, this.readyTimeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = parseLogLine(line);
        if (entry === undefined) return;
        this.logLines.push(entry);
        if (entry['msg'] === 'ready') {
          clearTimeout(timer);
          done(entry['ports'] as ReadyPorts);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`${this.app} exited (${signal ?? code}) before ready: ${stderr.join('\n')}`));
      });
    });
  }

  /** Sends `signal` (default SIGKILL: no graceful shutdown) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill(signal);
    await exited;
  }

  /** SIGTERM (graceful shutdown) and waits for the exit. */
  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }

  private get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? defaultReadyTimeoutMs;
  }
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    const entry: unknown = JSON.parse(line);
    return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

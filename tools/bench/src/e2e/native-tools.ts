import { builtAppMain } from '@message-bus/tools/app-process';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ProcessStats } from './cqserver-under-test';
import type { LoadResult, StreamJob, UnaryJob } from './load-jobs';
import type { SightingPlan } from './sighting-logs';

/** Set to `1` to skip the native rows even where `go` is on PATH (e.g. to test the suite as a machine without Go runs it). */
export const NO_NATIVE_ENV = 'MESSAGE_BUS_BENCH_NO_NATIVE';

/** The native (Go) tools of `tools/bench/native/`, built by its `build.mjs`. */
export interface NativeTools {
  /** mb-loadgen: one job as JSON on stdin, a LoadResult as JSON on stdout. */
  readonly loadGenerator: string;
  /** mb-oneput: the original's one etcd put per sighting, as a gRPC server. */
  readonly onePutServer: string;
}

/**
 * A sighting plan the native load generator also takes as one detector's history:
 * with `secondsApart`, sighting i of part 0 at `hourStartSeconds + i × secondsApart`.
 */
export interface NativeSightingPlan extends SightingPlan {
  readonly secondsApart?: number;
}

/**
 * A job of the native load generator: the Node load generator's unary and stream jobs,
 * and GetEvents whose range is optional (no range: the detector's whole history) and
 * whose limit may differ from the sightings expected back.
 */
export type NativeLoadJob =
  | (Omit<UnaryJob, 'plan'> & {
      readonly plan: NativeSightingPlan;
      /** HTTP/2 connections the calls are spread over (default 1): each goes to one worker process. */
      readonly connections?: number;
    })
  | (Omit<StreamJob, 'plan'> & { readonly plan: NativeSightingPlan })
  | {
      readonly kind: 'get-events';
      readonly query: string;
      readonly detectorId: string;
      readonly afterSeconds?: number;
      readonly beforeSeconds?: number;
      readonly limit: number;
      readonly repeats: number;
      readonly expectedSightings: number;
    };

/** Why the native rows cannot run here, or undefined when they can: `go` must run, and the env must not opt out. */
export function nativeToolsUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[NO_NATIVE_ENV] === '1') return `${NO_NATIVE_ENV}=1`;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore', env });
    return undefined;
  } catch {
    return '`go` is not on PATH';
  }
}

/** Builds the native tools (`node tools/bench/native/build.mjs`; go's build cache makes a rebuild quick), its output on stderr. */
export function buildNativeTools(log: (line: string) => void): NativeTools {
  log('building the native tools (node tools/bench/native/build.mjs)');
  const stdout = execFileSync(process.execPath, [resolve('tools/bench/native/build.mjs')], {
    stdio: ['ignore', 'pipe', process.stderr],
    encoding: 'utf8',
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as NativeTools;
}

/** Runs one job in a fresh native load generator; rejects with its stderr when it fails. */
export async function runNativeJob(tools: NativeTools, job: NativeLoadJob): Promise<LoadResult> {
  const child = spawn(tools.loadGenerator, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(JSON.stringify(job));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    throw new Error(
      `mb-loadgen (${job.kind}) exited ${code}: ${Buffer.concat(stderr).toString('utf8').trim()}`,
    );
  }
  return JSON.parse(Buffer.concat(stdout).toString('utf8')) as LoadResult;
}

/** Whether the built cqserver takes `--workers <n>` (its `--help` lists it). */
export function cqserverHasWorkersOption(): boolean {
  const help = execFileSync(process.execPath, [builtAppMain('cqserver'), '--help'], { encoding: 'utf8' });
  return /--workers\b/.test(help);
}

/** The native one-put server as a child process. */
export class OnePutServer {
  private constructor(
    private readonly child: ChildProcess,
    /** `127.0.0.1:<port>`, serving CollectorService and QueryService. */
    readonly address: string,
  ) {}

  /** Starts it on a port the system picks and waits for the port it prints. */
  static async start(tools: NativeTools, etcdEndpoint: string, prefix: string): Promise<OnePutServer> {
    const endpoint = etcdEndpoint.replace(/^https?:\/\//, '');
    const child = spawn(tools.onePutServer, ['--etcd', endpoint, '--port', '0', '--prefix', prefix], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
    const port = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new Error(`mb-oneput printed no port within 15 s: ${stderr.join('\n')}`));
      }, 15_000);
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        done(line.trim());
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`mb-oneput exited (${code}) before serving: ${stderr.join('\n')}`));
      });
    });
    return new OnePutServer(child, `127.0.0.1:${port}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM (its gRPC server stops gracefully) and waits for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** One process of a server's tree: its pid and peak resident memory (VmHWM) over a run. */
export interface ProcessPeak {
  readonly pid: number;
  readonly peakRssBytes: number;
}

/**
 * A server process and its descendants (the workers of `cqserver --workers n`, found
 * as children in /proc): CPU time and peak resident memory of each, taken together.
 */
export class ProcessTree {
  constructor(private readonly rootPid: number) {}

  /** The root and every descendant alive now. */
  pids(): number[] {
    const children = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // it exited meanwhile
      }
      // After the command name (in parentheses, may hold spaces): state, then the parent's pid.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    }
    const found = [this.rootPid];
    for (let at = 0; at < found.length; at += 1) found.push(...(children.get(found[at]!) ?? []));
    return found;
  }

  /** User + system CPU seconds the live processes have used so far. */
  cpuSeconds(pids: readonly number[]): number {
    return pids.reduce((total, pid) => total + readOr(() => new ProcessStats(pid).cpuSeconds(), 0), 0);
  }

  /** Starts a new peak (VmHWM) in every process; false where the kernel refuses. */
  resetPeaks(pids: readonly number[]): boolean {
    return pids.every((pid) => new ProcessStats(pid).resetPeak());
  }

  peaks(pids: readonly number[]): ProcessPeak[] {
    return pids.map((pid) => ({ pid, peakRssBytes: readOr(() => new ProcessStats(pid).peakBytes(), 0) }));
  }
}

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback; // the process exited
  }
}

import { LmdbBackend } from '@message-bus/store-embedded';
import { prefixEnd } from '@message-bus/store-kv';
import { AppProcess } from '@message-bus/tools/app-process';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** A fixed pseudonymisation key (32 bytes, hex), so every run stores the same pseudonyms. */
export const BENCH_PRIVACY_KEY = 'b3'.repeat(32);

export type StoreUnderTest =
  | { readonly store: 'etcd'; readonly endpoint: string }
  | { readonly store: 'embedded'; readonly dataDir: string };

export interface CqserverOptions {
  readonly store: StoreUnderTest;
  /** The keyspace prefix (`--etcd.prefix`, used by both stores); e.g. `bench-e2e`. */
  readonly prefix: string;
  /** When set, the server writes a V8 CPU profile here when it exits (node's --cpu-prof). */
  readonly cpuProfileDir?: string;
  /** More flags; e.g. `['--traveltime.interval=10s']`. */
  readonly args?: readonly string[];
}

/** Brings apps/cqserver/dist/main.js up to date (`npx nx run cqserver:build`, cached), its output on stderr. */
export function buildCqserver(log: (line: string) => void): void {
  log('building cqserver (npx nx run cqserver:build)');
  execFileSync('npx', ['nx', 'run', 'cqserver:build', '--outputStyle=static'], {
    stdio: ['ignore', process.stderr, process.stderr],
  });
}

/**
 * Starts the built cqserver (`apps/cqserver/dist/main.js`) on loopback ports chosen by
 * the system, with metrics on, and waits until it is ready. Pseudonyms do not rotate,
 * so every stored value has the shape the raw baselines write.
 */
export function startCqserver(options: CqserverOptions): Promise<AppProcess> {
  const storeArgs =
    options.store.store === 'etcd'
      ? ['--store=etcd', `--etcd.endpoints=${options.store.endpoint}`]
      : ['--store=embedded', `--data_dir=${options.store.dataDir}`];
  return AppProcess.start('cqserver', {
    args: [
      '--collector_port=127.0.0.1:0',
      '--query_port=127.0.0.1:0',
      '--healthcheck_port=127.0.0.1:0',
      '--metrics_port=127.0.0.1:0',
      `--privacy.key=${BENCH_PRIVACY_KEY}`,
      '--privacy.rotation=never',
      `--etcd.prefix=${options.prefix}`,
      ...storeArgs,
      ...(options.args ?? []),
    ],
    ...(options.cpuProfileDir === undefined
      ? {}
      : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] }),
  });
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * A process's resources from /proc: its resident memory now (VmRSS) and at its peak
 * since start or since the last `resetPeak` (VmHWM), and the CPU time it has used.
 */
export class ProcessStats {
  constructor(private readonly pid: number) {}

  /** User + system CPU seconds the process has used so far. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }

  /** Starts a new peak from the current size (writes 5 to /proc/<pid>/clear_refs); false where the kernel refuses. */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  peakBytes(): number {
    return this.statusKilobytes('VmHWM') * 1024;
  }

  currentBytes(): number {
    return this.statusKilobytes('VmRSS') * 1024;
  }

  /**
   * The largest anonymous resident memory (RssAnon: heap and buffers, not the pages of
   * mapped files) sampled every `intervalMs` while `work` runs, with work's result. The
   * kernel keeps no peak of it, as it does of the total (VmHWM).
   */
  async peakAnonWhile<T>(work: Promise<T>, intervalMs = 20): Promise<{ result: T; peakAnonBytes: number }> {
    let peakAnonBytes = this.residentBreakdown().anonBytes;
    const sampler = setInterval(() => {
      peakAnonBytes = Math.max(peakAnonBytes, this.residentBreakdown().anonBytes);
    }, intervalMs);
    try {
      const result = await work;
      return { result, peakAnonBytes: Math.max(peakAnonBytes, this.residentBreakdown().anonBytes) };
    } finally {
      clearInterval(sampler);
    }
  }

  /** The resident memory now, split: anonymous (heap, buffers) and file-backed (e.g. lmdb's memory map of its data file). */
  residentBreakdown(): { readonly anonBytes: number; readonly fileBytes: number } {
    return {
      anonBytes: this.statusKilobytes('RssAnon') * 1024,
      fileBytes: this.statusKilobytes('RssFile') * 1024,
    };
  }

  private statusKilobytes(field: string): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match === null) throw new Error(`/proc/${this.pid}/status has no ${field}`);
    return Number(match[1]);
  }
}

/** The metrics endpoint's text, e.g. for `nodejs_eventloop_lag_p99_seconds`. */
export async function scrapeMetrics(server: AppProcess): Promise<string> {
  const port = server.ports['metrics'];
  if (port === undefined) throw new Error('cqserver reported no metrics port');
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return response.text();
}

/** The sum of every sample of `name` in Prometheus text, whatever its labels; undefined when there is none. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
    sum = (sum ?? 0) + Number(match[1]);
  }
  return sum;
}

/** Keys under `root` in the embedded store at `path` (`<data_dir>/store`), opened after its server stopped. */
export async function countEmbeddedKeys(path: string, root: string): Promise<number> {
  const backend = new LmdbBackend({ path });
  try {
    let count = 0;
    for await (const page of backend.scanPages({ start: root, end: prefixEnd(root) })) count += page.length;
    return count;
  } finally {
    await backend.close();
  }
}

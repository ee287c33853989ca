import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const executable = resolve(__dirname, '../bin/run.js');

export interface ProcessResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `mbcli` executable as an operator would, with only the given
 * environment (and PATH): for what the environment and the default config file do, and
 * for exact stderr and exit codes.
 */
export function mbcliProcess(args: readonly string[], env: Readonly<Record<string, string>>): ProcessResult {
  const run = spawnSync(process.execPath, [executable, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A running `mbcli` process: what it printed so far, and its end. */
export interface RunningMbcli {
  /** Resolves once stdout holds `count` whole lines; rejects if the process ends first. */
  linesPrinted(count: number): Promise<void>;
  /** Sends a signal, as the terminal does on Ctrl-C. */
  signal(name: NodeJS.Signals): void;
  readonly ended: Promise<ProcessResult>;
}

/**
 * Starts the real `mbcli` executable without waiting for it, for commands that follow a
 * stream: the test acts once the command shows it is following (its first lines), an
 * event rather than a guess at how long starting takes on a loaded machine.
 */
export function startMbcliProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): RunningMbcli {
  const child = spawn(process.execPath, [executable, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let closed = false;
  const waiters: { count: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  const settleWaiters = (finished: boolean) => {
    const lines = stdout.split('\n').length - 1;
    for (const waiter of waiters.splice(0)) {
      if (lines >= waiter.count) waiter.resolve();
      else if (finished)
        waiter.reject(new Error(`mbcli ${args.join(' ')} ended after ${lines} lines: ${stderr}`));
      else waiters.push(waiter);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    settleWaiters(false);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ended = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      closed = true;
      settleWaiters(true);
      resolve({ status, stdout, stderr });
    });
  });
  return {
    linesPrinted: (count) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ count, resolve, reject });
        settleWaiters(closed);
      }),
    signal: (name) => child.kill(name),
    ended,
  };
}

/**
 * Runs fn (an in-process `mbcli(...)` call) with these environment variables set, or
 * removed where undefined, and restores them afterwards.
 */
export async function withEnv<T>(
  env: Readonly<Record<string, string | undefined>>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const apply = (values: Readonly<Record<string, string | undefined>>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(env);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

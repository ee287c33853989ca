import { spawnSync } from 'node:child_process';
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

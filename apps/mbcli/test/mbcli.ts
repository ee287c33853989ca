import { runCommand } from '@oclif/test';
import { resolve } from 'node:path';

const appRoot = resolve(__dirname, '..');

/** Runs the built CLI (dist/commands) in this process, capturing its output. */
export function mbcli<T = unknown>(args: readonly string[]) {
  return runCommand<T>([...args], { root: appRoot });
}

/** Runs a command with --json and parses what it printed. */
export async function mbcliJson<T>(args: readonly string[]): Promise<T> {
  const { stdout, stderr, error } = await mbcli<T>([...args, '--json']);
  if (error) throw new Error(`mbcli ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`);
  return JSON.parse(stdout) as T;
}

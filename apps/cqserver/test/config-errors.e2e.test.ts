import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerProcess } from './server-process';

const mainScript = resolve(__dirname, '../dist/main.js');

const workDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cqserver-config-'));
  workDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the built cqserver on loopback ports to its exit, with only the given environment. */
function runToExit(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [
        mainScript,
        `--data_dir=${tempDir()}`,
        '--collector_port=127.0.0.1:0',
        '--query_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=127.0.0.1:0',
        ...args,
      ],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A server that started after all would never exit: stop it, the test then fails on its code.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** A port on 127.0.0.1 held by another listener for the test's length. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

describe('cqserver tokens', () => {
  it.each([
    ['an empty COLLECTOR_TOKEN', [], { COLLECTOR_TOKEN: '' }, 'env COLLECTOR_TOKEN'],
    ['an empty QUERY_TOKEN', [], { QUERY_TOKEN: '' }, 'env QUERY_TOKEN'],
    ['an empty --collector_token', ['--collector_token='], {}, '--collector_token'],
  ])('refuses %s in one line with exit code 2', async (_, args, env, where) => {
    const result = await runToExit(args, env);
    expect(result.stderr).toBe(`cqserver: ${where}: must not be empty (leave it unset instead)\n`);
    expect(result.code).toBe(2);
  });

  it.each([
    [
      'equal collector and query tokens',
      { COLLECTOR_TOKEN: 'shared-secret', QUERY_TOKEN: 'shared-secret' },
      'collector_token and query_token are the same token: a client holding one would act as both; give each its own',
    ],
    [
      'a pseudonym token equal to the query token',
      { QUERY_TOKEN: 'shared-secret', QUERY_PSEUDONYM_TOKEN: 'shared-secret' },
      'query_token and query_pseudonym_token are the same token: a client holding one would act as both; give each its own',
    ],
    [
      'a pseudonym token without a query token',
      { QUERY_PSEUDONYM_TOKEN: 'scope-secret' },
      'query_pseudonym_token needs query_token: without it the query port is open to every client',
    ],
  ])('refuses %s in one line with exit code 2, never printing a token', async (_, env, message) => {
    const result = await runToExit([], env);
    expect(result.stderr).toBe(`cqserver: ${message}\n`);
    expect(result.code).toBe(2);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/shared-secret|scope-secret/);
  });

  it('warns at start about a port served without a token on a non-loopback address', async () => {
    const server = await ServerProcess.start([`--data_dir=${tempDir()}`, '--query_port=0.0.0.0:0'], {
      COLLECTOR_TOKEN: 'collector-secret',
    });
    try {
      const warnings = server.logLines
        .map((line) => JSON.parse(line) as { level: string; msg: string; service?: string; address?: string })
        .filter((entry) => entry.level === 'warn' && entry.msg.startsWith('serving without a token'));
      // The collector has a token, and the rest listen on loopback: only the query port is open.
      expect(warnings).toEqual([
        expect.objectContaining({ service: 'query.QueryService', address: `0.0.0.0:${server.ports.query}` }),
      ]);
    } finally {
      await server.terminate();
    }
  });
});

describe('cqserver configuration errors', () => {
  it('refuses a privacy overlap of a rotation period or more in one line with exit code 2', async () => {
    const result = await runToExit(['--privacy.overlap', '2d']);
    expect(result.stderr).toBe('cqserver: --privacy.overlap: must be less than the rotation period (24h)\n');
    expect(result.code).toBe(2);
  });

  it('refuses an etcd.prefix that is not one key segment in one line with exit code 2', async () => {
    const result = await runToExit([], { ETCD_PREFIX: 'a/b' });
    expect(result.stderr).toBe(
      `cqserver: env ETCD_PREFIX: "a/b" has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'\n`,
    );
    expect(result.code).toBe(2);
  });

  it.each(['collector_port', 'query_port', 'healthcheck_port', 'metrics_port'])(
    'refuses a %s already in use at start in one line with exit code 2',
    async (option) => {
      const { port, server } = await occupiedPort();
      try {
        const result = await runToExit([`--${option}=127.0.0.1:${port}`]);
        expect(result.stderr).toBe(`cqserver: ${option}: 127.0.0.1:${port} is already in use\n`);
        expect(result.code).toBe(2);
      } finally {
        server.close();
      }
    },
  );
});

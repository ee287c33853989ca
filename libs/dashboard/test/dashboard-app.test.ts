import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { checkDashboardLogin, runDashboardApp } from '../src';

/** A process for runDashboardApp: its output and exit code recorded, signals sent by the test. */
class FakeProcess extends EventEmitter {
  readonly stdout = { text: '', write: (text: string) => (this.stdout.text += text) };
  readonly stderr = { text: '', write: (text: string) => (this.stderr.text += text) };
  exitCode: number | undefined;
  readonly env: Record<string, string | undefined>;

  constructor(
    readonly argv: readonly string[],
    env: Record<string, string | undefined> = {},
  ) {
    super();
    this.env = env;
  }

  exit(code: number): void {
    this.exitCode = code;
  }
}

const spec = {
  name: 'dashboard',
  description: 'The dashboard.',
  webRoot: '/nonexistent',
  version: '1.2.3',
  commit: 'abc',
};
const run = (args: string[], env: Record<string, string | undefined> = {}) => {
  const proc = new FakeProcess(['node', 'main.js', ...args], env);
  return { proc, done: runDashboardApp(spec, proc) };
};

describe('runDashboardApp', () => {
  it('refuses a query token without a login token, in one line naming both (exit 2)', async () => {
    const { proc, done } = run([
      '--dashboard_query_token=s3cret-query',
      '--metrics_port=',
      '--log_level=silent',
    ]);
    await done;
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr.text).toBe(
      'dashboard: --dashboard_token: required with --dashboard_query_token (the dashboard would otherwise show a token-protected query service to anyone)\n',
    );
    expect(proc.stderr.text).not.toContain('s3cret-query');
    expect(() =>
      checkDashboardLogin({
        dashboard_token: undefined,
        dashboard_query_token: 'q',
        dashboard_query_tls: false,
        dashboard_query_ca_file: undefined,
        dashboard_query_server_name: undefined,
        dashboard_tile_url: undefined,
        dashboard_tile_attribution: undefined,
      }),
    ).toThrow('--dashboard_token: required with --dashboard_query_token');
  });

  it('prints its version and its options', async () => {
    const version = run(['--version']);
    await version.done;
    expect(version.proc.stdout.text).toBe('dashboard 1.2.3 (abc)\n');
    const help = run(['--help']);
    await help.done;
    for (const option of [
      '--dashboard_port',
      '--dashboard_token',
      '--dashboard_query_address',
      '--tls.cert_file',
    ]) {
      expect(help.proc.stdout.text).toContain(option);
    }
    expect(help.proc.stdout.text).not.toContain('tls.healthcheck');
  });

  it('names a tile URL that is not one', async () => {
    const { proc, done } = run(['--dashboard_tile_url=tiles', '--metrics_port=', '--log_level=silent']);
    await done;
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr.text).toMatch(/^dashboard: .*dashboard_tile_url.*must be an http\(s\) URL template/);
  });

  it('reports its port in use in one line naming dashboard_port (exit 2)', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const { proc, done } = run([
        `--dashboard_port=127.0.0.1:${port}`,
        '--metrics_port=',
        '--log_level=silent',
      ]);
      await done;
      expect(proc.exitCode).toBe(2);
      expect(proc.stderr.text).toBe(`dashboard: dashboard_port: 127.0.0.1:${port} is already in use\n`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('shuts down cleanly on SIGTERM (exit 0)', async () => {
    const { proc, done } = run([
      '--dashboard_port=127.0.0.1:0',
      '--metrics_port=127.0.0.1:0',
      '--log_level=silent',
    ]);
    await done;
    expect(proc.exitCode).toBeUndefined();
    proc.emit('SIGTERM');
    await vi.waitFor(() => expect(proc.exitCode).toBe(0), { timeout: 10_000, interval: 20 });
  });
});

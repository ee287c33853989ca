import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const cqserverMain = resolve(__dirname, '../../cqserver/dist/main.js');

interface ReadyPorts {
  collector: number;
  query: number;
}

/** The privacy key of test servers on etcd (64 hex digits), which a shared store requires. */
const TEST_PRIVACY_KEY = '6d6573736167652d6275732d6d62636c692d746573742d6b65792d3332627974';

/** Where a test server stores: the embedded store in its temp dir, or etcd at `endpoint` under `prefix`. */
export type TestStore =
  | { readonly kind: 'embedded' }
  | { readonly kind: 'etcd'; readonly endpoint: string; readonly prefix: string };

/** The cqserver flags that select `store`. */
export function storeArgs(store: TestStore): string[] {
  return store.kind === 'embedded'
    ? []
    : [
        '--store=etcd',
        `--etcd.endpoints=${store.endpoint}`,
        `--etcd.prefix=${store.prefix}`,
        `--privacy.key=${TEST_PRIVACY_KEY}`,
      ];
}

/** The built cqserver (`nx run cqserver:build`) on loopback ports of the system's choosing, with an embedded store in a temp dir (or etcd, by `storeArgs`). */
export class CqserverProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    readonly ports: ReadyPorts,
  ) {}

  static async start(args: readonly string[] = []): Promise<CqserverProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'mbcli-test-'));
    const child = spawn(
      process.execPath,
      [
        cqserverMain,
        '--collector_port=127.0.0.1:0',
        '--query_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=127.0.0.1:0',
        `--data_dir=${dataDir}`,
        ...args,
      ],
      { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const errors: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => errors.push(line));
    const ports = await new Promise<ReadyPorts>((done, fail) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; ports?: ReadyPorts };
        if (entry.msg === 'ready' && entry.ports) done(entry.ports);
      });
      child.once('exit', (code) =>
        fail(new Error(`cqserver exited with ${code} before ready: ${errors.join('\n')}`)),
      );
    });
    return new CqserverProcess(child, dataDir, ports);
  }

  /** The global flags that point mbcli at this server. */
  hostFlags(): string[] {
    return [
      `--collector_host=127.0.0.1:${this.ports.collector}`,
      `--query_host=127.0.0.1:${this.ports.query}`,
    ];
  }

  async stop(): Promise<void> {
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGTERM');
    await exited;
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

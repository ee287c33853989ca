import { defineOptions, defineServerPart, type LocalService } from '@message-bus/server-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runServerApp, type ServerProcess } from './server-app';

const directory = mkdtempSync(join(tmpdir(), 'runtime-part-ports-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('a part that listens on a port of its own', () => {
  it('is started after the parts before it, sees their gRPC ports and tokens, and is stopped on shutdown', async () => {
    const seen: { echo?: LocalService; web?: LocalService; tls: unknown }[] = [];
    let server: Server | undefined;
    const grpcPart = defineServerPart({
      name: 'echo',
      options: defineOptions([
        { name: 'echo_port', kind: 'address', default: '127.0.0.1:0', description: 'Test service address.' },
      ]),
      grpcService: { name: 'test.EchoService', writes: false },
      prepare: (config) => ({
        start: () => ({
          service: {
            portOption: 'echo_port',
            address: config.echo_port,
            registration: { addToServer: () => undefined },
            tokens: ['echo-token'],
          },
        }),
      }),
    });
    const listeningPart = defineServerPart({
      name: 'web',
      options: [],
      prepare: () => ({
        async start() {
          const started = createServer();
          server = started;
          await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
          return {
            listening: { web: (started.address() as AddressInfo).port },
            stopBeforePorts: () => new Promise<void>((resolve) => started.close(() => resolve())),
          };
        },
      }),
    });
    const readingPart = defineServerPart({
      name: 'reader',
      options: [],
      prepare: () => ({
        start(host) {
          seen.push({ echo: host.localService('echo'), web: host.localService('web'), tls: host.tls });
          return {};
        },
      }),
    });
    const signals = new Map<string, () => void>();
    const exits: number[] = [];
    let stderr = '';
    const proc: ServerProcess = {
      argv: [
        'node',
        'test',
        `--data_dir=${directory}`,
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=',
        '--log_level=silent',
        // In this test process: one process, no fork (workers would be forks of the test runner).
        '--workers=1',
      ],
      env: {},
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      on: (signal, listener) => signals.set(signal, listener),
      off: (signal) => signals.delete(signal),
      exit: (code) => exits.push(code ?? 0),
    };
    await runServerApp(
      {
        name: 'test',
        description: 'test',
        parts: [grpcPart, listeningPart, readingPart],
        version: '0',
        commit: 'test',
      },
      proc,
    );
    expect({ exits, stderr }).toEqual({ exits: [], stderr: '' });
    // The web part's own port is no gRPC service: only `echo` is one to call.
    expect(seen).toEqual([
      { echo: { port: expect.any(Number), tokens: ['echo-token'] }, web: undefined, tls: undefined },
    ]);
    expect(seen[0]?.echo?.port).toBeGreaterThan(0);

    signals.get('SIGTERM')?.();
    await vi.waitFor(() => expect(exits).toEqual([0]), { timeout: 10_000, interval: 20 });
    expect(server?.listening).toBe(false);
  });
});

import { defineOptions, defineServerPart } from '@message-bus/server-kit';
import { createTestCertificates } from '@message-bus/tools/tls';
import { Client, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portSecurityLine } from './port-security';
import { runServerApp, type ServerProcess } from './server-app';

const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
const directory = mkdtempSync(join(tmpdir(), 'runtime-tls-ports-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A grpc.health.v1 Check of the whole server; the raw answer (SERVING is field 1 = 1: 08 01). */
function healthCheck(port: number, channel: ChannelCredentials): Promise<Buffer> {
  const client = new Client(`127.0.0.1:${port}`, channel);
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (request: Buffer) => request,
      (response: Buffer) => response,
      Buffer.alloc(0), // HealthCheckRequest { service: '' }
      { deadline: Date.now() + 5_000 },
      (error, response) => (error || response === undefined ? reject(error) : resolve(response)),
    );
  }).finally(() => client.close());
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { ca, servername: 'localhost', timeout: 5_000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end();
  });
}

/** A process for runServerApp: signals kept to be raised, exit and output recorded. */
function fakeProcess(argv: readonly string[]) {
  const listeners = new Map<string, () => void>();
  const exits: number[] = [];
  let exited: () => void = () => undefined;
  const exitedOnce = new Promise<void>((resolve) => (exited = resolve));
  let stderr = '';
  const proc: ServerProcess = {
    // In this test process: one process, no fork (workers would be forks of the test runner).
    argv: ['node', 'query', '--workers=1', ...argv],
    env: {},
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr += text) },
    on: (signal, listener) => listeners.set(signal, listener),
    off: (signal) => listeners.delete(signal),
    exit: (code) => {
      exits.push(code ?? 0);
      exited();
    },
  };
  return {
    proc,
    exits,
    stderr: () => stderr,
    terminate: async () => {
      listeners.get('SIGTERM')?.();
      await exitedOnce;
    },
  };
}

/** A part with a port of its own and nothing behind it: what TLS applies to, without any service's code. */
const portPart = defineServerPart({
  name: 'echo',
  options: defineOptions([
    { name: 'echo_port', kind: 'address', default: ':0', description: 'Address of the test service.' },
  ]),
  grpcService: { name: 'test.EchoService', writes: false },
  prepare: (config) => ({
    start: () => ({
      service: {
        portOption: 'echo_port',
        address: config.echo_port,
        registration: { addToServer: () => undefined },
        tokens: [],
      },
    }),
  }),
});

const spec = { name: 'query', description: 'test', parts: [portPart], version: '0', commit: 'test' };

describe('portSecurityLine', () => {
  it('names the TLS and the plaintext ports of the process, leaving out the ones it does not serve', () => {
    expect(
      portSecurityLine({
        collector_port: true,
        query_port: true,
        healthcheck_port: false,
        metrics_port: false,
      }),
    ).toEqual({
      fields: { tls: ['collector_port', 'query_port'], plaintext: ['healthcheck_port', 'metrics_port'] },
      message: 'TLS on collector_port, query_port; plaintext on healthcheck_port, metrics_port',
    });
    expect(portSecurityLine({ query_port: undefined, healthcheck_port: false })).toEqual({
      fields: { tls: [], plaintext: ['healthcheck_port'] },
      message: 'plaintext on healthcheck_port',
    });
  });
});

describe('TLS on the health and metrics ports', () => {
  it('is a one-line config error, exit 2, without tls.cert_file', async () => {
    for (const flag of ['--tls.healthcheck', '--tls.metrics']) {
      const run = fakeProcess([
        `--data_dir=${join(directory, 'no-cert')}`,
        '--echo_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=',
        '--log_level=silent',
        flag,
      ]);
      await runServerApp(spec, run.proc);
      expect(run.exits).toEqual([2]);
      expect(run.stderr()).toBe(`query: ${flag}: needs --tls.cert_file and --tls.key_file\n`);
    }
  });

  it.skipIf(!opensslAvailable)(
    opensslAvailable
      ? 'serves health over TLS and /metrics over HTTPS when asked; plaintext health is refused'
      : 'TLS per port: SKIPPED because openssl is not on PATH',
    async () => {
      const certificates = createTestCertificates(directory);
      const ca = readFileSync(certificates.caFile);
      const [healthPort, metricsPort] = [await freePort(), await freePort()];
      const run = fakeProcess([
        `--data_dir=${join(directory, 'data')}`,
        '--echo_port=127.0.0.1:0',
        `--healthcheck_port=127.0.0.1:${healthPort}`,
        `--metrics_port=127.0.0.1:${metricsPort}`,
        '--log_level=warn',
        `--tls.cert_file=${certificates.certFile}`,
        `--tls.key_file=${certificates.keyFile}`,
        '--tls.healthcheck',
        '--tls.metrics',
      ]);
      await runServerApp(spec, run.proc);
      try {
        expect({ exits: run.exits, stderr: run.stderr() }).toEqual({ exits: [], stderr: '' });
        expect([...(await healthCheck(healthPort, credentials.createSsl(ca)))]).toEqual([0x08, 0x01]);
        await expect(healthCheck(healthPort, credentials.createInsecure())).rejects.toMatchObject({
          code: expect.any(Number),
        });
        const scraped = await httpsGet(`https://127.0.0.1:${metricsPort}/metrics`, ca);
        expect(scraped.status).toBe(200);
        expect(scraped.body).toContain('# TYPE');
      } finally {
        await run.terminate();
      }
      expect(run.exits).toEqual([0]);
    },
    30_000,
  );

  it('keeps the health port plaintext by default, with TLS on the service port', async () => {
    if (!opensslAvailable) return;
    const certificates = createTestCertificates(directory);
    const healthPort = await freePort();
    const run = fakeProcess([
      `--data_dir=${join(directory, 'data-default')}`,
      '--echo_port=127.0.0.1:0',
      `--healthcheck_port=127.0.0.1:${healthPort}`,
      '--metrics_port=',
      '--log_level=warn',
      `--tls.cert_file=${certificates.certFile}`,
      `--tls.key_file=${certificates.keyFile}`,
    ]);
    await runServerApp(spec, run.proc);
    try {
      expect([...(await healthCheck(healthPort, credentials.createInsecure()))]).toEqual([0x08, 0x01]);
    } finally {
      await run.terminate();
    }
  }, 30_000);
});

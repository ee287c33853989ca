import { createTestCertificates } from '@message-bus/tools/tls';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';
import { ServerMetrics } from './metrics';
import { startMetricsServer } from './metrics-server';
import { tlsOptions } from './server-options';
import { checkTlsPortChoice, type TlsFiles } from './tls';

const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
const directory = mkdtempSync(join(tmpdir(), 'server-kit-tls-ports-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost, read. */
function testCertificates(): { ca: Buffer; tls: TlsFiles } {
  const files = createTestCertificates(directory);
  return {
    ca: readFileSync(files.caFile),
    tls: { certChain: readFileSync(files.certFile), privateKey: readFileSync(files.keyFile) },
  };
}

function get(url: string, ca?: Buffer): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      { ca, servername: 'localhost', timeout: 5_000 },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end();
  });
}

describe('TLS per port', () => {
  it('keeps health and metrics plaintext by default, each on its own flag', () => {
    const load = (argv: readonly string[]) => {
      const loaded = loadConfig(tlsOptions, { argv, env: {}, readFile: () => '' });
      if (loaded.help) throw new Error('help');
      return loaded.values;
    };
    expect(load([])).toMatchObject({ 'tls.healthcheck': false, 'tls.metrics': false });
    expect(load(['--tls.healthcheck'])).toMatchObject({ 'tls.healthcheck': true, 'tls.metrics': false });
    expect(load(['--tls.metrics=true'])).toMatchObject({ 'tls.healthcheck': false, 'tls.metrics': true });
  });

  it('refuses TLS on the health or metrics port without a certificate, as a config error', () => {
    const problem = (choice: { healthcheck: boolean; metrics: boolean }) => {
      try {
        checkTlsPortChoice(undefined, choice);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return [(error as ConfigError).option, (error as Error).message];
      }
      return undefined;
    };
    expect(problem({ healthcheck: true, metrics: false })).toEqual([
      'tls.healthcheck',
      '--tls.healthcheck: needs --tls.cert_file and --tls.key_file',
    ]);
    expect(problem({ healthcheck: false, metrics: true })).toEqual([
      'tls.metrics',
      '--tls.metrics: needs --tls.cert_file and --tls.key_file',
    ]);
    expect(problem({ healthcheck: false, metrics: false })).toBeUndefined();
    const files = { certChain: Buffer.from(''), privateKey: Buffer.from('') };
    expect(() => checkTlsPortChoice(files, { healthcheck: true, metrics: true })).not.toThrow();
  });

  it.skipIf(!opensslAvailable)(
    opensslAvailable
      ? 'serves /metrics and /healthz over HTTPS with tls, and refuses plain HTTP'
      : 'metrics over HTTPS: SKIPPED because openssl is not on PATH',
    async () => {
      const { ca, tls } = testCertificates();
      const metrics = new ServerMetrics({ defaultLabels: { app: 'tls-test' } });
      const logger = pino({ level: 'silent' });
      const server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0 }, logger, tls);
      try {
        const scraped = await get(`https://127.0.0.1:${server.port}/metrics`, ca);
        expect(scraped.status).toBe(200);
        expect(scraped.body).toContain('# TYPE');
        expect(await get(`https://localhost:${server.port}/healthz`, ca)).toEqual({
          status: 200,
          body: 'ok\n',
        });
        // A client that does not trust the CA, and one speaking plain HTTP, get nothing.
        await expect(get(`https://127.0.0.1:${server.port}/metrics`)).rejects.toThrow();
        const plain = await get(`http://127.0.0.1:${server.port}/metrics`).catch((error: Error) => error);
        expect(plain instanceof Error ? 'refused' : plain.status).not.toBe(200);
      } finally {
        await server.close();
      }
    },
  );

  it('serves plain HTTP without tls, as before', async () => {
    const metrics = new ServerMetrics({ defaultLabels: { app: 'tls-test' } });
    const server = await startMetricsServer(
      metrics,
      { host: '127.0.0.1', port: 0 },
      pino({ level: 'silent' }),
    );
    try {
      expect((await get(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

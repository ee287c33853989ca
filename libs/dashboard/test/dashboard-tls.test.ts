import { Server, ServerCredentials } from '@grpc/grpc-js';
import { QueryService, queryGrpcService } from '@message-bus/query';
import { parseAddress } from '@message-bus/server-kit';
import { createTestCertificates } from '@message-bus/tools/tls';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueryClient, startDashboardServer } from '../src';
import { openTestStore, silentLogger, writeTestPages } from './dashboard-harness';

const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
const directory = mkdtempSync(join(tmpdir(), 'dashboard-tls-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function httpsRequest(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: string; cookie?: string } = {},
): Promise<{
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        ca,
        method: options.method ?? 'GET',
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
          ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
        },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe.skipIf(!opensslAvailable)('the dashboard with TLS', () => {
  it("serves HTTPS with a Secure cookie, reading a TLS query port through that port's own certificate", async () => {
    const certificates = createTestCertificates(directory);
    const [cert, key, ca] = [certificates.certFile, certificates.keyFile, certificates.caFile].map((path) =>
      readFileSync(path),
    ) as [Buffer, Buffer, Buffer];
    const store = await openTestStore();
    const server = new Server();
    const { definition, implementation } = queryGrpcService(
      new QueryService({ repository: store.repository, logger: silentLogger, eventRetentionSeconds: 3600 }),
      silentLogger,
      { deviceIdsFor: () => 'pseudonyms' },
    );
    server.addService(definition, implementation);
    const queryPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }]),
        (error, port) => (error ? reject(error) : resolve(port)),
      ),
    );
    // As cqserver's dashboard part reaches its own query port: by 127.0.0.1, trusting the certificate itself.
    const client = createQueryClient({ address: `127.0.0.1:${queryPort}`, tls: { ownCertificate: cert } });
    const pages = await writeTestPages();
    const dashboard = await startDashboardServer({
      address: parseAddress('127.0.0.1:0'),
      tls: { certChain: cert, privateKey: key },
      query: client,
      loginToken: 'tls-token',
      webRoot: pages.webRoot,
      logger: silentLogger,
    });
    try {
      const base = `https://localhost:${dashboard.port}`;
      const login = await httpsRequest(`${base}/login`, ca, { method: 'POST', body: 'token=tls-token' });
      expect(login.status).toBe(303);
      const setCookie = String(login.headers['set-cookie']);
      expect(setCookie).toContain('Secure');
      const network = await httpsRequest(`${base}/api/network`, ca, { cookie: setCookie.split(';')[0] });
      expect(network.status).toBe(200);
      expect(JSON.parse(network.body)).toMatchObject({ detectors: [], links: [], routes: [], alerts: [] });

      // Trusting another certificate instead, the same connection is refused: only that certificate is trusted.
      const stranger = createQueryClient({
        address: `127.0.0.1:${queryPort}`,
        tls: { ownCertificate: readFileSync(certificates.otherCaFile) },
      });
      const refused = await new Promise<unknown>((resolve) =>
        stranger.listRoutes({ pageSize: 0, pageToken: '' }, (error) => resolve(error)),
      );
      stranger.close();
      expect(refused).toMatchObject({ code: 14 });
    } finally {
      await dashboard.close();
      client.close();
      server.forceShutdown();
      await store.close();
      await pages.remove();
    }
  });
});

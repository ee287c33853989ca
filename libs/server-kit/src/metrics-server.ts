import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { formatAddress, type Address } from './address';
import type { Logger } from './logger';
import type { TlsFiles } from './tls';

/** What `/metrics` serves: one process's `ServerMetrics`, or a server's workers summed. */
export interface MetricsSource {
  /** The exposition text for a scrape. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  readonly server: Server;
  /** The bound port (the real one when the address asked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text) and `GET /healthz` (200 while the process runs)
 * over HTTP, or over HTTPS with `tls`.
 */
export async function startMetricsServer(
  metrics: MetricsSource,
  address: Address,
  logger: Logger,
  tls?: TlsFiles,
): Promise<MetricsServer> {
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      metrics.scrape().then(
        (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (error: unknown) => {
          logger.error({ err: error }, 'metrics scrape failed');
          response.writeHead(500).end();
        },
      );
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
    }
  };
  const server: Server =
    tls === undefined
      ? createServer(handle)
      : createHttpsServer({ cert: tls.certChain, key: tls.privateKey }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { service: 'metrics', address: formatAddress({ host: address.host, port }), tls: tls !== undefined },
    'metrics server listening',
  );
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Scrapers keep connections alive; they must not hold shutdown open.
        server.closeIdleConnections();
      }),
  };
}

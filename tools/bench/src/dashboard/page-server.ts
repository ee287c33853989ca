import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { NetworkSnapshot, StreamEvent } from '@message-bus/dashboard-web';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface PageServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The snapshot `/api/network` answers from now on. */
  setNetwork(network: NetworkSnapshot): void;
  /** Resolves once the next `/api/stream` opens. */
  nextStream(): Promise<void>;
  /** Sends `events` to every open `/api/stream`, in one write each. */
  broadcast(events: readonly StreamEvent[]): void;
  close(): Promise<void>;
}

/**
 * The built pages (`webRoot`, i.e. libs/dashboard-web/dist) with the two routes the map
 * reads, answered from memory: `/api/network` and `/api/stream`. What is measured is the
 * pages' work, not a query service's; other API routes answer 404.
 */
export async function startPageServer(webRoot: string): Promise<PageServer> {
  let network: NetworkSnapshot | undefined;
  const streams = new Set<ServerResponse>();
  const streamWaiters: (() => void)[] = [];
  const server = createServer((request, response) => {
    void answer(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/api/network') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(network));
    } else if (path === '/api/stream') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      response.write(': open\n\n');
      streams.add(response);
      for (let waiter = streamWaiters.shift(); waiter !== undefined; waiter = streamWaiters.shift()) waiter();
      request.once('close', () => streams.delete(response));
    } else if (path.startsWith('/api/')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not in the bench"}');
    } else {
      const file = path === '/' ? 'index.html' : normalize(path).replace(/^(\.\.[/\\])+/, '');
      const body = await readFile(join(webRoot, file)).catch(() => undefined);
      if (body === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setNetwork: (snapshot) => {
      network = snapshot;
    },
    nextStream: () => new Promise((resolve) => streamWaiters.push(resolve)),
    broadcast: (events) => {
      const text = events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');
      for (const stream of streams) stream.write(text);
    },
    close: async () => {
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

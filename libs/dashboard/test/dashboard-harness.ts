import { credentials, Server, ServerCredentials } from '@grpc/grpc-js';
import type { TravelTimeEstimate } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { QueryService, queryGrpcService } from '@message-bus/query';
import type { Repository } from '@message-bus/repository';
import { createLogger, parseAddress } from '@message-bus/server-kit';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboardServer, type DashboardServer, type DashboardServerOptions } from '../src';

export const silentLogger = createLogger({ name: 'dashboard-test', level: 'silent' });

/** A real embedded store in a temp folder, with its travel-time follows counted. */
export interface TestStore {
  readonly repository: Repository;
  /** Follows of link estimates running now: a StreamTravelTimes of all links is one. */
  activeLinkFollows(): number;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  const directory = await mkdtemp(join(tmpdir(), 'dashboard-test-'));
  const inner = new KvRepository(new LmdbBackend({ path: directory }), { prefix: 'tdc' });
  let active = 0;
  const travelTimes = inner.travelTimes;
  const repository: Repository = {
    events: inner.events,
    links: inner.links,
    detectors: inner.detectors,
    travelTimes: {
      put: (estimates: readonly TravelTimeEstimate[]) => travelTimes.put(estimates),
      list: (estimateQuery) => travelTimes.list(estimateQuery),
      latest: (links) => travelTimes.latest(links),
      follow: (signal: AbortSignal) => {
        const follow = travelTimes.follow(signal);
        active += 1;
        return (async function* counted() {
          try {
            yield* follow;
          } finally {
            active -= 1;
          }
        })();
      },
    },
    recompute: inner.recompute,
    routes: inner.routes,
    routeTravelTimes: inner.routeTravelTimes,
    profiles: inner.profiles,
    alerts: inner.alerts,
    detectorHealth: inner.detectorHealth,
    health: () => inner.health(),
    close: () => inner.close(),
  };
  return {
    repository,
    activeLinkFollows: () => active,
    close: async () => {
      await inner.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** QueryService over `repository` on a loopback port, as the query part serves it. */
export interface TestQueryServer {
  readonly address: string;
  readonly client: query.QueryServiceClient;
  stop(): Promise<void>;
}

/** On `port` (0: a free one), so a test can bring the service back where it was. */
export async function startQueryServer(repository: Repository, port = 0): Promise<TestQueryServer> {
  const service = new QueryService({ repository, logger: silentLogger, eventRetentionSeconds: 168 * 3600 });
  const server = new Server();
  const { definition, implementation } = queryGrpcService(service, silentLogger, {
    deviceIdsFor: () => 'pseudonyms',
  });
  server.addService(definition, implementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const address = `127.0.0.1:${bound}`;
  const client = new query.QueryServiceClient(address, credentials.createInsecure());
  return {
    address,
    client,
    stop: async () => {
      client.close();
      server.forceShutdown();
    },
  };
}

/** Stand-in pages (the real ones are dashboard-web's build, tested by tools/dashboard-e2e). */
export async function writeTestPages(): Promise<{ readonly webRoot: string; remove(): Promise<void> }> {
  const webRoot = await mkdtemp(join(tmpdir(), 'dashboard-pages-'));
  await mkdir(join(webRoot, 'assets'));
  await writeFile(join(webRoot, 'index.html'), '<!doctype html><html><body>map page</body></html>');
  await writeFile(
    join(webRoot, 'login.html'),
    '<!doctype html><html><body><form>login page</form></body></html>',
  );
  await writeFile(join(webRoot, 'assets', 'app.js'), 'console.log("app");');
  return { webRoot, remove: () => rm(webRoot, { recursive: true, force: true }) };
}

/** The dashboard on a free loopback port, and `fetch` against it. */
export interface TestDashboard {
  readonly server: DashboardServer;
  readonly base: string;
  get(path: string, init?: RequestInit): Promise<Response>;
}

export async function startTestDashboard(
  options: Partial<DashboardServerOptions> & Pick<DashboardServerOptions, 'query' | 'webRoot'>,
): Promise<TestDashboard> {
  const server = await startDashboardServer({
    address: parseAddress('127.0.0.1:0'),
    logger: silentLogger,
    ...options,
  });
  const base = `http://127.0.0.1:${server.port}`;
  return { server, base, get: (path, init) => fetch(`${base}${path}`, { redirect: 'manual', ...init }) };
}

/** Reads server-sent events from `/api/stream` as they come. */
export class EventStreamReader {
  readonly events: { readonly type: string; readonly data: unknown }[] = [];
  /** SSE comment lines (`: heartbeat`) received. */
  readonly comments: string[] = [];
  private readonly abort = new AbortController();
  readonly done: Promise<void>;

  constructor(response: Response) {
    const body = response.body;
    if (body === null) throw new Error('no body');
    this.done = this.read(body.pipeThrough(new TextDecoderStream()));
  }

  close(): void {
    this.abort.abort();
  }

  private async read(text: ReadableStream<string>): Promise<void> {
    let buffer = '';
    const reader = text.getReader();
    this.abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined));
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (type !== undefined && data !== undefined) this.events.push({ type, data: JSON.parse(data) });
          if (frame.startsWith(': ')) this.comments.push(frame.slice(2));
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Cancelled by close(), or the server ended the stream.
    }
  }
}

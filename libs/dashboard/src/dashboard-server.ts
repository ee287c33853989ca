import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { query } from '@message-bus/proto';
import type { StreamEvent } from '@message-bus/dashboard-web';
import { formatAddress, type Address, type Logger, type TlsFiles } from '@message-bus/server-kit';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { DashboardQueries, seriesTarget, SIGHTING_BIN_SECONDS } from './dashboard-queries';
import { LoginSessions, LoginThrottle, SESSION_COOKIE, SESSION_LIFETIME_MS } from './login-sessions';
import { httpFailure } from './query-connection';
import {
  booleanParam,
  integerParam,
  listParam,
  oneParam,
  ParamError,
  rangeParams,
  timeParam,
  type QueryParams,
} from './request-params';
import { seriesCsv } from './series-csv';
import { DEFAULT_STREAM_TIMINGS, StreamHub, type StreamHubTimings } from './stream-hub';
import { alertKindValue, alertSeverityValue } from './views';

export interface DashboardServerOptions {
  readonly address: Address;
  /** HTTPS with these, as the other ports of the process; plain HTTP without. */
  readonly tls?: TlsFiles | undefined;
  /** QueryService, reached with the dashboard's own token (never sent to a browser). */
  readonly query: query.QueryServiceClient;
  /** The login token; unset: no login (only when the query service needs no token). */
  readonly loginToken?: string | undefined;
  /** Leaflet tile URL template (`https://tile.example/{z}/{x}/{y}.png`); unset: no map tiles. */
  readonly tileUrl?: string | undefined;
  readonly tileAttribution?: string | undefined;
  /** The built pages (`libs/dashboard-web/dist`): index.html, login.html, assets/. */
  readonly webRoot: string;
  readonly logger: Logger;
  /** Stream intervals and backoff; tests shorten them. */
  readonly streamTimings?: StreamHubTimings;
  /** Now, in Unix milliseconds; tests fix it. */
  readonly clock?: () => number;
}

export interface DashboardServer {
  /** The bound port (the real one when the address asked for port 0). */
  readonly port: number;
  /** Ends every browser's stream and the upstream calls, then stops listening. */
  close(): Promise<void>;
}

/** `/api/series` without `after`/`before`: the last 3 hours. */
const DEFAULT_SERIES_MILLIS = 3 * 3600 * 1000;
const DEFAULT_SIGHTING_MINUTES = 60;
const MAX_SIGHTING_MINUTES = 24 * 60;
/** A browser this far behind on its stream is dropped; it reconnects and reads /api/network again. */
const MAX_BUFFERED_STREAM_BYTES = 4 * 1024 * 1024;
/** Smaller answers go out as they are: compressing them saves less than it costs. */
const COMPRESS_FROM_BYTES = 8 * 1024;
const gzipAsync = promisify(gzip);
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Login form bodies are tiny; anything bigger is not one. */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * The dashboard's HTTP server (fastify): the built pages, the JSON API of api.ts backed by
 * QueryService, and `/api/stream` (server-sent events fanned out by StreamHub). With a
 * login token, every route but `/healthz`, `/login` and the static assets (code, no data)
 * needs a session cookie.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const clock = options.clock ?? Date.now;
  const queries = new DashboardQueries(options.query);
  const hub = new StreamHub(
    options.query,
    queries,
    options.logger,
    options.streamTimings ?? DEFAULT_STREAM_TIMINGS,
  );
  const sessions =
    options.loginToken === undefined ? undefined : new LoginSessions(options.loginToken, clock);
  const throttle = new LoginThrottle(clock);
  const secureCookie = options.tls !== undefined;
  const securityHeaders = securityHeadersFor(options.tileUrl);
  const pagesBuilt = existsSync(join(options.webRoot, 'index.html'));
  const assetsRoot = join(options.webRoot, 'assets') + sep;
  if (!pagesBuilt) {
    options.logger.warn(
      { webRoot: options.webRoot },
      'dashboard pages are not built there (nx run dashboard-web:build); serving the API only',
    );
  }

  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    ...(options.tls === undefined
      ? {}
      : { https: { cert: options.tls.certChain, key: options.tls.privateKey } }),
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  await app.register(fastifyCookie);
  if (pagesBuilt) {
    await app.register(fastifyStatic, {
      root: options.webRoot,
      index: false,
      wildcard: true,
      // Vite names assets by their content hash: a browser may keep them for good. The
      // pages name the current assets, so a browser asks again for them every time.
      cacheControl: false,
      setHeaders: (response, path) => {
        response.setHeader('cache-control', path.startsWith(assetsRoot) ? IMMUTABLE : 'no-cache');
      },
    });
  }

  app.addHook('onSend', async (request, reply, payload) => {
    reply.headers(securityHeaders);
    return compressedJson(request, reply, payload);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (sessions === undefined || isPublic(request)) return;
    if (sessions.isOpen(request.cookies[SESSION_COOKIE])) return;
    if (request.url.startsWith('/api/')) {
      await reply.code(401).send({ error: 'log in first: POST /login with the dashboard token' });
    } else {
      await reply.redirect('/login', 303);
    }
  });
  app.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof ParamError) return reply.code(400).send({ error: error.message });
    const statusCode = (error as { statusCode?: number }).statusCode;
    // fastify's own 4xx (a body too big, a content type it cannot parse): the caller's mistake.
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      return reply.code(statusCode).send({ error: (error as Error).message });
    }
    const failure = httpFailure(error);
    if (failure.statusCode >= 500) options.logger.warn({ err: error }, 'dashboard API call failed');
    return reply.code(failure.statusCode).send({ error: failure.message });
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ error: `no such page or API: ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok'));
  app.get('/', async (_request, reply) => page(reply, 'index.html'));
  app.get('/login', async (_request, reply) => page(reply, 'login.html'));
  app.post('/login', async (request, reply) => {
    const token = (request.body as Record<string, unknown> | undefined)?.['token'];
    if (sessions === undefined) return reply.redirect('/', 303);
    const waitMs = throttle.waitMs(request.ip);
    if (waitMs > 0) {
      return reply
        .code(429)
        .header('retry-after', String(Math.ceil(waitMs / 1000)))
        .type('text/plain; charset=utf-8')
        .send('Too many wrong tokens from this address; try again in a minute.');
    }
    if (typeof token !== 'string' || !sessions.accepts(token)) {
      throttle.recordMiss(request.ip);
      // The page again: it shows its error line when served with 401.
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .send(await loginPage(options.webRoot));
    }
    return reply
      .setCookie(SESSION_COOKIE, sessions.open(), {
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookie,
        path: '/',
        maxAge: SESSION_LIFETIME_MS / 1000,
      })
      .redirect('/', 303);
  });
  app.post('/logout', async (request, reply) => {
    sessions?.end(request.cookies[SESSION_COOKIE]);
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/login', 303);
  });

  app.get('/api/network', async () =>
    queries.network(
      clock(),
      { url: options.tileUrl, attribution: options.tileAttribution },
      sessions !== undefined,
    ),
  );
  app.get('/api/detectors', async () => ({ detectors: await queries.detectors() }));
  app.get('/api/detectors/:id/sightings', async (request) => {
    const params = request.query as QueryParams;
    const minutes =
      integerParam(params, 'minutes', { min: SIGHTING_BIN_SECONDS / 60, max: MAX_SIGHTING_MINUTES }) ??
      DEFAULT_SIGHTING_MINUTES;
    return queries.sightings((request.params as { id: string }).id, minutes, clock());
  });
  app.get('/api/alerts', async (request) => {
    const params = request.query as QueryParams;
    const kinds = listParam(params, 'kind').map((name) => {
      const value = alertKindValue(name);
      if (value === undefined) throw new ParamError('kind', `${JSON.stringify(name)} is not an alert kind`);
      return value;
    });
    const severityName = oneParam(params, 'min_severity');
    const minSeverity = severityName === undefined ? 0 : alertSeverityValue(severityName);
    if (minSeverity === undefined) {
      throw new ParamError(
        'min_severity',
        `${JSON.stringify(severityName)} is not info, warning or critical`,
      );
    }
    const after = timeParam(params, 'after');
    const before = timeParam(params, 'before');
    if (after !== undefined && before !== undefined && after >= before) {
      throw new ParamError('after', 'must be earlier than before');
    }
    const openOnly = booleanParam(params, 'open_only') ?? false;
    return { alerts: await queries.alerts({ kinds, minSeverity, openOnly, after, before }) };
  });
  const series = async (request: FastifyRequest) => {
    const params = request.query as QueryParams;
    const target = seriesTarget(
      oneParam(params, 'source'),
      oneParam(params, 'destination'),
      oneParam(params, 'route'),
    );
    const { after, before } = rangeParams(params, clock(), DEFAULT_SERIES_MILLIS);
    return queries.series(target, after, before);
  };
  app.get('/api/series', series);
  app.get('/api/series.csv', async (request, reply) => {
    const answer = await series(request);
    const name = answer.target.route ?? `${answer.target.link?.source}-${answer.target.link?.destination}`;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]+/g, '_')}.csv"`)
      .send(seriesCsv(answer));
  });
  app.get('/api/stream', (request, reply) => {
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      ...securityHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // Once a stream ends (the server closing), its connection closes too instead of idling
      // in keep-alive, so shutdown does not wait for the browser to drop it.
      connection: 'close',
      // nginx and the like must pass events on as they come.
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    const unsubscribe = hub.subscribe({
      send: (event) => write(response, streamFrame(event)),
      heartbeat: () => write(response, ': heartbeat\n\n'),
      close: () => response.end(),
    });
    // The browser went away: stop sending, and end the response so its socket closes now.
    request.raw.on('close', () => {
      unsubscribe();
      if (!response.writableEnded) response.end();
    });
    response.on('close', unsubscribe);
    function write(target: ServerResponse, frame: string): void {
      if (target.writableLength > MAX_BUFFERED_STREAM_BYTES) {
        unsubscribe();
        target.destroy();
        return;
      }
      target.write(frame);
    }
  });

  async function page(reply: FastifyReply, file: string) {
    if (!pagesBuilt) return reply.code(404).type('text/plain').send('the dashboard pages are not built');
    return reply.type('text/html; charset=utf-8').sendFile(file);
  }

  // Browsers open connections ahead of need; one that never carried a request is neither
  // idle nor busy to node:http, and would hold shutdown until the browser drops it.
  const unusedSockets = new Set<Socket>();
  app.server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    unusedSockets.add(socket);
    socket.once('close', () => unusedSockets.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage) => unusedSockets.delete(request.socket));

  await app.listen({ host: options.address.host, port: options.address.port });
  const port = (app.server.address() as AddressInfo).port;
  options.logger.info(
    {
      address: formatAddress({ host: options.address.host, port }),
      tls: options.tls !== undefined,
      login: sessions !== undefined,
    },
    'dashboard listening',
  );
  if (sessions === undefined && !isLoopback(options.address.host)) {
    options.logger.warn(
      { address: formatAddress({ host: options.address.host, port }) },
      'dashboard without dashboard_token on a non-loopback address: anyone who can reach it sees the network',
    );
  }
  return {
    port,
    close: async () => {
      hub.close();
      for (const socket of unusedSockets) socket.destroy();
      await app.close();
    },
  };
}

/**
 * A large JSON answer (the network snapshot of a big site, a long series) gzipped when the
 * browser accepts it: repetitive JSON shrinks several times over.
 */
async function compressedJson(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const type = String(reply.getHeader('content-type') ?? '');
  if (typeof payload !== 'string' || payload.length < COMPRESS_FROM_BYTES) return payload;
  if (!type.startsWith('application/json') && !type.startsWith('text/csv')) return payload;
  if (!/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return payload;
  const compressed = await gzipAsync(payload);
  reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding');
  reply.removeHeader('content-length');
  return compressed;
}

/** `localhost`, 127.0.0.0/8 and ::1: only this machine can connect. */
function isLoopback(host: string): boolean {
  const lower = host.toLowerCase();
  return lower === 'localhost' || lower === '::1' || /^127(\.\d{1,3}){3}$/.test(lower);
}

/** `/healthz`, the login page and the static assets (code and styles, no data) need no session. */
function isPublic(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  return (
    path === '/healthz' ||
    path === '/login' ||
    path === '/login.html' ||
    path.startsWith('/assets/') ||
    path === '/favicon.ico'
  );
}

function streamFrame(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

async function loginPage(webRoot: string): Promise<string> {
  try {
    return await readFile(join(webRoot, 'login.html'), 'utf8');
  } catch {
    return '<!doctype html><html><body><p class="error">Wrong token.</p></body></html>';
  }
}

/**
 * Sent with every answer. Scripts and styles come from this server only (Leaflet sets
 * inline styles, hence `'unsafe-inline'` for styles alone); map tiles may come from the
 * tile server's origin; no page may frame the dashboard; no URL leaks in a Referer.
 */
export function securityHeadersFor(tileUrl: string | undefined): Record<string, string> {
  const tileOrigin = tileUrl === undefined ? undefined : tileSource(tileUrl);
  return {
    'content-security-policy': [
      "default-src 'self'",
      `img-src 'self' data:${tileOrigin === undefined ? '' : ` ${tileOrigin}`}`,
      "style-src 'self' 'unsafe-inline'",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/**
 * The CSP source of a tile URL template: its scheme and host, with Leaflet's `{s}`
 * subdomain placeholder as a wildcard (`https://{s}.tile.osm.org/{z}/…` → `https://*.tile.osm.org`).
 */
export function tileSource(tileUrl: string): string | undefined {
  const match = /^(https?:\/\/)([^/?#]+)/i.exec(tileUrl);
  if (match === null) return undefined;
  return `${match[1]}${(match[2] ?? '').replace(/\{s\}/g, '*')}`;
}

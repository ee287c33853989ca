import { ConfigError, defineOptions } from '@message-bus/server-kit';
import { X509Certificate } from 'node:crypto';
import type { QueryTls } from './query-connection';

/**
 * The dashboard's options, the same in the dashboard app and in cqserver; only the
 * defaults of the port and the query address differ (cqserver serves no dashboard unless
 * asked, and reaches its own query port by default).
 */
const sharedOptions = defineOptions([
  {
    name: 'dashboard_token',
    kind: 'string',
    secret: true,
    nonEmpty: true,
    description:
      'Token a person types on the login page to open the dashboard (a cookie session follows); required when the query service needs a token.',
  },
  {
    name: 'dashboard_query_token',
    kind: 'string',
    secret: true,
    nonEmpty: true,
    description:
      'Bearer token the dashboard sends to the query service (its query_token; in cqserver, its own query_token by default); kept on the server, never sent to a browser.',
  },
  {
    name: 'dashboard_query_tls',
    kind: 'boolean',
    description:
      'Reach the query service over TLS (implied by dashboard_query_ca_file or dashboard_query_server_name).',
  },
  {
    name: 'dashboard_query_ca_file',
    kind: 'path',
    description: "PEM CA certificate to trust for the query service's TLS instead of the system's roots.",
  },
  {
    name: 'dashboard_query_server_name',
    kind: 'string',
    description: "Name the query service's certificate must hold, when it is not the address's host.",
  },
  {
    name: 'dashboard_tile_url',
    kind: 'string',
    check: (url) =>
      /^https?:\/\/[^/]+\//i.test(url)
        ? undefined
        : 'must be an http(s) URL template like https://tile.example/{z}/{x}/{y}.png',
    description: 'Leaflet tile URL template of the map background; unset: links drawn on a plain background.',
  },
  {
    name: 'dashboard_tile_attribution',
    kind: 'string',
    description:
      "Attribution shown on the map for dashboard_tile_url's tiles (their licence usually requires it).",
  },
]);

/** cqserver's: no dashboard without `dashboard_port`; the query address defaults to its own query port. */
export const dashboardPartOptions = defineOptions([
  {
    name: 'dashboard_port',
    kind: 'address',
    description:
      'HTTP address of the web dashboard (HTTPS with tls.cert_file); unset: no dashboard. E.g. localhost:8080.',
  },
  {
    name: 'dashboard_query_address',
    kind: 'string',
    description: "The query service the dashboard reads; unset: this process's own query_port on 127.0.0.1.",
  },
  ...sharedOptions,
]);

/** The dashboard app's: it always serves, and reads a query service on this machine by default. */
export const dashboardAppOptions = defineOptions([
  {
    name: 'dashboard_port',
    kind: 'address',
    default: ':8080',
    description: 'HTTP address of the web dashboard (HTTPS with tls.cert_file).',
  },
  {
    name: 'dashboard_query_address',
    kind: 'string',
    default: 'localhost:8000',
    description: 'The query service the dashboard reads (host:port).',
  },
  ...sharedOptions,
]);

/** The values both option lists give (the port and address may be unset in cqserver). */
export interface DashboardConfig {
  readonly dashboard_token: string | undefined;
  readonly dashboard_query_token: string | undefined;
  readonly dashboard_query_tls: boolean;
  readonly dashboard_query_ca_file: string | undefined;
  readonly dashboard_query_server_name: string | undefined;
  readonly dashboard_tile_url: string | undefined;
  readonly dashboard_tile_attribution: string | undefined;
}

/**
 * A query service that needs a token must not be readable by anyone who reaches the
 * dashboard: with `dashboard_query_token`, `dashboard_token` (the login) is required.
 */
export function checkDashboardLogin(config: DashboardConfig): void {
  if (config.dashboard_query_token !== undefined && config.dashboard_token === undefined) {
    throw new ConfigError(
      '--dashboard_token: required with --dashboard_query_token (the dashboard would otherwise show a token-protected query service to anyone)',
      { option: 'dashboard_token' },
    );
  }
}

/** TLS to the query service, per the options; the CA file is read and checked here. */
export function queryTlsFrom(
  config: DashboardConfig,
  readFile: (path: string) => Buffer,
): QueryTls | undefined {
  const enabled =
    config.dashboard_query_tls ||
    config.dashboard_query_ca_file !== undefined ||
    config.dashboard_query_server_name !== undefined;
  if (!enabled) return undefined;
  return {
    rootCerts:
      config.dashboard_query_ca_file === undefined
        ? undefined
        : readCaFile(config.dashboard_query_ca_file, readFile),
    serverName: config.dashboard_query_server_name,
  };
}

function readCaFile(path: string, readFile: (path: string) => Buffer): Buffer {
  const option = 'dashboard_query_ca_file';
  let pem: Buffer;
  try {
    pem = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new ConfigError(`--${option}: cannot read ${JSON.stringify(path)}: ${reason}`, { option });
  }
  try {
    // Node's TLS would skip a broken certificate silently and fail every call as untrusted.
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(`--${option}: ${JSON.stringify(path)} is not a PEM certificate`, { option });
  }
  return pem;
}

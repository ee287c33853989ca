import { defineOptions } from './config';

/**
 * The options every server process has, whatever parts it runs: logging, metrics, the
 * health port and TLS. Each part declares its own (see server-part.ts); the store's are
 * declared where the stores are opened (@message-bus/runtime).
 *
 * Names and defaults of ports follow the original Go services.
 */

/** Logging and metrics, for every process. */
export const runtimeOptions = defineOptions([
  {
    name: 'log_level',
    kind: 'enum',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'Lowest level of the JSON log lines written to stdout.',
  },
  {
    name: 'metrics_port',
    kind: 'address',
    default: ':9100',
    disableable: true,
    description: 'HTTP address serving Prometheus /metrics and /healthz.',
  },
]);

export const healthcheckServerOptions = defineOptions([
  {
    name: 'healthcheck_port',
    kind: 'address',
    default: ':5000',
    description: 'gRPC address of grpc.health.v1 (never behind a token).',
  },
]);

/**
 * TLS: both files or neither. The files put the service ports (collector, query) on TLS;
 * the health and metrics ports stay plaintext unless asked, because kubelet's gRPC probe
 * cannot speak TLS and Prometheus scrapes http by default. Asking for TLS on a port
 * without the files is a configuration error.
 */
export const tlsOptions = defineOptions([
  {
    name: 'tls.cert_file',
    kind: 'path',
    description:
      'PEM certificate chain for the gRPC service ports (collector, query); without it every port is plaintext.',
  },
  { name: 'tls.key_file', kind: 'path', description: 'PEM private key of tls.cert_file.' },
  {
    name: 'tls.healthcheck',
    kind: 'boolean',
    description:
      "Serve healthcheck_port over TLS too (needs tls.cert_file). Off by default: Kubernetes' gRPC probes speak only plaintext; the service ports answer grpc.health.v1 over TLS anyway.",
  },
  {
    name: 'tls.metrics',
    kind: 'boolean',
    description:
      'Serve metrics_port (/metrics, /healthz) over HTTPS (needs tls.cert_file); scrapers and HTTP probes then need scheme HTTPS. Off by default: it carries counters only, and scrape configs expect http.',
  },
]);


import { privacyKeyProblem } from '@message-bus/domain';
import { defineOptions } from './config';

/**
 * The options the server apps share, as data. An app concatenates the groups it
 * serves and passes them to `loadConfig`:
 *
 *   const options = [...collectorServerOptions, ...healthcheckServerOptions,
 *                    ...storeOptions, ...privacyOptions, ...tlsOptions, ...runtimeOptions];
 *
 * Names and defaults of ports and etcd follow the original Go services.
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

export const collectorServerOptions = defineOptions([
  {
    name: 'collector_port',
    kind: 'address',
    default: ':9000',
    description: 'gRPC address of the collector service.',
  },
  {
    name: 'collector_token',
    kind: 'string',
    secret: true,
    nonEmpty: true,
    description:
      'Bearer token collector clients must send (authorization: Bearer <token>); unset means no auth, empty is an error.',
  },
]);

export const queryServerOptions = defineOptions([
  {
    name: 'query_port',
    kind: 'address',
    default: ':8000',
    description: 'gRPC address of the query service.',
  },
  {
    name: 'query_token',
    kind: 'string',
    secret: true,
    nonEmpty: true,
    description:
      'Bearer token query clients must send (authorization: Bearer <token>); unset means no auth, empty is an error.',
  },
  {
    name: 'query_pseudonym_token',
    kind: 'string',
    secret: true,
    nonEmpty: true,
    description:
      'Bearer token of query clients allowed the stored device pseudonyms (needs query_token); with query_token set, other clients get device ids that hold within one answer only. See docs/privacy.md.',
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

/** Where data lives: the embedded store in a directory, or etcd. */
export const storeOptions = defineOptions([
  {
    name: 'store',
    kind: 'enum',
    choices: ['embedded', 'etcd'],
    default: 'embedded',
    description: 'Storage backend: embedded (lmdb in data_dir, single node) or etcd.',
  },
  {
    name: 'data_dir',
    kind: 'path',
    default: './data',
    description: 'Directory of the embedded store and its generated privacy key.',
  },
  {
    name: 'etcd.prefix',
    kind: 'string',
    default: 'tdc',
    description: 'Key prefix of this deployment in etcd.',
  },
  {
    name: 'etcd.endpoints',
    kind: 'list',
    default: 'http://127.0.0.1:2379',
    description: 'etcd endpoints, comma-separated.',
  },
  {
    name: 'retention',
    kind: 'duration',
    default: '168h',
    description: 'How long raw sightings are kept.',
  },
  {
    name: 'traveltime_retention',
    kind: 'duration',
    default: '90d',
    description: 'How long travel-time estimates are kept (applied when the worker writes them).',
  },
  {
    name: 'status_retention',
    kind: 'duration',
    default: '30d',
    description: 'How long detector status reports are kept (applied when the collector writes them).',
  },
]);

/** A daily rotation's period; the overlap must be shorter (the pseudonymiser's own rule). */
const ROTATION_PERIOD_MS = 24 * 60 * 60 * 1000;

/** The key and schedule of device-id pseudonymisation. */
export const privacyOptions = defineOptions([
  {
    name: 'privacy.key',
    kind: 'string',
    secret: true,
    check: privacyKeyProblem,
    description:
      'Pseudonymisation key, hex or base64 of at least 32 bytes; every collector of a deployment must share it (required with --store etcd).',
  },
  {
    name: 'privacy.key_file',
    kind: 'path',
    description:
      'File holding the pseudonymisation key; with the embedded store and no key given, one is generated in data_dir.',
  },
  {
    name: 'privacy.rotation',
    kind: 'enum',
    choices: ['daily', 'never'],
    default: 'daily',
    description: 'How often pseudonyms change.',
  },
  {
    name: 'privacy.rotation_hour',
    kind: 'integer',
    min: 0,
    max: 23,
    default: '3',
    description: 'Hour of the day (UTC) at which a daily rotation happens.',
  },
  {
    name: 'privacy.overlap',
    kind: 'duration',
    default: '30m',
    check: (milliseconds) =>
      milliseconds >= ROTATION_PERIOD_MS ? 'must be less than the rotation period (24h)' : undefined,
    description:
      'After a rotation, sightings also carry the previous pseudonym this long, so trips across it still match.',
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

/** A duration option that must be whole seconds, at least `minSeconds`. */
function wholeSeconds(minSeconds: number): (milliseconds: number) => string | undefined {
  return (milliseconds) =>
    milliseconds % 1000 !== 0 || milliseconds < minSeconds * 1000
      ? `must be whole seconds, at least ${minSeconds}s`
      : undefined;
}

/** The travel-time worker's schedule and its hold on destinations. */
export const traveltimeOptions = defineOptions([
  {
    name: 'traveltime.interval',
    kind: 'duration',
    default: '60s',
    check: wholeSeconds(1),
    description:
      'How often each link gets a travel-time estimate; estimates end on multiples of it (unix time).',
  },
  {
    name: 'traveltime.lag',
    kind: 'duration',
    default: '30s',
    check: wholeSeconds(0),
    description: 'How long after an interval ends its estimate is computed, so late sightings still count.',
  },
  {
    name: 'traveltime.lease_ttl',
    kind: 'duration',
    default: '10s',
    check: wholeSeconds(3),
    description: "How soon another worker takes over a dead worker's destinations (with --store etcd).",
  },
  {
    name: 'traveltime.measure',
    kind: 'enum',
    choices: ['middle-middle', 'first-first', 'last-first'],
    default: 'middle-middle',
    description:
      "Which instant of a device's pass past each reader a trip is timed from and to: the pass's middle, its first sighting, or the source's last sighting to the destination's first (skips dwelling at the source).",
  },
  {
    name: 'traveltime.max_speed_kmh',
    kind: 'integer',
    min: 1,
    max: 1000,
    default: '130',
    description:
      "No vehicle is faster: with a link's length (its detectors' coordinates) it gives the shortest plausible trip, and faster samples are rejected. A link's min_seconds takes precedence.",
  },
]);

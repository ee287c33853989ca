import type { Etcd3, IOptions } from 'etcd3';
import type { EndpointStateListener } from './fault-handling';

/** How an `EtcdBackend` connects and sizes its requests. Defaults live in `resolveOptions`. */
export interface EtcdBackendOptions {
  /**
   * The etcd client URLs; e.g. `'http://127.0.0.1:2379'` or
   * `['http://etcd-0:2379', 'http://etcd-1:2379']`. Used to connect (unless `client` is
   * given) and to name the etcd in error messages.
   */
  readonly hosts: string | readonly string[];
  /**
   * An existing client to use instead of creating one; e.g. `new Etcd3({ hosts })`. The
   * caller keeps ownership and closes it after `close()`; a client the backend created
   * itself is closed by `close()`.
   */
  readonly client?: Etcd3;
  /**
   * Further etcd3 options for the client the backend creates; e.g.
   * `{ credentials: { rootCertificate }, auth: { username, password } }` or a custom
   * `faultHandling` policy. Ignored when `client` is given.
   */
  readonly clientOptions?: Omit<IOptions, 'hosts'>;
  /** Most operations in one transaction; e.g. `128`, etcd's default `--max-txn-ops`. */
  readonly maxOpsPerTxn?: number;
  /**
   * Target size of one transaction's keys and values in bytes; e.g. `1_048_576`, well under
   * etcd's default 1.5 MiB `--max-request-bytes`. A single larger record is sent alone.
   */
  readonly maxTxnBytes?: number;
  /** Transactions of one `put` sent concurrently; e.g. `8`. */
  readonly maxTxnsInFlight?: number;
  /** Keys per range request while scanning; e.g. `1000`. */
  readonly pageSize?: number;
  /**
   * Deadline for one call, retries included; e.g. `5_000`. Bounds how long a call
   * waits for an etcd that is down before failing with `StoreUnavailableError`.
   */
  readonly callTimeoutMs?: number;
  /** Deadline for the `health()` probe; e.g. `1_500`. */
  readonly healthTimeoutMs?: number;
  /**
   * Shortest lease granted for expiring records, in seconds; e.g. `3`. A record whose
   * expiry is sooner (or past) still lives this long, since etcd rounds tiny TTLs up anyway.
   */
  readonly minLeaseTtlSeconds?: number;
  /**
   * Told each time an endpoint's circuit opens (calls avoid it), turns half-open (one
   * call probes it) or closes (it answers again); e.g.
   * `(endpoint, state) => gauge.set({ endpoint }, state === 'open' ? 0 : 1)`. Only for
   * a client the backend creates with several endpoints and its own fault handling.
   */
  readonly onEndpointState?: EndpointStateListener;
}

export type ResolvedEtcdBackendOptions = Required<
  Omit<EtcdBackendOptions, 'hosts' | 'client' | 'clientOptions' | 'onEndpointState'>
> & {
  readonly hosts: readonly string[];
};

const defaults = {
  maxOpsPerTxn: 128,
  maxTxnBytes: 1024 * 1024,
  maxTxnsInFlight: 8,
  pageSize: 1000,
  callTimeoutMs: 5_000,
  healthTimeoutMs: 1_500,
  minLeaseTtlSeconds: 3,
} as const;

/** Fills in defaults and rejects values that cannot work, naming the option. */
export function resolveOptions(options: EtcdBackendOptions): ResolvedEtcdBackendOptions {
  const hosts = typeof options.hosts === 'string' ? [options.hosts] : [...options.hosts];
  if (hosts.length === 0 || hosts.some((host) => host.trim() === '')) {
    throw new RangeError(
      'EtcdBackendOptions.hosts must name at least one etcd endpoint, and none may be empty',
    );
  }
  const resolved = {
    hosts,
    maxOpsPerTxn: options.maxOpsPerTxn ?? defaults.maxOpsPerTxn,
    maxTxnBytes: options.maxTxnBytes ?? defaults.maxTxnBytes,
    maxTxnsInFlight: options.maxTxnsInFlight ?? defaults.maxTxnsInFlight,
    pageSize: options.pageSize ?? defaults.pageSize,
    callTimeoutMs: options.callTimeoutMs ?? defaults.callTimeoutMs,
    healthTimeoutMs: options.healthTimeoutMs ?? defaults.healthTimeoutMs,
    minLeaseTtlSeconds: options.minLeaseTtlSeconds ?? defaults.minLeaseTtlSeconds,
  };
  for (const name of Object.keys(defaults) as (keyof typeof defaults)[]) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`EtcdBackendOptions.${name} must be a positive integer, got ${value}`);
    }
  }
  return resolved;
}

import type { Repository } from '@message-bus/repository';
import type { ConfigValues, Logger, ServerMetrics } from '@message-bus/server-kit';
import { EtcdBackend, type EndpointState } from '@message-bus/store-etcd';
import { LmdbBackend, type LmdbCommitRelay } from '@message-bus/store-embedded';
import { KvRepository, type KvRepositoryOptions } from '@message-bus/store-kv';
import { join } from 'node:path';
import type { storeOptions } from './store-options';

export type StoreSettings = ConfigValues<typeof storeOptions>;

/**
 * How this process shares the embedded store with the other processes of its server
 * (`--workers`); the default, nothing, is a server of one process.
 */
export interface EmbeddedSharing {
  /** Whether this process deletes expired records; exactly one process of a server does. */
  readonly sweeps: boolean;
  /** Carries committed puts to the other processes' watches. */
  readonly commitRelay: LmdbCommitRelay;
}

/** The lmdb environment's folder inside `data_dir` (the privacy key sits beside it). */
export const EMBEDDED_STORE_FOLDER = 'store';

/**
 * Opens the store the settings name: lmdb in `data_dir`, or etcd at `etcd.endpoints`.
 * Both use the same keyspace under `etcd.prefix`, so data moves between them unchanged.
 * With several etcd endpoints, each one that stops or starts taking calls is logged and
 * shown in `metrics` (`message_bus_etcd_endpoint_up`).
 */
export function openRepository(
  settings: StoreSettings,
  logger: Logger,
  /** Appends of sightings this much older than now mark them late (see `KvRepositoryOptions`). */
  lateAfterSeconds?: number,
  metrics?: ServerMetrics,
  sharing?: EmbeddedSharing,
): Repository {
  const options: KvRepositoryOptions = {
    prefix: settings['etcd.prefix'],
    ...(lateAfterSeconds === undefined ? {} : { lateAfterSeconds }),
    eventRetentionSeconds: wholeSeconds(settings.retention),
    travelTimeRetentionSeconds: wholeSeconds(settings.traveltime_retention),
    statusRetentionSeconds: wholeSeconds(settings.status_retention),
    profileRetentionSeconds: wholeSeconds(settings.profile_retention),
    alertRetentionSeconds: wholeSeconds(settings.alert_retention),
    onMalformedRecord: (key, reason) =>
      logger.warn({ key, reason }, 'skipped a malformed record in the store'),
  };
  if (settings.store === 'etcd') {
    const showEndpoint = (endpoint: string, state: EndpointState) =>
      metrics?.setEtcdEndpointUp(endpoint, state !== 'open');
    const reportEndpoint = (endpoint: string, state: EndpointState) => {
      showEndpoint(endpoint, state);
      if (state === 'open') logger.warn({ endpoint }, 'etcd endpoint failed to connect; calls avoid it');
      if (state === 'closed') logger.info({ endpoint }, 'etcd endpoint answers again; calls go to it');
    };
    const backend = new EtcdBackend({ hosts: settings['etcd.endpoints'], onEndpointState: reportEndpoint });
    for (const [endpoint, state] of backend.endpointStates()) showEndpoint(endpoint, state);
    logger.info({ endpoints: settings['etcd.endpoints'], prefix: options.prefix }, 'using etcd');
    return new KvRepository(backend, options);
  }
  const path = join(settings.data_dir, EMBEDDED_STORE_FOLDER);
  const backend = new LmdbBackend({ path, ...sharing });
  logger.info({ path, prefix: options.prefix }, 'using the embedded store');
  return new KvRepository(backend, options);
}

/** A duration option's milliseconds as whole seconds, at least 1 (the store keeps records for whole seconds). */
function wholeSeconds(milliseconds: number): number {
  return Math.max(1, Math.round(milliseconds / 1000));
}

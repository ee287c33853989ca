import type { Repository } from '@message-bus/repository';
import { type ConfigValues, type Logger, type storeOptions } from '@message-bus/server-kit';
import { EtcdBackend } from '@message-bus/store-etcd';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import { join } from 'node:path';

export type StoreSettings = ConfigValues<typeof storeOptions>;

/** The lmdb environment's folder inside `data_dir` (the privacy key sits beside it). */
export const EMBEDDED_STORE_FOLDER = 'store';

/**
 * Opens the store the settings name: lmdb in `data_dir`, or etcd at `etcd.endpoints`.
 * Both use the same keyspace under `etcd.prefix`, so data moves between them unchanged.
 */
export function openRepository(settings: StoreSettings, logger: Logger): Repository {
  const prefix = settings['etcd.prefix'];
  const eventRetentionSeconds = Math.max(1, Math.round(settings.retention / 1000));
  const onMalformedRecord = (key: string, reason: string) =>
    logger.warn({ key, reason }, 'skipped a malformed record in the store');
  if (settings.store === 'etcd') {
    const backend = new EtcdBackend({ hosts: settings['etcd.endpoints'] });
    logger.info({ endpoints: settings['etcd.endpoints'], prefix }, 'using etcd');
    return new KvRepository(backend, { prefix, eventRetentionSeconds, onMalformedRecord });
  }
  const path = join(settings.data_dir, EMBEDDED_STORE_FOLDER);
  const backend = new LmdbBackend({ path });
  logger.info({ path, prefix }, 'using the embedded store');
  return new KvRepository(backend, { prefix, eventRetentionSeconds, onMalformedRecord });
}

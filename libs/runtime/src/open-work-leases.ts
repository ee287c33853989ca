import type { WorkLeases } from '@message-bus/repository';
import { EtcdWorkLeases } from '@message-bus/store-etcd';
import type { StoreSettings } from './open-repository';

/**
 * The claims travel-time workers in many processes share: etcd locks under
 * `/{etcd.prefix}/locks/` when the store is etcd. The embedded store has one process,
 * which keeps its claims in memory: undefined. `holder` names this process in etcd.
 */
export function openSharedWorkLeases(settings: StoreSettings, holder: string): WorkLeases | undefined {
  if (settings.store !== 'etcd') return undefined;
  return new EtcdWorkLeases({ hosts: settings['etcd.endpoints'], prefix: settings['etcd.prefix'], holder });
}

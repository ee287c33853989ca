import type { WorkLeases } from '@message-bus/repository';
import { EtcdWorkLeases } from '@message-bus/store-etcd';
import { InProcessWorkLeases } from '@message-bus/traveltime';
import type { StoreSettings } from './open-repository';

/**
 * The claims the travel-time workers share: etcd locks under `/{etcd.prefix}/locks/`
 * when the store is etcd (workers in many processes), claims in this process's memory
 * on the embedded store (one process owns it). `holder` names this process in etcd.
 */
export function openWorkLeases(settings: StoreSettings, holder: string): WorkLeases {
  if (settings.store === 'etcd') {
    return new EtcdWorkLeases({ hosts: settings['etcd.endpoints'], prefix: settings['etcd.prefix'], holder });
  }
  return new InProcessWorkLeases();
}

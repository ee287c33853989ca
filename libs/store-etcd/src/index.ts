export { EtcdBackend } from './etcd-backend';
export type { EtcdBackendOptions } from './etcd-backend-options';
export { EtcdWorkLeases, type EtcdWorkLeasesOptions } from './etcd-work-leases';

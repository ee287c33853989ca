export { EtcdBackend } from './etcd-backend';
export type { EtcdBackendOptions } from './etcd-backend-options';
export type { EndpointState, EndpointStateListener } from './fault-handling';
export { EtcdWorkLeases, type EtcdWorkLeasesOptions } from './etcd-work-leases';

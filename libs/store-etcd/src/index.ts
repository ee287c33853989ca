export { EtcdBackend } from './etcd-backend';
export type { EtcdBackendOptions } from './etcd-backend-options';

export { startThrowawayEtcd, type ThrowawayEtcd, type ThrowawayEtcdOptions } from './throwaway-etcd';
export { etcdEndpoints } from './etcd-endpoints';

export { startThrowawayEtcd, type ThrowawayEtcd, type ThrowawayEtcdOptions } from './throwaway-etcd';
export { etcdEndpoints } from './etcd-endpoints';
export { startSeverableProxy, type SeverableProxy, type SeverableProxyOptions } from './severable-proxy';
export {
  startEtcdCluster,
  type EtcdCluster,
  type EtcdClusterMember,
  type EtcdClusterOptions,
} from './etcd-cluster';

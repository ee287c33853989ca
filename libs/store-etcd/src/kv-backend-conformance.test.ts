import { describeKvBackendConformance } from '@message-bus/store-kv/testing';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { EtcdBackend } from './etcd-backend';

// The suite works under random key prefixes, so the run's shared etcd needs no clearing.
describeKvBackendConformance('EtcdBackend', async () => ({
  backend: new EtcdBackend({ hosts: etcdEndpoints() }),
  reopen: async () => new EtcdBackend({ hosts: etcdEndpoints() }),
  cleanup: async () => undefined,
}));

/**
 * @message-bus/runtime: what every server process does, whatever it serves. An app
 * names its parts (each service lib exports one) and `runServerApp` runs them: config,
 * `--help`, the configured store (embedded or etcd), health, metrics, TLS, the parts'
 * ports, and a graceful shutdown. It knows no service: apps/collector carries no query code.
 * With `--workers N` it runs the gRPC ports in N node:cluster worker processes and what
 * must run once per server (background work, health, metrics, dashboard) in the primary.
 */
export { openRepository, EMBEDDED_STORE_FOLDER, type StoreSettings } from './open-repository';
export { openSharedWorkLeases } from './open-work-leases';
export { storeOptions } from './store-options';
export { workerOptions } from './worker-options';
export {
  runServerApp,
  serverOptions,
  type BoundPorts,
  type ServerAppSpec,
  type ServerProcess,
} from './server-app';

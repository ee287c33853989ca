/**
 * @message-bus/healthcheck: grpc.health.v1 that reflects the real state of the store.
 *
 * StoreHealthMonitor  polls `repository.health()` and reports changes of reachability.
 * HealthService       Check, Watch and List for '' and each served service, driven by a
 *                     monitor; `addToServer(server)`, `beginShutdown()`.
 */
export {
  StoreHealthMonitor,
  type StoreHealthListener,
  type StoreHealthMonitorOptions,
} from './store-health-monitor';
export { HealthService, type HealthServiceOptions, type ServingStatus } from './health-service';

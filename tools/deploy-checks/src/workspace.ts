import { resolve } from 'node:path';

export const workspaceRoot = resolve(__dirname, '../../..');

/**
 * The deployable apps: folder under apps/ and deployment/, the Nx project that builds it,
 * and how Kubernetes probes it: grpc.health.v1 on the health port, or HTTP `/healthz` on
 * the dashboard's own port (it holds no store, so it has no health service).
 */
export const deployableApps = [
  { app: 'cqserver', project: 'cqserver', probe: 'grpc' },
  { app: 'collector', project: 'collector-app', probe: 'grpc' },
  { app: 'query', project: 'query-app', probe: 'grpc' },
  { app: 'healthcheck', project: 'healthcheck-app', probe: 'grpc' },
  { app: 'traveltime', project: 'traveltime-app', probe: 'grpc' },
  { app: 'dashboard', project: 'dashboard-app', probe: 'http' },
] as const;

import { resolve } from 'node:path';

export const workspaceRoot = resolve(__dirname, '../../..');

/** The deployable apps: folder under apps/ and deployment/, and the Nx project that builds it. */
export const deployableApps = [
  { app: 'cqserver', project: 'cqserver' },
  { app: 'collector', project: 'collector-app' },
  { app: 'query', project: 'query-app' },
  { app: 'healthcheck', project: 'healthcheck-app' },
  { app: 'traveltime', project: 'traveltime-app' },
] as const;

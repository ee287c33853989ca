import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startThrowawayEtcd } from './throwaway-etcd';
import { etcdEndpointsKey } from './provided-context';

export const etcdNotFoundMessage =
  'etcd not found on PATH: install it (Debian: apt-get install etcd-server) or set ETCD_ENDPOINTS to a running etcd';

/**
 * Vitest global setup: provides `etcdEndpoints` to tests. `ETCD_ENDPOINTS`
 * (comma-separated) selects an existing etcd; otherwise a throwaway etcd is started
 * for the run and removed afterwards.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const configured = parseEndpoints(process.env['ETCD_ENDPOINTS']);
  if (configured.length > 0) {
    project.provide(etcdEndpointsKey, configured);
    return undefined;
  }
  if (!isOnPath('etcd')) {
    const error = new Error(etcdNotFoundMessage);
    error.stack = etcdNotFoundMessage; // one line for the operator, not a stack trace
    throw error;
  }
  const etcd = await startThrowawayEtcd();
  project.provide(etcdEndpointsKey, [etcd.endpoint]);
  return () => etcd.remove();
}

function parseEndpoints(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((endpoint) => endpoint.trim())
    .filter((endpoint) => endpoint.length > 0);
}

function isOnPath(command: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

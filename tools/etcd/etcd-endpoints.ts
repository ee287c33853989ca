import { inject } from 'vitest';
import { etcdEndpointsKey } from './provided-context';

/** The etcd endpoints the throwaway-etcd global setup provided to this test run. */
export function etcdEndpoints(): string[] {
  const endpoints = inject(etcdEndpointsKey);
  if (!endpoints || endpoints.length === 0) {
    throw new Error(
      "no etcd endpoints were provided: add globalSetup: ['../../tools/etcd/global-setup.ts'] to this project's vitest.config.ts",
    );
  }
  return endpoints;
}

/**
 * What the throwaway-etcd global setup hands to tests through Vitest's `provide`/`inject`.
 * Importing this module (the global setup and `etcd-endpoints` do) brings the typing in.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Client URLs of the etcd under test; e.g. `['http://127.0.0.1:40123']`. */
    etcdEndpoints: string[];
  }
}

/** The `inject` key carrying the etcd endpoints. */
export const etcdEndpointsKey = 'etcdEndpoints' as const;

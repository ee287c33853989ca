export { LmdbBackend } from './lmdb-backend';
export type { LmdbBackendOptions } from './lmdb-backend-options';

export { LmdbBackend } from './lmdb-backend';
export type { LmdbBackendOptions, LmdbCommitRelay } from './lmdb-backend-options';

export type { KvBackend, KvEntry, KvRecord, KvExpiry, KvRange, KvHealth } from './kv-backend';

import { describeKvBackendConformance } from '@message-bus/store-kv/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbBackend } from './lmdb-backend';

describeKvBackendConformance('LmdbBackend', async () => {
  const path = await mkdtemp(join(tmpdir(), 'lmdb-backend-'));
  return {
    backend: new LmdbBackend({ path }),
    reopen: async () => new LmdbBackend({ path }),
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRepositoryConformance } from '@message-bus/repository/testing';
import { KvRepository } from '@message-bus/store-kv';
import { LmdbBackend } from './lmdb-backend';

describeRepositoryConformance('KvRepository on lmdb: repository conformance', async () => {
  const path = await mkdtemp(join(tmpdir(), 'message-bus-repository-'));
  return {
    open: async () => new KvRepository(new LmdbBackend({ path }), { prefix: 'tdc' }),
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
});

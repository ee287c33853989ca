import { parseDetectorId } from '@message-bus/domain';
import { KvRepository } from '@message-bus/store-kv';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LmdbBackend } from './lmdb-backend';

const destination = parseDetectorId('d1');

describe('recompute ranges written by another encoder', () => {
  let path: string;
  let backend: LmdbBackend;
  let repository: KvRepository;

  beforeEach(async () => {
    path = await mkdtemp(join(tmpdir(), 'recompute-records-'));
    backend = new LmdbBackend({ path });
    repository = new KvRepository(backend, { prefix: 'tdc' });
  });
  afterEach(async () => {
    await repository.close();
    await rm(path, { recursive: true, force: true });
  });

  test('are advanced and completed by version, whatever the member order and spacing', async () => {
    const key = repository.keyspace.recomputeKey({ destination, from: 1000n, origin: 'request', id: 'r1' });
    const text = '{ "version": "v1", "done": "1000", "to": "5000", "sources": ["s1"] }';
    await backend.put([{ key, value: Buffer.from(text) }]);

    const [range] = await repository.recompute.pending(destination);
    expect(range).toEqual({
      destination,
      from: 1000n,
      origin: 'request',
      id: 'r1',
      to: 5000n,
      doneBefore: 1000n,
      sources: ['s1'],
      version: 'v1',
    });
    const advanced = await repository.recompute.advance(range!, 3000n);
    expect(advanced?.doneBefore).toBe(3000n);
    expect(await repository.recompute.complete(range!)).toBe(false);
    expect(await repository.recompute.complete(advanced!)).toBe(true);
    expect(await repository.recompute.pending()).toEqual([]);
  });
});

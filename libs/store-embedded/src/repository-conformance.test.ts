import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDetectorId } from '@message-bus/domain';
import { describeRepositoryConformance } from '@message-bus/repository/testing';
import { KvRepository } from '@message-bus/store-kv';
import { describe, expect, it, vi } from 'vitest';
import { LmdbBackend } from './lmdb-backend';

describeRepositoryConformance('KvRepository on lmdb: repository conformance', async () => {
  const path = await mkdtemp(join(tmpdir(), 'message-bus-repository-'));
  return {
    open: async () => new KvRepository(new LmdbBackend({ path }), { prefix: 'tdc' }),
    cleanup: () => rm(path, { recursive: true, force: true }),
  };
});

describe('KvRepository on lmdb: late sightings', () => {
  it("commits late sightings and their bucket's mark in one write transaction", async () => {
    const path = await mkdtemp(join(tmpdir(), 'message-bus-late-'));
    const backend = new LmdbBackend({ path });
    const repository = new KvRepository(backend, { prefix: 'tdc', eventRetentionSeconds: 100 * 365 * 86_400 });
    try {
      const puts = vi.spyOn(backend, 'put');
      const detectorId = parseDetectorId('det-1');
      // 2019: late by years.
      const time = 1563691800139778436n;
      await repository.events.append([
        { detectorId, deviceId: 'AbCdEfGhIjKlMnOpQrStUv', time },
        { detectorId, deviceId: 'BbCdEfGhIjKlMnOpQrStUv', time: time + 1n },
      ]);
      expect(puts).toHaveBeenCalledTimes(1);
      const keys = puts.mock.calls[0]![0].map((record) => record.key);
      expect(keys.filter((key) => key.startsWith('/tdc/detectors/det-1/'))).toHaveLength(2);
      expect(keys.filter((key) => key.startsWith('/tdc/late/det-1/'))).toEqual(['/tdc/late/det-1/1563691800']);
      expect(await repository.recompute.lateSightings(10)).toHaveLength(1);
    } finally {
      await repository.close();
      await rm(path, { recursive: true, force: true });
    }
  });
});

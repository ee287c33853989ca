import type { KvRecord } from '@message-bus/store-kv';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LmdbBackend } from './lmdb-backend';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openBackend(): Promise<LmdbBackend> {
  const path = await mkdtemp(join(tmpdir(), 'lmdb-scan-slices-'));
  cleanups.push(() => rm(path, { recursive: true, force: true }));
  const backend = new LmdbBackend({ path });
  cleanups.push(() => backend.close());
  return backend;
}

describe('a long scan shares the event loop', () => {
  test('work queued on the event loop runs between pages, not after the whole scan', async () => {
    const backend = await openBackend();
    // Several of lmdb's read pages (1024 entries each).
    const records: KvRecord[] = Array.from({ length: 5_000 }, (_, index) => ({
      key: `k/${String(index).padStart(5, '0')}`,
      value: new Uint8Array([1]),
    }));
    await backend.put(records);

    const seen: string[] = [];
    setImmediate(() => seen.push('event loop turn'));
    for await (const page of backend.scanPages({ start: 'k/', end: 'k0' }))
      seen.push(`page of ${page.length}`);

    expect(seen.filter((entry) => entry.startsWith('page')).length).toBeGreaterThan(2);
    // The turn queued before the scan ran before its last page was read.
    expect(seen.slice(0, -1)).toContain('event loop turn');
  });
});

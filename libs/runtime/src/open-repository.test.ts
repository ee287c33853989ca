import type { DetectorId, Sighting } from '@message-bus/domain';
import { parseDetectorId } from '@message-bus/domain';
import { createLogger } from '@message-bus/server-kit';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { EMBEDDED_STORE_FOLDER, openRepository, type StoreSettings } from './open-repository';

const silent = createLogger({
  name: 'test',
  level: 'silent',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const detector: DetectorId = parseDetectorId('det-1');
const sighting: Sighting = {
  detectorId: detector,
  deviceId: 'AAAAAAAAAAAAAAAAAAAAAA',
  time: 1_700_000_000_123_456_789n,
};
const dirs: string[] = [];

function settings(overrides: Partial<StoreSettings>): StoreSettings {
  const dataDir = mkdtempSync(join(tmpdir(), 'runtime-store-'));
  dirs.push(dataDir);
  return {
    store: 'embedded',
    data_dir: dataDir,
    'etcd.prefix': `t${Math.random().toString(36).slice(2)}`,
    'etcd.endpoints': etcdEndpoints(),
    retention: 7 * 24 * 3600 * 1000,
    ...overrides,
  };
}

async function roundTrip(config: StoreSettings): Promise<Sighting[]> {
  const repository = openRepository(config, silent);
  try {
    await repository.events.append([sighting]);
    const listed: Sighting[] = [];
    for await (const stored of repository.events.list({ detectorIds: [detector] })) listed.push(stored);
    return listed;
  } finally {
    await repository.close();
  }
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('openRepository', () => {
  it('opens the embedded store inside data_dir', async () => {
    const config = settings({ store: 'embedded' });
    expect(await roundTrip(config)).toEqual([sighting]);
    expect(existsSync(join(config.data_dir, EMBEDDED_STORE_FOLDER))).toBe(true);
  });

  it('opens etcd at the configured endpoints', async () => {
    const config = settings({ store: 'etcd' });
    expect(await roundTrip(config)).toEqual([sighting]);
    expect(existsSync(join(config.data_dir, EMBEDDED_STORE_FOLDER))).toBe(false);
  });
});

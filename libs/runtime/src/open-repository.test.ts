import type { DetectorId, Sighting } from '@message-bus/domain';
import { parseDetectorId, parseDetectorStatus, parseRouteName } from '@message-bus/domain';
import { createLogger, ServerMetrics } from '@message-bus/server-kit';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Etcd3 } from 'etcd3';
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
const DAY_MS = 24 * 3600 * 1000;

function settings(overrides: Partial<StoreSettings>): StoreSettings {
  const dataDir = mkdtempSync(join(tmpdir(), 'runtime-store-'));
  dirs.push(dataDir);
  return {
    store: 'embedded',
    data_dir: dataDir,
    'etcd.prefix': `t${Math.random().toString(36).slice(2)}`,
    'etcd.endpoints': etcdEndpoints(),
    retention: 7 * DAY_MS,
    traveltime_retention: 90 * DAY_MS,
    status_retention: 30 * DAY_MS,
    profile_retention: 14 * DAY_MS,
    alert_retention: 90 * DAY_MS,
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

  it('keeps estimates for traveltime_retention and status reports for status_retention', async () => {
    const config = settings({
      store: 'etcd',
      traveltime_retention: 20 * DAY_MS,
      status_retention: 10 * DAY_MS,
    });
    const repository = openRepository(config, silent);
    const raw = new Etcd3({ hosts: etcdEndpoints() });
    try {
      const hourAgo = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n;
      const estimate = { source: detector, destination: parseDetectorId('det-2'), windowSeconds: 300 };
      await repository.travelTimes.put([
        { ...estimate, intervalEnd: hourAgo, validSamples: 0, totalSamples: 0, status: 'insufficient_data' },
      ]);
      await repository.detectors.appendStatus(
        parseDetectorStatus({
          detectorId: detector,
          time: hourAgo,
          batteryVoltage: 12,
          activeRadios: [2],
          detectionCounts: {},
        }),
      );
      // Both expire after the same ~27.8-hour window, so their leases differ by the retentions' 10 days.
      const ttlUnder = async (root: string) => {
        const [kv] = (await raw.getAll().prefix(`/${config['etcd.prefix']}/${root}/`).exec()).kvs;
        return Number((await raw.leaseClient.leaseTimeToLive({ ID: kv!.lease })).grantedTTL);
      };
      const difference = (await ttlUnder('traveltimes')) - (await ttlUnder('status'));
      expect(Math.abs(difference - 10 * 24 * 3600)).toBeLessThanOrEqual(2);
    } finally {
      raw.close();
      await repository.close();
    }
  });

  it('keeps typical profiles for profile_retention after their put', async () => {
    const config = settings({ store: 'etcd', profile_retention: 3 * DAY_MS });
    const repository = openRepository(config, silent);
    const raw = new Etcd3({ hosts: etcdEndpoints() });
    try {
      await repository.profiles.put({
        target: { kind: 'route', route: parseRouteName('north') },
        computedAt: BigInt(Date.now()) * 1_000_000n,
        weeks: 4,
        binMinutes: 15,
        timeZone: 'UTC',
        bins: [],
      });
      const [kv] = (await raw.getAll().prefix(`/${config['etcd.prefix']}/profiles/`).exec()).kvs;
      const ttl = Number((await raw.leaseClient.leaseTimeToLive({ ID: kv!.lease })).grantedTTL);
      // Rounded up to the hour, so puts within one hour share one lease.
      expect(ttl).toBeGreaterThanOrEqual(3 * 24 * 3600 - 2);
      expect(ttl).toBeLessThanOrEqual(3 * 24 * 3600 + 3600);
    } finally {
      raw.close();
      await repository.close();
    }
  });

  it('shows in its metrics an etcd endpoint that refuses connections, and keeps serving from the others', async () => {
    const live = etcdEndpoints()[0]!;
    const refusing = 'http://127.0.0.1:1';
    const metrics = new ServerMetrics({ processMetrics: false });
    const repository = openRepository(
      settings({ store: 'etcd', 'etcd.endpoints': [live, refusing] }),
      silent,
      undefined,
      metrics,
    );
    try {
      expect(await metrics.scrape()).toContain(`message_bus_etcd_endpoint_up{endpoint="${refusing}"} 1`);
      // Calls pick an endpoint at random: the first one sent to the refusing endpoint opens its circuit.
      const refusingUp = async () =>
        (await metrics.scrape()).includes(`message_bus_etcd_endpoint_up{endpoint="${refusing}"} 1`);
      for (let call = 0; call < 100 && (await refusingUp()); call++) {
        await repository.events.append([sighting]);
      }
      const text = await metrics.scrape();
      expect(text).toContain(`message_bus_etcd_endpoint_up{endpoint="${refusing}"} 0`);
      expect(text).toContain(`message_bus_etcd_endpoint_up{endpoint="${live}"} 1`);
    } finally {
      await repository.close();
    }
  });
});

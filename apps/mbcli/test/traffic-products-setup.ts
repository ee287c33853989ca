import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startThrowawayEtcd, type ThrowawayEtcd } from '@message-bus/tools/etcd';
import { afterAll, beforeAll } from 'vitest';
import { CqserverProcess, storeArgs, type TestStore } from './cqserver-process';

/** The stores every traffic-product test runs on. */
export const STORES = ['embedded', 'etcd'] as const;

/**
 * A straight road of three detectors, two kilometres apart at 90 km/h (80 s a segment),
 * with steady traffic from the first to the last: the route rs1 → rs2 → rs3 takes about
 * 160 s end to end.
 */
export const ROAD_SCENARIO = {
  name: 'route-test',
  detectors: [
    { id: 'rs1', latitude: 52.0, longitude: 5.0 },
    { id: 'rs2', latitude: 52.018, longitude: 5.0 },
    { id: 'rs3', latitude: 52.036, longitude: 5.0 },
  ],
  segments: [
    { from: 'rs1', to: 'rs2', freeFlowKmh: 90 },
    { from: 'rs2', to: 'rs3', freeFlowKmh: 90 },
  ],
  links: [
    { source: 'rs1', destination: 'rs2', maxSeconds: 600 },
    { source: 'rs2', destination: 'rs3', maxSeconds: 600 },
  ],
  flows: [{ path: ['rs1', 'rs2', 'rs3'], vehiclesPerHour: 1200 }],
  detection: { share: 0.5 },
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Asks `read` once a second until `done` accepts its answer; the last answer either way. */
export async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  attempts = 90,
): Promise<T> {
  let value = await read();
  for (let attempt = 1; attempt < attempts && !done(value); attempt += 1) {
    await sleep(1000);
    value = await read();
  }
  return value;
}

/**
 * Registers, in the calling file, a throwaway etcd and a work directory shared by its
 * tests (removed after them), and returns how to start a server on either store.
 */
export function trafficProductsSetup(): {
  workDir: () => string;
  /** `extraArgs` are further cqserver flags, e.g. `['--traveltime.detector_check_interval=2s']`. */
  startServer: (kind: (typeof STORES)[number], extraArgs?: readonly string[]) => Promise<CqserverProcess>;
} {
  let etcd: ThrowawayEtcd | undefined;
  let workDir: string | undefined;
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'mbcli-products-'));
    etcd = await startThrowawayEtcd();
  }, 60_000);
  afterAll(async () => {
    await etcd?.remove();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });
  return {
    workDir: () => workDir!,
    startServer: (kind, extraArgs = []) => {
      const store: TestStore =
        kind === 'embedded' ? { kind } : { kind, endpoint: etcd!.endpoint, prefix: `mbcli-${Date.now()}` };
      // A short interval and no lag, so estimates follow the traffic within seconds; one
      // pseudonym per device for the whole test, so a trip is never split by a rotation.
      return CqserverProcess.start([
        ...storeArgs(store),
        '--traveltime.interval=2s',
        '--traveltime.lag=0s',
        '--privacy.rotation=never',
        ...extraArgs,
      ]);
    },
  };
}

import {
  parseDetectorId,
  parseDetectorStatus,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import { KvRepository } from '@message-bus/store-kv';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LmdbBackend } from './lmdb-backend';

const DAY = 24 * 60 * 60;
const SECOND = 1_000_000_000n;
/** A window of 10^14 ns runs from this second to 100,000 s later. */
const WINDOW_START = 1_764_000_000;
const WINDOW_END = WINDOW_START + 100_000;
const at = (seconds: number): UnixNanos => BigInt(seconds) * SECOND;

const source = parseDetectorId('s1');
const destination = parseDetectorId('d1');
const estimate = (intervalEnd: UnixNanos): TravelTimeEstimate => ({
  source,
  destination,
  intervalEnd,
  windowSeconds: 300,
  medianSeconds: 120,
  validSamples: 5,
  totalSamples: 6,
  status: 'ok',
});

let directory: string | undefined;
let repository: KvRepository | undefined;
afterEach(async () => {
  await repository?.close();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe('retention of travel-time estimates and status reports on the embedded store', () => {
  test('each is swept once its window has ended and its retention passed, and not before', async () => {
    let nowMs = WINDOW_START * 1000;
    directory = await mkdtemp(join(tmpdir(), 'derived-retention-'));
    const backend = new LmdbBackend({ path: directory, now: () => nowMs });
    repository = new KvRepository(backend, {
      prefix: 'mb',
      travelTimeRetentionSeconds: 10 * DAY,
      statusRetentionSeconds: 5 * DAY,
    });
    const inWindow = at(WINDOW_START + 50_000);
    const nextWindow = at(WINDOW_END + 10);
    await repository.travelTimes.put([estimate(inWindow), estimate(nextWindow)]);
    await repository.detectors.appendStatus(
      parseDetectorStatus({
        detectorId: destination,
        time: inWindow,
        batteryVoltage: 12.5,
        activeRadios: [2],
        detectionCounts: {},
      }),
    );
    await repository.links.put({ destination, source, maxSeconds: 600 });
    const estimateTimes = async () =>
      (await repository!.travelTimes.list({ links: [{ source, destination }], limitPerLink: 10 })).map(
        (stored) => stored.intervalEnd,
      );
    const statusTimes = async () =>
      (await repository!.detectors.listStatus({ detectorId: destination })).map((status) => status.time);

    nowMs = (WINDOW_END + 5 * DAY) * 1000;
    expect(await backend.sweepExpired()).toBe(0);
    nowMs += 1;
    expect(await backend.sweepExpired()).toBe(1);
    expect(await statusTimes()).toEqual([]);
    expect(await estimateTimes()).toEqual([inWindow, nextWindow]);

    nowMs = (WINDOW_END + 10 * DAY) * 1000 + 1;
    expect(await backend.sweepExpired()).toBe(1);
    expect(await estimateTimes()).toEqual([nextWindow]);

    nowMs = (WINDOW_END + 100_000 + 10 * DAY) * 1000 + 1;
    expect(await backend.sweepExpired()).toBe(1);
    expect(await estimateTimes()).toEqual([]);
    expect(await repository.links.list()).toHaveLength(1);
  });
});

import {
  parseDetectorId,
  parseDetectorStatus,
  parseRouteName,
  type Alert,
  type TravelTimeEstimate,
  type TypicalProfile,
  type UnixNanos,
} from '@message-bus/domain';
import { encodeUlidTime, KvRepository } from '@message-bus/store-kv';
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

describe('retention of typical profiles and alerts on the embedded store', () => {
  const HOUR = 3600;
  /** On an hour boundary, so expiries (rounded up to the hour) are exact. */
  const T0 = 1_764_003_600;
  const profile = (route: string, computedAt: UnixNanos): TypicalProfile => ({
    target: { kind: 'route', route: parseRouteName(route) },
    computedAt,
    weeks: 4,
    binMinutes: 15,
    timeZone: 'UTC',
    bins: [],
  });
  const alertAt = (start: UnixNanos, serial: string): Alert => ({
    id: encodeUlidTime(Number(start / 1_000_000n)) + serial.padStart(16, '0'),
    kind: 'detector_silent',
    severity: 'warning',
    subject: { kind: 'detector', detectorId: destination },
    start,
    updated: start,
    evidence: 'no sightings for an hour',
    figures: {},
  });

  test('each is kept its retention after its last put, and a put again keeps it longer', async () => {
    let nowMs = T0 * 1000;
    directory = await mkdtemp(join(tmpdir(), 'renewed-retention-'));
    const backend = new LmdbBackend({ path: directory, now: () => nowMs });
    repository = new KvRepository(backend, {
      prefix: 'mb',
      clock: () => BigInt(nowMs) * 1_000_000n,
      profileRetentionSeconds: 14 * DAY,
      alertRetentionSeconds: 90 * DAY,
    });
    // "north" is a prefix of "north-2"'s key: expiring one must leave the other.
    await repository.profiles.put(profile('north', at(T0)));
    await repository.profiles.put(profile('north-2', at(T0)));
    const raised = alertAt(at(T0), '1');
    const other = alertAt(at(T0), '2');
    await repository.alerts.put([raised, other]);

    nowMs = (T0 + 10 * DAY) * 1000;
    await repository.profiles.put(profile('north-2', at(T0 + 10 * DAY)));
    const cleared = { ...raised, end: at(T0 + 10 * DAY), updated: at(T0 + 10 * DAY) };
    await repository.alerts.put([cleared]);

    const routes = async () =>
      Promise.all(
        ['north', 'north-2'].map(async (route) =>
          (await repository!.profiles.get({ kind: 'route', route: parseRouteName(route) })) === undefined
            ? '-'
            : route,
        ),
      );
    nowMs = (T0 + 14 * DAY) * 1000;
    expect(await backend.sweepExpired()).toBe(0);
    nowMs += 1;
    expect(await backend.sweepExpired()).toBe(1);
    expect(await routes()).toEqual(['-', 'north-2']);

    nowMs = (T0 + 24 * DAY) * 1000 + 1;
    expect(await backend.sweepExpired()).toBe(1);
    expect(await routes()).toEqual(['-', '-']);

    nowMs = (T0 + 90 * DAY) * 1000 + 1;
    expect(await backend.sweepExpired()).toBe(1);
    expect(await repository.alerts.list()).toEqual([cleared]);
    nowMs = (T0 + 100 * DAY) * 1000 + 1;
    expect(await backend.sweepExpired()).toBe(1);
    expect(await repository.alerts.list()).toEqual([]);
  });

  test('rounds an expiry up to the hour, so an hour of puts shares one group', async () => {
    let nowMs = (T0 + 10) * 1000;
    directory = await mkdtemp(join(tmpdir(), 'renewed-retention-'));
    const backend = new LmdbBackend({ path: directory, now: () => nowMs });
    repository = new KvRepository(backend, {
      prefix: 'mb',
      clock: () => BigInt(nowMs) * 1_000_000n,
      profileRetentionSeconds: DAY,
    });
    await repository.profiles.put(profile('north', at(T0)));
    nowMs = (T0 + DAY + HOUR) * 1000;
    expect(await backend.sweepExpired()).toBe(0);
    nowMs += 1;
    expect(await backend.sweepExpired()).toBe(1);
  });
});

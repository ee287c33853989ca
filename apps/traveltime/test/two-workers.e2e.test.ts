import {
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  parseDetectorId,
  type Sighting,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import { EtcdBackend } from '@message-bus/store-etcd';
import { KvRepository } from '@message-bus/store-kv';
import { etcdEndpoints } from '@message-bus/tools/etcd';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerProcess } from './worker-process';

const INTERVAL_SECONDS = 2n;
const LEASE_TTL_SECONDS = 3;
const INTERVAL = INTERVAL_SECONDS * NANOS_PER_SECOND;
const d1 = parseDetectorId('d1');
const d2 = parseDetectorId('d2');
const d3 = parseDetectorId('d3');
const LINKS = [
  { destination: d2, source: d1, maxSeconds: 600 },
  { destination: d3, source: d1, maxSeconds: 900 },
  { destination: d3, source: d2, maxSeconds: 600 },
];
const linkName = (estimate: TravelTimeEstimate) => `${estimate.source}->${estimate.destination}`;
const now = (): UnixNanos => BigInt(Date.now()) * NANOS_PER_MILLISECOND;

/** A vehicle every 10 s: at d1, at d2 120 s later, at d3 90 s after that. */
function traffic(from: UnixNanos, to: UnixNanos): Sighting[] {
  const sightings: Sighting[] = [];
  for (let start = from, n = 0; start < to; start += 10n * NANOS_PER_SECOND, n++) {
    const deviceId = `vehicle${n.toString().padStart(15, '0')}`;
    sightings.push({ detectorId: d1, deviceId, time: start });
    sightings.push({ detectorId: d2, deviceId, time: start + 120n * NANOS_PER_SECOND });
    sightings.push({ detectorId: d3, deviceId, time: start + 210n * NANOS_PER_SECOND });
  }
  return sightings;
}

/** Each link's interval ends as written, in commit order. */
function endsByLink(estimates: readonly TravelTimeEstimate[]): Map<string, bigint[]> {
  const byLink = new Map<string, bigint[]>();
  for (const estimate of estimates) {
    const ends = byLink.get(linkName(estimate)) ?? [];
    ends.push(estimate.intervalEnd);
    byLink.set(linkName(estimate), ends);
  }
  return byLink;
}

describe('two traveltime processes on one etcd', () => {
  const prefix = `tt${randomUUID().slice(0, 8)}`;
  // The traffic seeded below stands for data that was there before the workers started,
  // not for late data: no late marks, so every interval is written once, live.
  const repository = new KvRepository(new EtcdBackend({ hosts: etcdEndpoints() }), {
    prefix,
    lateAfterSeconds: 3600,
  });
  const stopFollowing = new AbortController();
  const written: TravelTimeEstimate[] = [];
  const workers: WorkerProcess[] = [];
  let following: Promise<void>;

  beforeAll(async () => {
    for (const link of LINKS) await repository.links.put(link);
    const start = now();
    await repository.events.append(
      traffic(start - 5n * 60n * NANOS_PER_SECOND, start + 5n * 60n * NANOS_PER_SECOND),
    );
    // Every put of an estimate, by anyone, from before the workers start.
    const puts = repository.travelTimes.follow(stopFollowing.signal);
    following = (async () => {
      for await (const estimate of puts) written.push(estimate);
    })();
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    stopFollowing.abort();
    await following;
    await repository.close();
  });

  it('estimates each interval of each link exactly once, and the survivor takes over a killed worker within the TTL', async () => {
    const args = [
      '--store=etcd',
      `--etcd.endpoints=${etcdEndpoints().join(',')}`,
      `--etcd.prefix=${prefix}`,
      `--traveltime.interval=${INTERVAL_SECONDS}s`,
      '--traveltime.lag=1s',
      `--traveltime.lease_ttl=${LEASE_TTL_SECONDS}s`,
    ];
    workers.push(...(await Promise.all([WorkerProcess.start(args), WorkerProcess.start(args)])));
    const [first, second] = workers as [WorkerProcess, WorkerProcess];
    expect(first.workerId).not.toBe(second.workerId);

    // Both run for a few intervals: every destination is held by exactly one of them.
    const bothRunning = now();
    await vi.waitFor(
      () =>
        expect(
          written.filter((estimate) => estimate.intervalEnd > bothRunning + 2n * INTERVAL).length,
        ).toBeGreaterThanOrEqual(3),
      { timeout: 15_000, interval: 100 },
    );
    // They split the destinations: each holds one, and no destination is held by both.
    await vi.waitFor(
      () => expect([first.destinationsHeld().length, second.destinationsHeld().length]).toEqual([1, 1]),
      { timeout: 5_000, interval: 50 },
    );
    expect([...first.destinationsHeld(), ...second.destinationsHeld()].sort()).toEqual([d2, d3]);

    // Kill the one holding d3; the other must take it over.
    const victim = first.destinationsHeld().includes(d3) ? first : second;
    const survivor = victim === first ? second : first;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = now();
    await vi.waitFor(() => expect(survivor.destinationsHeld()).toEqual([d2, d3]), {
      // The claims expire within the TTL of the victim's last renewal; one interval of slack for scheduling.
      timeout: LEASE_TTL_SECONDS * 1000 + Number(INTERVAL_SECONDS) * 1000,
      interval: 50,
    });

    // The survivor carries on from where the victim stopped.
    await vi.waitFor(
      () =>
        expect(
          written.filter((estimate) => estimate.intervalEnd > killedAt + INTERVAL).length,
        ).toBeGreaterThanOrEqual(3),
      { timeout: 15_000, interval: 100 },
    );
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toEqual({ code: 0, signal: null });

    // Every link: each interval end once, aligned, without a gap, across the takeover. (Not in
    // commit order: history more than 60 intervals old is a backlog, written after the
    // newest intervals.)
    const byLink = endsByLink(written);
    expect([...byLink.keys()].sort()).toEqual(['d1->d2', 'd1->d3', 'd2->d3']);
    for (const ends of byLink.values()) {
      expect(ends.every((end) => end % INTERVAL === 0n)).toBe(true);
      const sorted = [...ends].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const first = sorted[0]!;
      const expected = Array.from({ length: ends.length }, (_, index) => first + BigInt(index) * INTERVAL);
      expect(sorted).toEqual(expected);
      expect(sorted.at(-1)!).toBeGreaterThan(killedAt);
    }
    // The estimates describe the traffic: 120 s from d1 to d2 once the window has data.
    const newestD1ToD2 = written.filter((estimate) => linkName(estimate) === 'd1->d2').at(-1);
    expect(newestD1ToD2).toMatchObject({ medianSeconds: 120, status: 'ok' });
  });
});

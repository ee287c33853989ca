import type { WorkLease } from '@message-bus/repository';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  countingPuts,
  d1,
  d2,
  expectedKeys,
  HOUR,
  intervalKeys,
  LINKS,
  MINUTE,
  openCorridor,
  SECONDS,
  silentLogger,
  T0,
  type Corridor,
  type CountedPuts,
} from '../test/corridor';
import { InProcessWorkLeases } from './in-process-work-leases';
import { IntervalSchedule } from './interval-schedule';
import { LinkIntervals } from './link-intervals';
import { LIVE_INTERVALS, LinkProgress } from './link-progress';
import { resolveWorkerOptions } from './travel-time-worker-options';

const LAG = 30n * SECONDS;
const INTO_D2 = [LINKS[0]];

let corridor: Corridor;
let puts: CountedPuts;

beforeEach(async () => {
  corridor = await openCorridor();
  puts = { estimates: [] };
});
afterEach(async () => {
  await corridor.close();
});

function progress(): LinkProgress {
  const options = resolveWorkerOptions({
    repository: countingPuts(corridor.repository, puts),
    leases: new InProcessWorkLeases(),
    logger: silentLogger,
  });
  const schedule = new IntervalSchedule(options.intervalSeconds, options.lagSeconds);
  return new LinkProgress(
    options,
    schedule,
    new LinkIntervals(options.repository, schedule, options.estimatorConfig),
  );
}

/** A new claim on d2, held until `lost` aborts. */
function claimD2(lost: AbortSignal = new AbortController().signal): WorkLease {
  return { name: 'traveltime/d2', lost, release: async () => undefined };
}

function dueAt(lease: WorkLease, lastDue: bigint) {
  return { destination: d2, lease, links: INTO_D2, now: lastDue + LAG, lastDue, stop: undefined };
}

describe('LinkProgress', () => {
  it('starts a new link at its destination’s first sighting, then writes only the intervals due since', async () => {
    const worker = progress();
    const lease = claimD2();

    expect(await worker.writeDue(dueAt(lease, T0 + 30n * MINUTE))).toBe(28);
    expect(await worker.writeDue(dueAt(lease, T0 + 32n * MINUTE))).toBe(2);

    expect(intervalKeys(puts.estimates)).toEqual(
      expectedKeys([{ source: d1, destination: d2, first: T0 + 3n * MINUTE, last: T0 + 32n * MINUTE }]),
    );
  });

  it('trusts what it wrote only under the same claim: a new claim reads the store again', async () => {
    const before = progress();
    const held = claimD2();
    await before.writeDue(dueAt(held, T0 + 30n * MINUTE));
    // Meanwhile another worker writes on through minute 40.
    const other = progress();
    await other.writeDue(dueAt(claimD2(), T0 + 40n * MINUTE));
    const written = puts.estimates.length;

    expect(await before.writeDue(dueAt(claimD2(), T0 + 40n * MINUTE))).toBe(0);
    // Under the unbroken claim it goes by its own progress, which nobody else could have moved.
    expect(await before.writeDue(dueAt(held, T0 + 40n * MINUTE))).toBe(10);
    expect(puts.estimates.length).toBe(written + 10);
  });

  it('far behind, writes the newest intervals live and stores the rest as a backlog range first', async () => {
    const lastDue = T0 + 2n * HOUR;

    expect(await progress().writeDue(dueAt(claimD2(), lastDue))).toBe(LIVE_INTERVALS);

    const liveFrom = lastDue - BigInt(LIVE_INTERVALS - 1) * MINUTE;
    expect(puts.estimates[0]?.intervalEnd).toBe(liveFrom);
    expect(await corridor.repository.recompute.pending()).toMatchObject([
      { destination: d2, sources: [d1], from: T0 + 3n * MINUTE, to: liveFrom, origin: 'backlog' },
    ]);
  });

  it('writes nothing more once the claim is lost', async () => {
    const lease = claimD2(AbortSignal.abort(new Error('expired')));

    expect(await progress().writeDue(dueAt(lease, T0 + 30n * MINUTE))).toBe(0);
    expect(puts.estimates).toEqual([]);
  });
});

import { parseDetectorId } from '@message-bus/domain';
import { StoreUnavailableError, type WorkLeases } from '@message-bus/repository';
import { ServerMetrics } from '@message-bus/server-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../test/corridor';
import { DestinationClaims, MEMBERS_PREFIX } from './destination-claims';
import { InProcessWorkLeases } from './in-process-work-leases';

const a = parseDetectorId('a');
const b = parseDetectorId('b');
const c = parseDetectorId('c');
const ALL = new Set([a, b, c]);

let leases: InProcessWorkLeases;
let metrics: ServerMetrics;

beforeEach(() => {
  leases = new InProcessWorkLeases();
  metrics = new ServerMetrics({ processMetrics: false });
});
afterEach(() => leases.close());

function claims(workerId: string, workLeases: WorkLeases = leases): DestinationClaims {
  return new DestinationClaims({
    leases: workLeases,
    claimTtlSeconds: 2,
    logger: silentLogger,
    metrics,
    workerId,
  });
}

describe('DestinationClaims', () => {
  it('alone, claims every destination and resolves the late sightings', async () => {
    const only = claims('only');

    expect(await only.balance(ALL, undefined)).toEqual({ resolvesLateSightings: true });
    expect(only.sorted()).toEqual([a, b, c]);
    expect(await leases.claimed('traveltime/')).toEqual(['traveltime/a', 'traveltime/b', 'traveltime/c']);
    expect(await metrics.scrape()).toContain('message_bus_travel_time_destinations_held 3');
  });

  it('hands the excess over to a worker that joins, and only the first member resolves late sightings', async () => {
    const first = claims('first');
    const second = claims('second');
    await first.balance(ALL, undefined);

    // The second joins: it finds nothing free yet, and the first sees two members next round.
    const secondRound = await second.balance(ALL, undefined);
    await first.balance(ALL, undefined);
    await second.balance(ALL, undefined);

    expect(first.sorted()).toEqual([a, b]);
    expect(second.sorted()).toEqual([c]);
    const members = await leases.claimed(MEMBERS_PREFIX);
    expect(members).toHaveLength(2);
    expect(members[0]?.startsWith(`${MEMBERS_PREFIX}first-`)).toBe(true);
    expect(secondRound).toEqual({ resolvesLateSightings: false });
  });

  it('releases destinations that lost their links, and drops lost claims, counting them', async () => {
    const worker = claims('w');
    await worker.balance(ALL, undefined);
    await worker.held.get(b)!.release();

    await worker.balance(new Set([b, c]), undefined);

    // a has no links any more (released); b's claim was lost (dropped, then claimed anew).
    expect(worker.sorted()).toEqual([b, c]);
    expect(await leases.claimed('traveltime/')).toEqual(['traveltime/b', 'traveltime/c']);
    expect(await metrics.scrape()).toContain('message_bus_travel_time_leases_lost_total 1');
  });

  it('keeps what it holds while the workers cannot be counted, and leaves late sightings alone', async () => {
    let down = false;
    const flaky: WorkLeases = {
      tryAcquire: (name, ttl) => leases.tryAcquire(name, ttl),
      claimed: async (prefix) => {
        if (down) throw new StoreUnavailableError('etcd is down');
        return leases.claimed(prefix);
      },
      close: () => leases.close(),
    };
    const worker = claims('a-worker', flaky);
    await worker.balance(ALL, undefined);
    // Counted, the two would share 2 + 1: the first would hand one over.
    await claims('other').balance(ALL, undefined);
    down = true;

    expect(await worker.balance(ALL, undefined)).toEqual({ resolvesLateSightings: false });
    expect(worker.sorted()).toEqual([a, b, c]);
  });

  it('releases everything, membership included, on releaseAll', async () => {
    const worker = claims('w');
    await worker.balance(ALL, undefined);

    await worker.releaseAll();

    expect(worker.sorted()).toEqual([]);
    expect(await leases.claimed('traveltime/')).toEqual([]);
    expect(await leases.claimed(MEMBERS_PREFIX)).toEqual([]);
    expect(await metrics.scrape()).toContain('message_bus_travel_time_destinations_held 0');
  });
});

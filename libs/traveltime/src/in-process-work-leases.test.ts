import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { InProcessWorkLeases } from './in-process-work-leases';

describe('InProcessWorkLeases', () => {
  it('gives a name to one holder at a time until it is released', async () => {
    const leases = new InProcessWorkLeases();
    const first = await leases.tryAcquire('traveltime/d1', 10);
    expect(first?.name).toBe('traveltime/d1');
    expect(await leases.tryAcquire('traveltime/d1', 10)).toBeUndefined();
    expect((await leases.tryAcquire('traveltime/d2', 10))?.name).toBe('traveltime/d2');

    await first?.release();
    expect(first?.lost.aborted).toBe(true);
    const second = await leases.tryAcquire('traveltime/d1', 10);
    expect(second?.lost.aborted).toBe(false);
    await first?.release(); // releasing again does not free the new holder's claim
    expect(await leases.tryAcquire('traveltime/d1', 10)).toBeUndefined();
  });

  it('lists the names claimed under a prefix', async () => {
    const leases = new InProcessWorkLeases();
    await leases.tryAcquire('traveltime/d2', 10);
    await leases.tryAcquire('traveltime/d1', 10);
    await leases.tryAcquire('traveltime-workers/a', 10);
    expect(await leases.claimed('traveltime/')).toEqual(['traveltime/d1', 'traveltime/d2']);
    await expect(leases.claimed('traveltime')).rejects.toThrow(
      new StoreInvalidArgumentError(`prefix: "traveltime" must end with '/', e.g. traveltime/`),
    );
  });

  it('loses every claim on close and refuses new ones', async () => {
    const leases = new InProcessWorkLeases();
    const held = await leases.tryAcquire('traveltime/d1', 10);
    await leases.close();
    expect(held?.lost.aborted).toBe(true);
    await expect(leases.tryAcquire('traveltime/d2', 10)).rejects.toThrow(
      new StoreInvalidArgumentError('tryAcquire: the work leases were closed'),
    );
  });

  it('refuses an empty name and a TTL that is not whole seconds', async () => {
    const leases = new InProcessWorkLeases();
    await expect(leases.tryAcquire('', 10)).rejects.toThrow(
      new StoreInvalidArgumentError('name: must be a non-empty string, e.g. traveltime/det-7'),
    );
    await expect(leases.tryAcquire('traveltime/d1', 0)).rejects.toThrow(
      new StoreInvalidArgumentError('ttlSeconds: 0 is not a whole number of seconds ≥ 1'),
    );
  });
});

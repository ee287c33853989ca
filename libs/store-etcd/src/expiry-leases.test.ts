import { describe, expect, it } from 'vitest';
import { ExpiryLeases } from './expiry-leases';

/** Grants numbered leases and remembers the TTLs asked for. */
function counter() {
  const ttls: number[] = [];
  const grant = async (ttlSeconds: number) => {
    ttls.push(ttlSeconds);
    return `lease-${ttls.length}`;
  };
  return { ttls, grant };
}

describe('ExpiryLeases', () => {
  const start = 1_700_000_000_000;

  it('grants one lease per expiry time, with the TTL left until it', async () => {
    const { ttls, grant } = counter();
    const leases = new ExpiryLeases(grant, 3, () => start);
    const at = start / 1000 + 600;
    expect(await Promise.all([leases.idFor(at), leases.idFor(at)])).toEqual(['lease-1', 'lease-1']);
    expect(await leases.idFor(at + 100)).toBe('lease-2');
    expect(ttls).toEqual([600, 700]);
  });

  it('grants at least the minimum TTL for an expiry that is near or past', async () => {
    const { ttls, grant } = counter();
    const leases = new ExpiryLeases(grant, 3, () => start);
    await leases.idFor(start / 1000 + 1);
    await leases.idFor(start / 1000 - 60);
    expect(ttls).toEqual([3, 3]);
  });

  it('grants anew once the cached lease is about to expire, or after forget()', async () => {
    const { ttls, grant } = counter();
    let now = start;
    const leases = new ExpiryLeases(grant, 3, () => now);
    const at = start / 1000 + 10;
    expect(await leases.idFor(at)).toBe('lease-1');
    now = start + 9_500;
    expect(await leases.idFor(at)).toBe('lease-2');
    leases.forget(at);
    expect(await leases.idFor(at)).toBe('lease-3');
    expect(ttls).toEqual([10, 3, 3]);
  });

  it('does not cache a failed grant', async () => {
    let fail = true;
    const leases = new ExpiryLeases(
      async () => {
        if (fail) throw new Error('etcd is down');
        return 'lease-ok';
      },
      3,
      () => start,
    );
    const at = start / 1000 + 60;
    await expect(leases.idFor(at)).rejects.toThrow('etcd is down');
    fail = false;
    expect(await leases.idFor(at)).toBe('lease-ok');
  });
});

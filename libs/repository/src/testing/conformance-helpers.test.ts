import { describe, expect, it } from 'vitest';
import {
  at,
  BASE_SECOND,
  oldestFirst,
  pseudonym,
  shuffled,
  sighting,
  detector,
  take,
  waitFor,
} from './conformance-helpers';

describe('conformance suite helpers', () => {
  it('puts the base time on a bucket boundary, recent but in the past', () => {
    // The bucket-boundary tests rely on at(100) starting a 100-second bucket.
    expect(BASE_SECOND % 100).toBe(0);
    expect(at(100) % 100_000_000_000n).toBe(0n);
    const nowSecond = Math.floor(Date.now() / 1000);
    expect(BASE_SECOND).toBeLessThan(nowSecond - 3600);
    expect(BASE_SECOND).toBeGreaterThan(nowSecond - 3 * 3600);
  });

  it('makes pseudonym-shaped device ids: 22 base64url characters, distinct per number', () => {
    expect(pseudonym(7)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(pseudonym(7)).not.toBe(pseudonym(8));
  });

  it('shuffles into a different order with the same items', () => {
    const items = [1, 2, 3, 4, 5, 6, 7];
    const result = shuffled(items);
    expect(result).not.toEqual(items);
    expect([...result].sort()).toEqual(items);
  });

  it('orders sightings by time', () => {
    const A = detector('a');
    const [late, early] = [sighting(A, 1, at(2)), sighting(A, 2, at(1))];
    expect(oldestFirst([late!, early!])).toEqual([early, late]);
  });

  it('takes items from an iterator, and fails clearly when it ends early or stalls', async () => {
    const three = (async function* () {
      yield* [1, 2, 3];
    })();
    expect(await take(three, 2)).toEqual([1, 2]);
    await expect(take(three, 2)).rejects.toThrow('the iteration ended after 1 of 2 items');
    const stalled: AsyncIterator<number> = { next: () => new Promise(() => undefined) };
    await expect(take(stalled, 1, 20)).rejects.toThrow('expected 1 followed items, got 0 within 20 ms');
  });

  it('waits for a condition, and fails clearly when it never holds', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 5);
    await expect(waitFor(() => ready)).resolves.toBeUndefined();
    await expect(waitFor(() => false, 20)).rejects.toThrow('condition not met within 20 ms');
  });
});

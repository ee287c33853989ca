import { describe, expect, test } from 'vitest';
import { ExpiryGroupCache, decodeExpiryGroupKey, encodeExpiryGroupKey } from './expiry-groups';

describe('expiry group keys', () => {
  test('round-trip the time and the prefix, including times beyond 32 bits and non-ASCII prefixes', () => {
    for (const [atUnixSeconds, prefix] of [
      [0, '/a/'],
      [1_563_568_100 + 604_800, '/mb/detectors/d1/1563568100/'],
      [2 ** 40 + 7, '/mb/detectors/dé/1563568100/'],
    ] as const) {
      expect(decodeExpiryGroupKey(encodeExpiryGroupKey(atUnixSeconds, prefix))).toEqual({
        atUnixSeconds,
        prefix,
      });
    }
  });

  test('sort by expiry time first, whatever the prefix', () => {
    const keys = [
      encodeExpiryGroupKey(2 ** 32, '/a/'),
      encodeExpiryGroupKey(255, '/z/'),
      encodeExpiryGroupKey(256, '/a/'),
      encodeExpiryGroupKey(256, '/b/'),
    ];
    const sorted = [...keys].sort(Buffer.compare).map((key) => decodeExpiryGroupKey(key));

    expect(sorted).toEqual([
      { atUnixSeconds: 255, prefix: '/z/' },
      { atUnixSeconds: 256, prefix: '/a/' },
      { atUnixSeconds: 256, prefix: '/b/' },
      { atUnixSeconds: 2 ** 32, prefix: '/a/' },
    ]);
  });
});

describe('ExpiryGroupCache', () => {
  test('remembers added groups until forgotten', () => {
    const cache = new ExpiryGroupCache();
    cache.add(100, '/a/');

    expect(cache.has(100, '/a/')).toBe(true);
    expect(cache.has(100, '/b/')).toBe(false);
    expect(cache.has(200, '/a/')).toBe(false);
    cache.forget(100, '/a/');
    expect(cache.has(100, '/a/')).toBe(false);
  });

  test('keeps a bounded number of expiry times, forgetting the earliest first', () => {
    const cache = new ExpiryGroupCache(2);
    cache.add(300, '/a/');
    cache.add(100, '/a/');
    cache.add(100, '/b/');
    cache.add(200, '/a/');

    expect(cache.has(100, '/a/')).toBe(false);
    expect(cache.has(100, '/b/')).toBe(false);
    expect(cache.has(200, '/a/')).toBe(true);
    expect(cache.has(300, '/a/')).toBe(true);
  });
});

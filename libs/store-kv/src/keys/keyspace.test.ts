import type { DetectorId } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { toKeyTimeRange } from './key-time';
import { eventBucket, eventUlid, Keyspace } from './keyspace';
import { idSegmentProblem } from './key-segment';
import { murmur3x86128 } from './murmur3';
import { encodeUlid } from './ulid';

const keyspace = new Keyspace('tdc');
const PSEUDONYM = 'AbCdEfGhIjKlMnOpQrStUv';
const detector = (id: string) => id as DetectorId;

describe('Keyspace: event keys', () => {
  it('builds the exact documented key for a fixed sighting (golden)', () => {
    const key = keyspace.eventKey({ detectorId: 'det-1', deviceId: PSEUDONYM, time: 1563691800139778436n });
    // ULID entropy = MurmurHash3_x86_128(u16be 5 "det-1" u16be 22 PSEUDONYM i64be time)[0..10], computed with Python mmh3.
    expect(key).toBe('/tdc/detectors/det-1/1563691800/01DG9MPNJB6KG80KXHK4N8K5ZS.AbCdEfGhIjKlMnOpQrStUv');
  });

  it('puts times inside each of the design note buckets into that bucket', () => {
    expect(eventBucket(1563568100_000000000n)).toBe(1563568100);
    expect(eventBucket(1563568150_123456789n)).toBe(1563568100);
    expect(eventBucket(1563568199_999999999n)).toBe(1563568100);
    expect(eventBucket(1563568200_000000000n)).toBe(1563568200);
    expect(eventBucket(1563568299_999999999n)).toBe(1563568200);
    expect(eventBucket(1563568300_000000001n)).toBe(1563568300);
    const key = keyspace.eventKey({ detectorId: 'd', deviceId: 'Zz', time: 1563568199_999999999n });
    expect(key).toBe('/tdc/detectors/d/1563568100/01DG5YTP9ZTMZ5AXCSQAXW7A7B.Zz');
    expect(key.split('/')[4]).toBe('1563568100');
  });

  it('zero-pads the bucket to ten digits', () => {
    expect(keyspace.bucketPrefix('d', 999_999_900)).toBe('/tdc/detectors/d/0999999900/');
  });

  it('derives the same ULID from the same sighting and different ones from any change', () => {
    const base = eventUlid('det-1', PSEUDONYM, 1563691800139778436n);
    expect(eventUlid('det-1', PSEUDONYM, 1563691800139778436n)).toBe(base);
    expect(base).toBe('01DG9MPNJB6KG80KXHK4N8K5ZS');
    // One nanosecond later, same millisecond: same time part, other entropy (golden).
    expect(eventUlid('det-1', PSEUDONYM, 1563691800139778437n)).toBe('01DG9MPNJB7JZXNBDPC5HTSECV');
    expect(eventUlid('det-2', PSEUDONYM, 1563691800139778436n)).not.toBe(base);
    expect(eventUlid('det-1', 'other', 1563691800139778436n)).not.toBe(base);
    // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    expect(eventUlid('ab', 'c', 1n)).not.toBe(eventUlid('a', 'bc', 1n));
  });

  it('hashes exactly the documented input, for non-ASCII ids too, whatever was derived before', () => {
    const documented = (detectorId: string, deviceId: string, time: bigint) => {
      const lengthPrefixed = (text: string) => {
        const utf8 = Buffer.from(text, 'utf8');
        const length = Buffer.alloc(2);
        length.writeUInt16BE(utf8.length);
        return [length, utf8];
      };
      const nanoseconds = Buffer.alloc(8);
      nanoseconds.writeBigInt64BE(time);
      const input = Buffer.concat([...lengthPrefixed(detectorId), ...lengthPrefixed(deviceId), nanoseconds]);
      const hash = new Uint8Array(16);
      murmur3x86128(input, input.length, hash);
      return encodeUlid(Number(time / 1_000_000n), hash);
    };
    const sightings: Array<[string, string, bigint]> = [
      ['det-1', PSEUDONYM, 1563691800139778436n],
      ['det-1', 'gerät-ü', 1563691800139778437n],
      ['détecteur', '😀 device', 1563691800139778438n],
      ['d', PSEUDONYM, 1563691800139778439n],
      ['det-1', 'gerät-ü', 1563691800139778441n],
      ['det-1', 'x'.repeat(128), 1563691800139778440n],
      ['det-1', PSEUDONYM, 1563691800139778436n],
    ];
    const other = new Keyspace('other-prefix');
    for (const [detectorId, deviceId, time] of sightings) {
      const ulid = documented(detectorId, deviceId, time);
      expect(eventUlid(detectorId, deviceId, time)).toBe(ulid);
      // Keys take only ASCII detector ids; the device id may be any printable text.
      if (idSegmentProblem(detectorId) !== undefined) continue;
      for (const space of [keyspace, other]) {
        const bucket = eventBucket(time);
        expect(space.eventKey({ detectorId, deviceId, time })).toBe(
          `${space.bucketPrefix(detectorId, bucket)}${ulid}.${deviceId}`,
        );
      }
    }
  });

  it('orders ULIDs by the event millisecond', () => {
    const times = [
      1563568100_000000000n,
      1563568100_001000000n,
      1563568100_999999999n,
      1563568101_000000000n,
    ];
    const ulids = times.map((time, index) => eventUlid('d', `device-${4 - index}`, time));
    expect([...ulids].sort()).toEqual(ulids);
  });

  it('parses a key it built', () => {
    const key = keyspace.eventKey({ detectorId: 'det-1', deviceId: PSEUDONYM, time: 1563691800139778436n });
    expect(keyspace.parseEventKey(key)).toEqual({
      ok: true,
      value: {
        detectorId: 'det-1',
        bucket: 1563691800,
        ulid: '01DG9MPNJB6KG80KXHK4N8K5ZS',
        ulidTimeMs: 1563691800139,
        deviceId: PSEUDONYM,
      },
    });
  });

  it('parses keys the original wrote: random ULID entropy, device ids with dots, unpadded 9-digit buckets', () => {
    expect(
      keyspace.parseEventKey('/tdc/detectors/xxx-1/1563691800/01DG9MPNJBTSV4RRFFQ69G5FAV.aa:bb.cc.dd'),
    ).toEqual({
      ok: true,
      value: {
        detectorId: 'xxx-1',
        bucket: 1563691800,
        ulid: '01DG9MPNJBTSV4RRFFQ69G5FAV',
        ulidTimeMs: 1563691800139,
        deviceId: 'aa:bb.cc.dd',
      },
    });
    const old = keyspace.parseEventKey('/tdc/detectors/xxx-1/999999900/00XJA8MW0000000000000000AB.dev');
    expect(old.ok && old.value.bucket).toBe(999999900);
  });

  it.each([
    ['/other/detectors/d/1563568100/01DG5YTP9ZEQFBTVS2PTNAAT4C.dev', 'is not under /tdc/detectors/'],
    [
      '/tdc/detectors/d/1563568100',
      'has 2 segments after /tdc/detectors/, expected {detector}/{bucket}/{ULID}.{device}',
    ],
    [
      '/tdc/detectors/d/1563568100/x/01DG5YTP9ZEQFBTVS2PTNAAT4C.dev',
      'has 4 segments after /tdc/detectors/, expected {detector}/{bucket}/{ULID}.{device}',
    ],
    ['/tdc/detectors//1563568100/01DG5YTP9ZEQFBTVS2PTNAAT4C.dev', 'has an empty detector id'],
    [
      '/tdc/detectors/d/15635681xx/01DG5YTP9ZEQFBTVS2PTNAAT4C.dev',
      'has bucket "15635681xx", not 1 to 10 digits',
    ],
    [
      '/tdc/detectors/d/1563568150/01DG5YTP9ZEQFBTVS2PTNAAT4C.dev',
      'has bucket 1563568150, not a multiple of 100 seconds',
    ],
    [
      '/tdc/detectors/d/1563568100/some-ulid.my-device-id',
      'has a last segment whose ULID is 22 characters long, a ULID has 26',
    ],
    [
      '/tdc/detectors/d/1563568100/01DG5-TP9ZEQFBTVS2PTNAAT4C.dev',
      'has a last segment whose ULID has "-" at character 6, outside upper-case Crockford base32',
    ],
    [
      '/tdc/detectors/d/1563568100/01DG5YTP9Z.dev',
      'has a last segment whose ULID is 14 characters long, a ULID has 26',
    ],
    [
      '/tdc/detectors/d/1563568100/01DG5YTP9ZEQFBTVS2PTNAAT4C-dev',
      'has no "." between the ULID and the device id',
    ],
    ['/tdc/detectors/d/1563568100/01DG5YTP9ZEQFBTVS2PTNAAT4C.', 'has an empty device id'],
  ])('rejects the malformed event key %s', (key, reason) => {
    expect(keyspace.parseEventKey(key)).toEqual({ ok: false, reason });
  });

  it('gives the key range of a time range: bucket and millisecond of after, up to the millisecond before before', () => {
    const range = toKeyTimeRange({ after: 1563568100_000000000n, before: 1563568300_000000000n });
    expect(range && keyspace.eventRange('d', range)).toEqual({
      // 01DG5YQMN0 = ms 1563568100000; 01DG5YXQZ0 = ms 1563568300000, one past the last included.
      start: '/tdc/detectors/d/1563568100/01DG5YQMN0',
      end: '/tdc/detectors/d/1563568200/01DG5YXQZ0',
    });
    const open = toKeyTimeRange({});
    expect(open && keyspace.eventRange('d', open)).toEqual({
      start: '/tdc/detectors/d/0000000000/0000000000',
      end: '/tdc/detectors/d0',
    });
  });
});

describe('Keyspace: guards on written keys', () => {
  it('accepts the largest allowed ids', () => {
    const longest = 'D'.repeat(64);
    const device = 'x'.repeat(128);
    const key = keyspace.eventKey({ detectorId: longest, deviceId: device, time: 1563568100_000000000n });
    expect(keyspace.parseEventKey(key)).toMatchObject({
      ok: true,
      value: { detectorId: longest, deviceId: device },
    });
  });

  it.each([
    [
      { detectorId: 'a/b', deviceId: 'd', time: 1n },
      "sighting.detectorId: \"a/b\" has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
    ],
    [
      { detectorId: '', deviceId: 'd', time: 1n },
      'sighting.detectorId: "" is empty; an id has 1 to 64 characters',
    ],
    [
      { detectorId: 'D'.repeat(65), deviceId: 'd', time: 1n },
      `sighting.detectorId: "${'D'.repeat(65)}" is 65 characters long; the limit is 64`,
    ],
    [
      { detectorId: '..', deviceId: 'd', time: 1n },
      'sighting.detectorId: ".." is "..", which a path-style reader collapses',
    ],
    [
      { detectorId: 'a b', deviceId: 'd', time: 1n },
      "sighting.detectorId: \"a b\" has U+0020 ' ' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
    ],
    [
      { detectorId: 'd', deviceId: 'a/b', time: 1n },
      "sighting.deviceId: has '/' at character 2, which would split the store key",
    ],
    [
      { detectorId: 'd', deviceId: 'ab\n', time: 1n },
      'sighting.deviceId: has control character U+000A at character 3',
    ],
    [{ detectorId: 'd', deviceId: '', time: 1n }, 'sighting.deviceId: is empty'],
    [
      { detectorId: 'd', deviceId: 'x'.repeat(129), time: 1n },
      'sighting.deviceId: is 129 characters long; at most 128 fit in a store key',
    ],
    [
      { detectorId: 'd', deviceId: 'a\ud800', time: 1n },
      'sighting.deviceId: has an unpaired surrogate at character 2, which has no UTF-8 form',
    ],
    [
      { detectorId: 'd', deviceId: 'd', time: -1n },
      'sighting.time: -1 is outside the storable range of unix nanoseconds, 0 to 9999999999999999999 (1970 to 2286)',
    ],
    [
      { detectorId: 'd', deviceId: 'd', time: 10n ** 19n },
      'sighting.time: 10000000000000000000 is outside the storable range of unix nanoseconds, 0 to 9999999999999999999 (1970 to 2286)',
    ],
    [
      { detectorId: 'd', deviceId: 'd', time: 5 as unknown as bigint },
      'sighting.time: must be unix nanoseconds as a bigint, got number',
    ],
  ])('refuses %o with a precise error', (sighting, message) => {
    expect(() => keyspace.eventKey(sighting)).toThrow(new StoreInvalidArgumentError(message));
  });

  it('never quotes a device id in an error', () => {
    expect(() => keyspace.eventKey({ detectorId: 'd', deviceId: 'secret/mac', time: 1n })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret') }),
    );
  });

  it('refuses an unsafe prefix', () => {
    expect(() => new Keyspace('a/b')).toThrow(StoreInvalidArgumentError);
    expect(() => new Keyspace('')).toThrow('prefix: "" is empty');
  });
});

describe('Keyspace: other kinds', () => {
  it('builds and parses link keys', () => {
    const key = keyspace.linkKey({ destination: 'dst', source: 'src' });
    expect(key).toBe('/tdc/links/dst/src');
    expect(keyspace.parseLinkKey(key)).toEqual({ ok: true, value: { destination: 'dst', source: 'src' } });
    expect(keyspace.parseLinkKey('/tdc/links/dst')).toEqual({
      ok: false,
      reason: 'has 1 segments after /tdc/links/, expected 2',
    });
    expect(keyspace.parseLinkKey('/tdc/links/dst/s c')).toMatchObject({ ok: false });
    expect(() => keyspace.linkKey({ destination: 'dst', source: 's/c' })).toThrow(/^link\.source: /);
  });

  it('builds and parses coordinates keys', () => {
    expect(keyspace.coordinatesKey('det-1')).toBe('/tdc/coordinates/det-1');
    expect(keyspace.parseCoordinatesKey('/tdc/coordinates/det-1')).toEqual({ ok: true, value: 'det-1' });
    expect(keyspace.parseCoordinatesKey('/tdc/coordinates/det-1/x')).toMatchObject({ ok: false });
  });

  it('builds and parses status keys with 19-digit times', () => {
    const key = keyspace.statusKey({ detectorId: detector('det-1'), time: 1563691800139778436n });
    expect(key).toBe('/tdc/status/det-1/1563691800139778436');
    expect(keyspace.statusKey({ detectorId: 'd', time: 42n })).toBe('/tdc/status/d/0000000000000000042');
    expect(keyspace.parseStatusKey(key)).toEqual({
      ok: true,
      value: { detectorId: 'det-1', time: 1563691800139778436n },
    });
    expect(keyspace.parseStatusKey('/tdc/status/d/42')).toEqual({
      ok: false,
      reason: 'has time "42", not 19 digits',
    });
  });

  it('builds and parses estimate keys', () => {
    const key = keyspace.estimateKey({
      destination: detector('b'),
      source: detector('a'),
      intervalEnd: 1563691800000000000n,
    });
    expect(key).toBe('/tdc/traveltimes/b/a/1563691800000000000');
    expect(keyspace.parseEstimateKey(key)).toEqual({
      ok: true,
      value: { destination: 'b', source: 'a', intervalEnd: 1563691800000000000n },
    });
    expect(keyspace.parseEstimateKey('/tdc/traveltimes/b/a/15636918000000000x0')).toMatchObject({
      ok: false,
    });
  });

  it('gives time-keyed ranges: after inclusive, before exclusive, open ends to the prefix end', () => {
    const range = toKeyTimeRange({ after: 5n, before: 9n });
    expect(range && keyspace.statusRange('d', range)).toEqual({
      start: '/tdc/status/d/0000000000000000005',
      end: '/tdc/status/d/0000000000000000009',
    });
    const open = toKeyTimeRange({ after: 5n });
    expect(open && keyspace.estimateRange({ destination: 'b', source: 'a' }, open)).toEqual({
      start: '/tdc/traveltimes/b/a/0000000000000000005',
      end: '/tdc/traveltimes/b/a0',
    });
  });
});

describe('Keyspace: recompute marks', () => {
  it('builds and parses late-sightings keys, one per detector bucket', () => {
    const key = keyspace.lateSightingsKey('det-1', 1563691800);
    expect(key).toBe('/tdc/late/det-1/1563691800');
    expect(keyspace.parseLateSightingsKey(key)).toEqual({
      ok: true,
      value: { detectorId: 'det-1', bucket: 1563691800 },
    });
    expect(keyspace.parseLateSightingsKey('/tdc/late/det-1/156369180')).toMatchObject({ ok: false });
    expect(() => keyspace.lateSightingsKey('a/b', 0)).toThrow(StoreInvalidArgumentError);
  });

  it('builds and parses recompute keys, ordered by destination then from', () => {
    const range = {
      destination: detector('d-1'),
      from: 1563691800000000000n,
      origin: 'request' as const,
      id: '01JF000000000000000000000A',
    };
    const key = keyspace.recomputeKey(range);
    expect(key).toBe('/tdc/recompute/d-1/1563691800000000000/request/01JF000000000000000000000A');
    expect(keyspace.parseRecomputeKey(key)).toEqual({ ok: true, value: range });
    expect(key.startsWith(keyspace.recomputePrefix('d-1'))).toBe(true);
    expect(keyspace.recomputeKey({ ...range, from: 9n }) < key).toBe(true);
    expect(keyspace.parseRecomputeKey(key.replace('request', 'whim'))).toMatchObject({ ok: false });
    expect(() => keyspace.recomputeKey({ ...range, id: '' }, 'ranges[2]')).toThrow(/ranges\[2\]\.id/);
    expect(() => keyspace.recomputeKey({ ...range, origin: 'whim' as never })).toThrow(/origin/);
  });
});

describe('Keyspace: work lock keys', () => {
  it('puts a lock under locks/, one segment per part of its name', () => {
    expect(keyspace.lockKey('traveltime/det-7')).toBe('/tdc/locks/traveltime/det-7');
    expect(keyspace.locksRoot).toBe('/tdc/locks/');
  });

  it('names the segment that cannot be part of a key', () => {
    expect(() => keyspace.lockKey('traveltime/')).toThrow(
      new StoreInvalidArgumentError('name segment 2: "" is empty; an id has 1 to 64 characters'),
    );
    expect(() => keyspace.lockKey('traveltime/a\nb')).toThrow(
      new StoreInvalidArgumentError(
        `name segment 2: "a\\nb" has U+000A at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'`,
      ),
    );
    expect(() => keyspace.lockKey('')).toThrow(
      new StoreInvalidArgumentError('name: "" is empty; an id has 1 to 64 characters'),
    );
  });
});

describe('toKeyTimeRange', () => {
  it('is empty when after equals before, and refuses after later than before', () => {
    expect(toKeyTimeRange({ after: 5n, before: 5n })).toBeUndefined();
    expect(() => toKeyTimeRange({ after: 6n, before: 5n })).toThrow(
      new StoreInvalidArgumentError(
        'range: after (6) is later than before (5); after is inclusive, before exclusive',
      ),
    );
  });

  it('clamps to storable times', () => {
    expect(toKeyTimeRange({ after: -5n, before: 10n ** 20n })).toEqual({ after: 0n, before: undefined });
    expect(toKeyTimeRange({ before: 0n })).toBeUndefined();
  });
});

describe('Keyspace: traffic products', () => {
  const T = 1563691800000000001n;

  it('builds and parses route and route-estimate keys, each under its own segment', () => {
    expect(keyspace.routeKey('north')).toBe('/tdc/routes/north');
    expect(keyspace.parseRouteKey('/tdc/routes/north')).toEqual({ ok: true, value: 'north' });
    const key = keyspace.routeEstimateKey({ route: 'north' as never, intervalEnd: T });
    expect(key).toBe('/tdc/route-times/north/1563691800000000001');
    expect(keyspace.parseRouteEstimateKey(key)).toEqual({
      ok: true,
      value: { route: 'north', intervalEnd: T },
    });
    expect(keyspace.parseRouteEstimateKey('/tdc/route-times/north/12')).toMatchObject({ ok: false });
    expect(() => keyspace.routeKey('a/b', 'route.name')).toThrow(/^route\.name: "a\/b" has U\+002F/);
    expect(() => keyspace.routeEstimateKey({ route: '' as never, intervalEnd: T }, 'estimates[1]')).toThrow(
      /^estimates\[1\]\.route: "" is empty/,
    );
  });

  it('builds and parses profile keys of links and routes', () => {
    const link = { kind: 'link', source: detector('a'), destination: detector('b') } as const;
    expect(keyspace.profileKey(link)).toBe('/tdc/profiles/link/b/a');
    expect(keyspace.parseProfileKey('/tdc/profiles/link/b/a')).toEqual({ ok: true, value: link });
    expect(keyspace.profileKey({ kind: 'route', route: 'north' as never })).toBe('/tdc/profiles/route/north');
    expect(keyspace.parseProfileKey('/tdc/profiles/route/north')).toEqual({
      ok: true,
      value: { kind: 'route', route: 'north' },
    });
    expect(keyspace.parseProfileKey('/tdc/profiles/lane/x')).toMatchObject({ ok: false });
    expect(keyspace.parseProfileKey('/tdc/profiles/route/a/b')).toMatchObject({ ok: false });
    expect(() => keyspace.profileKey({ ...link, source: 'a/b' as DetectorId }, 'profile.target')).toThrow(
      /^profile\.target\.source/,
    );
    expect(() => keyspace.profileKey({ kind: 'lane' } as never)).toThrow(StoreInvalidArgumentError);
  });

  it('keys alerts by an upper-case ULID, so key order is start order', () => {
    const id = encodeUlid(1563691800000, new Uint8Array(10));
    expect(keyspace.alertKey(id)).toBe(`/tdc/alerts/${id}`);
    expect(keyspace.parseAlertKey(`/tdc/alerts/${id}`)).toEqual({ ok: true, value: id });
    expect(keyspace.alertTimeBoundary(1563691800000) <= keyspace.alertKey(id)).toBe(true);
    expect(keyspace.alertTimeBoundary(1563691800001) > keyspace.alertKey(id)).toBe(true);
    expect(() => keyspace.alertKey(id.toLowerCase(), 'alerts[0].id')).toThrow(
      /^alerts\[0\]\.id: .*Crockford/,
    );
    expect(() => keyspace.alertKey('a/b')).toThrow(StoreInvalidArgumentError);
    expect(keyspace.parseAlertKey('/tdc/alerts/not-a-ulid')).toMatchObject({ ok: false });
  });

  it('builds and parses detector-health keys', () => {
    expect(keyspace.detectorHealthKey('det-1')).toBe('/tdc/detector-health/det-1');
    expect(keyspace.parseDetectorHealthKey('/tdc/detector-health/det-1')).toEqual({
      ok: true,
      value: 'det-1',
    });
    expect(() => keyspace.detectorHealthKey('det\u00071')).toThrow(StoreInvalidArgumentError);
  });
});

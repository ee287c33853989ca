import { nanosToTimestamp, type DetectorId, type UnixNanos } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { encodeGetEventsResponse } from './get-events-response';
import type { GroupedSightings } from './sighting-groups';

interface Group {
  readonly detectorId: string;
  readonly deviceId: string;
  readonly times: readonly UnixNanos[];
}

/** The columns of `groups`, split with the domain's `nanosToTimestamp`. */
function columnsOf(groups: readonly Group[]): GroupedSightings {
  const timestamps = groups.flatMap((group) => group.times.map(nanosToTimestamp));
  const timeStarts = new Int32Array(groups.length + 1);
  groups.forEach((group, index) => (timeStarts[index + 1] = timeStarts[index]! + group.times.length));
  return {
    detectorIds: groups.map((group) => group.detectorId as DetectorId),
    deviceIds: groups.map((group) => group.deviceId),
    timeStarts,
    seconds: Float64Array.from(timestamps, (timestamp) => Number(timestamp.seconds)),
    nanos: Int32Array.from(timestamps, (timestamp) => timestamp.nanos),
  };
}

/** What ts-proto writes for the same events. */
function tsProtoBytes(groups: readonly Group[]): Buffer {
  const events = groups.map((group) => ({
    detectorId: group.detectorId,
    deviceId: group.deviceId,
    time: group.times.map(nanosToTimestamp),
  }));
  return Buffer.from(query.GetEventsResponse.encode({ events }).finish());
}

function expectTsProtoBytes(groups: readonly Group[]): void {
  const encoded = encodeGetEventsResponse(columnsOf(groups));
  expect(encoded.toString('hex')).toBe(tsProtoBytes(groups).toString('hex'));
}

const SECOND = 1_000_000_000n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const HOUR_START = 1_700_000_000n * SECOND;

describe('encodeGetEventsResponse', () => {
  it('writes an empty response as no bytes', () => {
    expect(encodeGetEventsResponse(columnsOf([])).length).toBe(0);
    expectTsProtoBytes([]);
  });

  it('writes the bytes ts-proto writes, which decode to the same events', () => {
    const groups = [
      { detectorId: 'det-a', deviceId: 'device-1', times: [HOUR_START + 5n * SECOND, HOUR_START + 7n] },
      { detectorId: 'det-a', deviceId: 'device-2', times: [HOUR_START] },
      { detectorId: 'det-b', deviceId: 'device-1', times: [HOUR_START + 999_999_999n] },
    ];
    expectTsProtoBytes(groups);
    expect(query.GetEventsResponse.decode(encodeGetEventsResponse(columnsOf(groups)))).toEqual({
      events: [
        {
          detectorId: 'det-a',
          deviceId: 'device-1',
          time: [
            { seconds: 1_700_000_005n, nanos: 0 },
            { seconds: 1_700_000_000n, nanos: 7 },
          ],
        },
        { detectorId: 'det-a', deviceId: 'device-2', time: [{ seconds: 1_700_000_000n, nanos: 0 }] },
        {
          detectorId: 'det-b',
          deviceId: 'device-1',
          time: [{ seconds: 1_700_000_000n, nanos: 999_999_999 }],
        },
      ],
    });
  });

  it('leaves zero seconds and zero nanos out of a Timestamp, as proto3 does', () => {
    expectTsProtoBytes([{ detectorId: 'd', deviceId: 'x', times: [0n, 1n, SECOND, 999_999_999n] }]);
    // The epoch itself is an empty Timestamp: key 0x0a, length 0.
    expect(encodeGetEventsResponse(columnsOf([{ detectorId: 'd', deviceId: 'x', times: [0n] }]))).toEqual(
      Buffer.from([0x0a, 8, 0x0a, 0, 0x12, 1, 0x78, 0x1a, 1, 0x64]),
    );
  });

  it('writes the largest and smallest times exactly, negative seconds as 10-byte varints', () => {
    expectTsProtoBytes([
      {
        detectorId: 'd',
        deviceId: 'x',
        times: [
          INT64_MAX,
          INT64_MIN,
          -1n,
          -SECOND,
          -SECOND - 1n,
          253_402_300_799n * SECOND + 999_999_999n, // 9999-12-31T23:59:59.999999999Z
          -62_135_596_800n * SECOND, // 0001-01-01T00:00:00Z
          2n ** 35n * SECOND, // seconds needing a sixth varint byte
          (2n ** 53n - 1n) * SECOND + 999_999_999n, // the largest seconds a column holds
        ],
      },
    ]);
  });

  it('leaves empty ids out, as proto3 does', () => {
    expectTsProtoBytes([
      { detectorId: '', deviceId: '', times: [HOUR_START] },
      { detectorId: '', deviceId: 'device-1', times: [HOUR_START] },
      { detectorId: 'det-a', deviceId: '', times: [] },
    ]);
  });

  it('writes non-ASCII ids as UTF-8, a lone surrogate as U+FFFD', () => {
    expectTsProtoBytes([
      { detectorId: 'détecteur-α', deviceId: 'appareil-é', times: [HOUR_START] },
      { detectorId: 'détecteur-α', deviceId: '🚗-emoji', times: [HOUR_START + 1n] },
      { detectorId: '検出器', deviceId: 'lone-\ud800-surrogate', times: [HOUR_START + 2n] },
      { detectorId: '検出器', deviceId: 'ÿ', times: [HOUR_START + 3n] },
    ]);
  });

  it('writes multi-byte lengths: a long id, a device with many times, many groups', () => {
    const manyTimes = Array.from({ length: 5_000 }, (_, index) => HOUR_START - BigInt(index) * 360_000_007n);
    expectTsProtoBytes([
      { detectorId: 'det-a', deviceId: 'x'.repeat(200), times: [HOUR_START] },
      { detectorId: 'det-a', deviceId: 'é'.repeat(20_000), times: [HOUR_START] },
      { detectorId: 'det-a', deviceId: 'busy-device', times: manyTimes },
    ]);
    expectTsProtoBytes(
      Array.from({ length: 3_000 }, (_, index) => ({
        detectorId: `det-${Math.floor(index / 1_000)}`,
        deviceId: `device-${index}`,
        times: [HOUR_START + BigInt(index)],
      })),
    );
  });

  it('matches ts-proto on random groups of random ids and times', () => {
    const random = seededRandom(42);
    const randomText = (): string =>
      Array.from({ length: random(12) }, () => {
        const kind = random(4);
        if (kind === 0) return String.fromCharCode(0x20 + random(0x5f));
        if (kind === 1) return String.fromCharCode(0x80 + random(0x780));
        if (kind === 2) return String.fromCodePoint(0x10000 + random(0x1000));
        return String.fromCharCode(0x800 + random(0xd000 - 0x800));
      }).join('');
    const randomTime = (): UnixNanos =>
      BigInt.asIntN(64, (BigInt(random(2 ** 32)) << 32n) | BigInt(random(2 ** 32)));
    for (let round = 0; round < 50; round += 1) {
      const groups = Array.from({ length: random(20) }, () => ({
        detectorId: randomText(),
        deviceId: randomText(),
        times: Array.from({ length: random(5) }, randomTime),
      }));
      expectTsProtoBytes(groups);
    }
  });
});

/** A deterministic generator of integers below `bound` (mulberry32), so a failure reproduces. */
function seededRandom(seed: number): (bound: number) => number {
  let state = seed;
  return (bound) => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return Math.floor((((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32) * bound);
  };
}

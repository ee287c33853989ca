import { parseDetectorId, type DetectorId, type DetectorLink } from '@message-bus/domain';
import type { LateSightings } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { rangesForLateSightings } from './late-sightings';

const [a, b, c] = ['a', 'b', 'c'].map((id) => parseDetectorId(id)) as [DetectorId, DetectorId, DetectorId];
const S = 1_000_000_000n;
/** a → b → c, and a → c. */
const links: DetectorLink[] = [
  { destination: b, source: a, maxSeconds: 100 },
  { destination: c, source: b, maxSeconds: 200 },
  { destination: c, source: a, maxSeconds: 300 },
];
const byDestination = new Map([
  [b, links.filter((link) => link.destination === b)],
  [c, links.filter((link) => link.destination === c)],
]);
/** 1,000 s plus the link's maxSeconds. */
const lookback = (maxSeconds: number) => BigInt(1000 + maxSeconds) * S;
const mark = (detectorId: DetectorId, bucketSecond: number): LateSightings => ({
  detectorId,
  from: BigInt(bucketSecond) * S,
  to: BigInt(bucketSecond + 100) * S,
  version: 'v',
});
const shape = (ranges: ReturnType<typeof rangesForLateSightings>) =>
  ranges.map(({ destination, sources, from, to, origin }) => ({ destination, sources, from, to, origin }));

describe('rangesForLateSightings', () => {
  it('gives each destination the interval ends whose lookback reaches the late bucket', () => {
    const ranges = rangesForLateSightings([mark(b, 10_000)], byDestination, lookback, 1_000_000n * S);
    expect(shape(ranges)).toEqual([
      // b as a destination: every link into b, up to its lookback past the bucket.
      {
        destination: b,
        sources: undefined,
        from: 10_000n * S + 1n,
        to: 11_100n * S,
        origin: 'late_sightings',
      },
      // b as the source of b → c: that link only, up to the lookback with its maxSeconds.
      { destination: c, sources: [b], from: 10_000n * S + 1n, to: 11_300n * S, origin: 'late_sightings' },
    ]);
  });

  it('merges overlapping buckets per destination, joining their sources, and stops at lastDue', () => {
    const marks = [mark(a, 10_000), mark(a, 10_100), mark(b, 10_500), mark(a, 50_000)];
    const ranges = rangesForLateSightings(marks, byDestination, lookback, 20_000n * S);
    // a's two buckets and b's overlap at b (b's own sightings: every link); the bucket at
    // 50,000 s lies after lastDue, where nothing is estimated yet.
    expect(shape(ranges)).toEqual([
      {
        destination: b,
        sources: undefined,
        from: 10_000n * S + 1n,
        to: 11_600n * S,
        origin: 'late_sightings',
      },
      { destination: c, sources: [a, b], from: 10_000n * S + 1n, to: 11_800n * S, origin: 'late_sightings' },
    ]);
    expect(new Set(ranges.map((range) => range.id)).size).toBe(ranges.length);
  });

  it('stops at lastDue: later interval ends are not estimated yet, and will see the sightings', () => {
    const ranges = rangesForLateSightings([mark(b, 10_000)], byDestination, lookback, 10_500n * S);
    expect(shape(ranges).map(({ to }) => to)).toEqual([10_500n * S + 1n, 10_500n * S + 1n]);
    expect(rangesForLateSightings([mark(b, 10_000)], byDestination, lookback, 9_000n * S)).toEqual([]);
  });

  it('gives nothing for a detector on no link', () => {
    expect(
      rangesForLateSightings([mark(parseDetectorId('z'), 0)], byDestination, lookback, 10n ** 12n * S),
    ).toEqual([]);
  });
});

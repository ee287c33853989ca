import { describe, expect, it } from 'vitest';
import { at } from '../../test/synthetic-traffic';
import { matchPasses, type MatchOptions } from './pass-matching';
import type { Pass } from './passes';

const LAST_FIRST: MatchOptions = { maxSeconds: 1800, measure: 'last-first' };

function pass(deviceId: string, first: number, last = first, aliases: string[] = []): Pass {
  return { deviceId, aliases, first: at(first), last: at(last), count: 1 };
}

describe('matchPasses', () => {
  it('pairs each destination pass with the latest source pass that began before it', () => {
    const source = [pass('x', 0), pass('x', 500, 510), pass('x', 2000)];
    expect(matchPasses(source, [pass('x', 570)], LAST_FIRST)).toEqual([
      { deviceId: 'x', sourceTime: at(510), destinationTime: at(570), travelSeconds: 60 },
    ]);
  });

  it('measures last-first or first-first', () => {
    const source = [pass('x', 0, 20)];
    const destination = [pass('x', 100, 130)];
    expect(matchPasses(source, destination, LAST_FIRST)[0]?.travelSeconds).toBe(80);
    expect(matchPasses(source, destination, { maxSeconds: 1800, measure: 'first-first' })).toEqual([
      { deviceId: 'x', sourceTime: at(0), destinationTime: at(100), travelSeconds: 100 },
    ]);
  });

  it('measures middle-middle from the middle of each pass, first-first where the middles are not in order', () => {
    const middle = { maxSeconds: 1800, measure: 'middle-middle' } as const;
    expect(matchPasses([pass('x', 0, 20)], [pass('x', 100, 130)], middle)).toEqual([
      { deviceId: 'x', sourceTime: at(10), destinationTime: at(100), travelSeconds: 105 },
    ]);
    // Lingering 200 s around the source while passing the destination in 2 s.
    expect(matchPasses([pass('x', 0, 200)], [pass('x', 50, 52)], middle)).toEqual([
      { deviceId: 'x', sourceTime: at(0), destinationTime: at(50), travelSeconds: 50 },
    ]);
  });

  it('keeps travel times > 0 and ≤ maxSeconds, to the nanosecond', () => {
    const options = { maxSeconds: 600, measure: 'first-first' } as const;
    expect(matchPasses([pass('x', 100)], [pass('x', 100)], options)).toEqual([]);
    expect(matchPasses([pass('x', 100)], [pass('x', 100.000000001)], options)).toEqual([
      { deviceId: 'x', sourceTime: at(100), destinationTime: at(100.000000001), travelSeconds: 1e-9 },
    ]);
    expect(matchPasses([pass('x', 0)], [pass('x', 600)], options)[0]?.travelSeconds).toBe(600);
    expect(matchPasses([pass('x', 0)], [pass('x', 600.000000001)], options)).toEqual([]);
  });

  it('gives a device lingering at the destination one sample: the source pass is consumed', () => {
    const samples = matchPasses([pass('x', 0)], [pass('x', 60), pass('x', 400), pass('x', 900)], LAST_FIRST);
    expect(samples).toEqual([
      { deviceId: 'x', sourceTime: at(0), destinationTime: at(60), travelSeconds: 60 },
    ]);
  });

  it('does not fall back to an older source pass once the latest one is consumed', () => {
    const samples = matchPasses([pass('x', 0), pass('x', 100)], [pass('x', 160), pass('x', 500)], LAST_FIRST);
    expect(samples.map((sample) => sample.travelSeconds)).toEqual([60]);
  });

  it('measures last-first as first-first when the destination saw the device before its last source sighting', () => {
    // Overlapping reader ranges: the source still reads the device at 105 and 112, after
    // the destination's first read at 104; last-first would be −8 s and thrown away.
    expect(matchPasses([pass('x', 90, 112)], [pass('x', 104, 120)], LAST_FIRST)).toEqual([
      { deviceId: 'x', sourceTime: at(90), destinationTime: at(104), travelSeconds: 14 },
    ]);
    // At the very instant of the last source sighting, too.
    expect(matchPasses([pass('x', 90, 104)], [pass('x', 104)], LAST_FIRST)[0]?.travelSeconds).toBe(14);
    // Without overlap, last-first as configured.
    expect(matchPasses([pass('x', 90, 100)], [pass('x', 104)], LAST_FIRST)[0]?.travelSeconds).toBe(4);
  });

  it('gives a detour one long sample', () => {
    expect(matchPasses([pass('x', 0)], [pass('x', 1500)], LAST_FIRST)).toEqual([
      { deviceId: 'x', sourceTime: at(0), destinationTime: at(1500), travelSeconds: 1500 },
    ]);
  });

  it('gives a round trip one sample per passage', () => {
    const source = [pass('x', 0), pass('x', 3600)];
    const destination = [pass('x', 300), pass('x', 3900)];
    expect(matchPasses(source, destination, LAST_FIRST).map((sample) => sample.travelSeconds)).toEqual([
      300, 300,
    ]);
  });

  it('matches on any shared identity, across a pseudonym rotation', () => {
    // Left before the boundary under 'old', arrived in the overlap as 'new' (previous 'old').
    expect(matchPasses([pass('old', 0)], [pass('new', 300, 300, ['old'])], LAST_FIRST)).toEqual([
      { deviceId: 'new', sourceTime: at(0), destinationTime: at(300), travelSeconds: 300 },
    ]);
    // Left in the overlap (both), arrived after it under 'new' only.
    expect(matchPasses([pass('new', 0, 0, ['old'])], [pass('new', 300)], LAST_FIRST)).toHaveLength(1);
    // Without the overlap there is nothing to match on.
    expect(matchPasses([pass('old', 0)], [pass('new', 300)], LAST_FIRST)).toEqual([]);
  });

  it('never pairs different devices, and orders samples by destination time then device', () => {
    const source = [pass('b', 0), pass('a', 10), pass('c', 20)];
    const destination = [pass('c', 300), pass('a', 200), pass('b', 200), pass('d', 250)];
    expect(matchPasses(source, destination, LAST_FIRST)).toEqual([
      { deviceId: 'a', sourceTime: at(10), destinationTime: at(200), travelSeconds: 190 },
      { deviceId: 'b', sourceTime: at(0), destinationTime: at(200), travelSeconds: 200 },
      { deviceId: 'c', sourceTime: at(20), destinationTime: at(300), travelSeconds: 280 },
    ]);
  });

  it('refuses a maxSeconds that is not a positive number', () => {
    expect(() => matchPasses([], [], { maxSeconds: 0, measure: 'last-first' })).toThrow(
      new RangeError('maxSeconds must be a finite number > 0, got 0'),
    );
  });
});

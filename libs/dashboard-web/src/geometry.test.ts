import { describe, expect, it } from 'vitest';
import { linkKey, offsetSegment, parseLinkKey } from './geometry';

describe('offsetSegment', () => {
  it('moves a northbound link east (to its right) by the share of its length', () => {
    const [from, to] = offsetSegment([52, 5], [52.01, 5], 0.1);
    expect(from[0]).toBeCloseTo(52, 9);
    expect(to[0]).toBeCloseTo(52.01, 9);
    // 0.001 degrees of latitude is 0.001 / cos(52.005°) degrees of longitude.
    const east = 0.001 / Math.cos((52.005 * Math.PI) / 180);
    expect(from[1]).toBeCloseTo(5 + east, 9);
    expect(to[1]).toBeCloseTo(5 + east, 9);
  });

  it('draws A→B and B→A on opposite sides of the road', () => {
    const there = offsetSegment([52, 5], [52, 5.02]);
    const back = offsetSegment([52, 5.02], [52, 5]);
    // Eastbound is pushed south, westbound north, by the same distance.
    expect(there[0][0]).toBeLessThan(52);
    expect(back[0][0]).toBeGreaterThan(52);
    expect(52 - there[0][0]).toBeCloseTo(back[0][0] - 52, 12);
    expect(there[0][1]).toBeCloseTo(5, 12);
  });

  it('leaves a zero-length link where it is', () => {
    expect(offsetSegment([52, 5], [52, 5])).toEqual([
      [52, 5],
      [52, 5],
    ]);
  });
});

describe('link keys', () => {
  it('round-trip through the map focus parameter', () => {
    expect(linkKey('A', 'B')).toBe('A>B');
    expect(parseLinkKey('A>B')).toEqual({ source: 'A', destination: 'B' });
    expect(parseLinkKey('A>')).toBeUndefined();
    expect(parseLinkKey('AB')).toBeUndefined();
  });
});

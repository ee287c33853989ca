import { describe, expect, it } from 'vitest';
import { linkKey, offsetSegment, parseLinkKey } from './geometry';

describe('offsetSegment', () => {
  it('moves a link heading east (on screen) down, to its right, by the offset', () => {
    expect(offsetSegment({ x: 0, y: 0 }, { x: 100, y: 0 }, 4)).toEqual([
      { x: 0, y: 4 },
      { x: 100, y: 4 },
    ]);
  });

  it('draws A→B and B→A on opposite sides of the road, the same distance off', () => {
    const a = { x: 10, y: 20 };
    const b = { x: 40, y: 60 };
    const [there] = offsetSegment(a, b, 5);
    const [, backAtA] = offsetSegment(b, a, 5);
    // The segment is 30 × 40 (length 50): the right of its direction is (-0.8, 0.6).
    expect(there.x).toBeCloseTo(6, 12);
    expect(there.y).toBeCloseTo(23, 12);
    expect(backAtA.x).toBeCloseTo(14, 12);
    expect(backAtA.y).toBeCloseTo(17, 12);
  });

  it('leaves a zero-length link where it is', () => {
    expect(offsetSegment({ x: 3, y: 3 }, { x: 3, y: 3 })).toEqual([
      { x: 3, y: 3 },
      { x: 3, y: 3 },
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

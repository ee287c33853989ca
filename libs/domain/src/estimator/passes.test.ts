import { describe, expect, it } from 'vitest';
import { at, DESTINATION, SOURCE } from '../../test/synthetic-traffic';
import { collapsePasses } from './passes';
import type { Sighting } from '../sighting';

function seen(deviceId: string, seconds: number, previousDeviceId?: string): Sighting {
  const sighting = { detectorId: SOURCE, deviceId, time: at(seconds) };
  return previousDeviceId === undefined ? sighting : { ...sighting, previousDeviceId };
}

describe('collapsePasses', () => {
  it('joins sightings with gaps under passGapSeconds; a gap of exactly the limit starts a new pass', () => {
    const sightings = [
      seen('x', 0),
      seen('x', 119.999999999),
      seen('x', 239.999999998),
      seen('x', 359.999999998),
    ];
    expect(collapsePasses(sightings, 120)).toEqual([
      { deviceId: 'x', aliases: [], first: at(0), last: at(239.999999998), count: 3 },
      { deviceId: 'x', aliases: [], first: at(359.999999998), last: at(359.999999998), count: 1 },
    ]);
    expect(collapsePasses([seen('x', 0), seen('x', 120)], 120)).toEqual([
      { deviceId: 'x', aliases: [], first: at(0), last: at(0), count: 1 },
      { deviceId: 'x', aliases: [], first: at(120), last: at(120), count: 1 },
    ]);
  });

  it('takes sightings in any order and sorts passes by first sighting, then deviceId', () => {
    const ordered = [seen('b', 10), seen('a', 10), seen('a', 20), seen('c', 5), seen('b', 400)];
    const expected = [
      { deviceId: 'c', aliases: [], first: at(5), last: at(5), count: 1 },
      { deviceId: 'a', aliases: [], first: at(10), last: at(20), count: 2 },
      { deviceId: 'b', aliases: [], first: at(10), last: at(10), count: 1 },
      { deviceId: 'b', aliases: [], first: at(400), last: at(400), count: 1 },
    ];
    expect(collapsePasses(ordered, 120)).toEqual(expected);
    expect(collapsePasses([...ordered].reverse(), 120)).toEqual(expected);
    expect(collapsePasses([ordered[4]!, ordered[0]!, ordered[3]!, ordered[2]!, ordered[1]!], 120)).toEqual(
      expected,
    );
  });

  it('keeps one pass across a pseudonym rotation: the newest pseudonym is the deviceId, older ones aliases', () => {
    // 'old' just before the boundary; in the overlap after it the collector stores both.
    const sightings = [seen('new', 5, 'old'), seen('old', -10), seen('new', 30, 'old')];
    expect(collapsePasses(sightings, 120)).toEqual([
      { deviceId: 'new', aliases: ['old'], first: at(-10), last: at(30), count: 3 },
    ]);
  });

  it('gives each pass only the identities seen in it', () => {
    const sightings = [seen('old', 0), seen('new', 1000, 'old'), seen('new', 5000)];
    expect(collapsePasses(sightings, 120)).toEqual([
      { deviceId: 'old', aliases: [], first: at(0), last: at(0), count: 1 },
      { deviceId: 'new', aliases: ['old'], first: at(1000), last: at(1000), count: 1 },
      { deviceId: 'new', aliases: [], first: at(5000), last: at(5000), count: 1 },
    ]);
  });

  it('returns no passes for no sightings', () => {
    expect(collapsePasses([], 120)).toEqual([]);
  });

  it('refuses sightings of several detectors and a gap that is not a positive number', () => {
    const mixed = [seen('x', 0), { detectorId: DESTINATION, deviceId: 'x', time: at(1) }];
    expect(() => collapsePasses(mixed, 120)).toThrow(
      new RangeError(
        'sightings[1].detectorId is "det-B" but sightings[0].detectorId is "det-A"; passes are collapsed per detector',
      ),
    );
    expect(() => collapsePasses([], 0)).toThrow(
      new RangeError('passGapSeconds must be a finite number > 0, got 0'),
    );
    expect(() => collapsePasses([], Number.NaN)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { closestName } from './closest-name';

describe('closestName', () => {
  const commands = ['events', 'health', 'links list', 'links set', 'traffic', 'traveltimes'];

  it('finds the command a typo meant', () => {
    expect(closestName('evnts', commands)).toBe('events');
    expect(closestName('links lst', commands)).toBe('links list');
    expect(closestName('travletimes', commands)).toBe('traveltimes');
  });

  it('suggests nothing for a word that is not near any command', () => {
    expect(closestName('frobnicate', commands)).toBeUndefined();
    expect(closestName('links frob', commands)).toBeUndefined();
  });

  it('prefers the nearest of several close candidates', () => {
    expect(closestName('colector_host', ['collector_host', 'query_host'])).toBe('collector_host');
  });
});

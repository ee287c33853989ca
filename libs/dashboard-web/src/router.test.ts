import { describe, expect, it } from 'vitest';
import { linkHref, parseHash, routeHref } from './router';

describe('router', () => {
  it('reads the page and its query from the hash', () => {
    const route = parseHash('#/link?source=A%201&destination=B');
    expect(route.page).toBe('link');
    expect(route.params.get('source')).toBe('A 1');
    expect(route.params.get('destination')).toBe('B');
    expect(parseHash('#/detectors').page).toBe('detectors');
  });

  it('falls back to the map', () => {
    expect(parseHash('').page).toBe('map');
    expect(parseHash('#/nowhere?x=1').page).toBe('map');
  });

  it('builds detail hrefs that read back', () => {
    expect(parseHash(linkHref('A&1', 'B')).params.get('source')).toBe('A&1');
    expect(parseHash(routeHref('ring north')).params.get('name')).toBe('ring north');
  });
});

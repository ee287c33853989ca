import { describe, expect, it } from 'vitest';
import { inRange, presetRange, seriesQuery, targetFromParams } from './series-query';

// vitest.config.ts runs these in Europe/Helsinki (UTC+2 in December).
const NOW = Date.parse('2026-12-07T10:15:00.000Z');

describe('series query', () => {
  it('builds the same query for the series and its CSV, escaping ids', () => {
    const range = presetRange('3h', NOW);
    expect(seriesQuery({ kind: 'link', source: 'A 1', destination: 'B&2' }, range)).toBe(
      'source=A+1&destination=B%262&after=2026-12-07T07%3A15%3A00.000Z&before=2026-12-07T10%3A15%3A00.000Z',
    );
    expect(seriesQuery({ kind: 'route', name: 'ring/north' }, range)).toBe(
      'route=ring%2Fnorth&after=2026-12-07T07%3A15%3A00.000Z&before=2026-12-07T10%3A15%3A00.000Z',
    );
  });

  it('reads presets at now; today starts at local midnight', () => {
    expect(presetRange('24h', NOW)).toEqual({ afterMs: NOW - 86_400_000, beforeMs: NOW, live: true });
    expect(presetRange('today', NOW)).toEqual({
      afterMs: Date.parse('2026-12-06T22:00:00.000Z'),
      beforeMs: NOW,
      live: true,
    });
  });

  it('takes live estimates after a preset range but not after a fixed one', () => {
    const live = presetRange('3h', NOW);
    const fixed = { ...live, live: false };
    expect(inRange(live, NOW + 60_000)).toBe(true);
    expect(inRange(fixed, NOW + 60_000)).toBe(false);
    expect(inRange(fixed, NOW)).toBe(true);
    expect(inRange(live, live.afterMs - 1)).toBe(false);
  });

  it('reads a detail route target from its hash query', () => {
    expect(targetFromParams('link', new URLSearchParams('source=A&destination=B'))).toEqual({
      kind: 'link',
      source: 'A',
      destination: 'B',
    });
    expect(targetFromParams('route', new URLSearchParams('name=R1'))).toEqual({ kind: 'route', name: 'R1' });
    expect(targetFromParams('link', new URLSearchParams('source=A'))).toBeUndefined();
    expect(targetFromParams('route', new URLSearchParams(''))).toBeUndefined();
  });
});

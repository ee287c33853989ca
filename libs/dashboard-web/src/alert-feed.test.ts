import { describe, expect, it } from 'vitest';
import type { AlertView } from './api';
import { mapHrefFor, matchesFilters, mergeAlerts, subjectText } from './alert-feed';
import { parseHash } from './router';

function alert(id: string, fields: Partial<AlertView> = {}): AlertView {
  return {
    id,
    kind: 'congestion',
    severity: 'warning',
    start: '2026-12-07T10:00:00.000Z',
    subject: { link: { source: 'A', destination: 'B' } },
    evidence: 'travel time 2.1× typical',
    figures: {},
    ...fields,
  };
}

describe('alert feed', () => {
  it('filters by least severity and by kind', () => {
    const warning = alert('1');
    const info = alert('2', { severity: 'info', kind: 'battery_low' });
    expect(matchesFilters(warning, 'all', 'all')).toBe(true);
    expect(matchesFilters(warning, 'info', 'all')).toBe(true);
    expect(matchesFilters(warning, 'critical', 'all')).toBe(false);
    expect(matchesFilters(info, 'warning', 'all')).toBe(false);
    expect(matchesFilters(info, 'all', 'battery_low')).toBe(true);
    expect(matchesFilters(info, 'all', 'congestion')).toBe(false);
  });

  it('keeps the later version of an alert and orders newest first', () => {
    const open = alert('1', { updated: '2026-12-07T10:01:00.000Z' });
    const cleared = alert('1', { end: '2026-12-07T10:20:00.000Z', updated: '2026-12-07T10:20:00.000Z' });
    const newer = alert('2', { start: '2026-12-07T10:30:00.000Z' });
    expect(mergeAlerts([cleared], [open, newer])).toEqual([newer, cleared]);
    expect(mergeAlerts([open], [cleared])).toEqual([cleared]);
  });

  it('links each subject to the map focus the map page reads', () => {
    const link = mapHrefFor(alert('1', { subject: { link: { source: 'A>1', destination: 'B' } } }));
    expect(link).toBe('#/map?link=A%3E1%3EB');
    expect(parseHash(link!).params.get('link')).toBe('A>1>B');
    expect(mapHrefFor(alert('1', { subject: { route: 'ring north' } }))).toBe('#/map?route=ring%20north');
    expect(mapHrefFor(alert('1', { subject: { detector: 'D7' } }))).toBe('#/map?detector=D7');
    expect(mapHrefFor(alert('1', { subject: {} }))).toBeUndefined();
    expect(subjectText(alert('1'))).toBe('A → B');
  });
});

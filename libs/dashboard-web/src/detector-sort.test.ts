import { describe, expect, it } from 'vitest';
import type { DetectorView } from './api';
import { nextSort, sortDetectors } from './detector-sort';

const detectors: DetectorView[] = [
  {
    id: 'D2',
    lastSeen: '2026-12-07T10:00:00.000Z',
    batteryVolts: 12.1,
    clockSkewSeconds: -3,
    problems: [],
    checkedAt: '2026-12-07T10:05:00.000Z',
    detectionCount: 40,
  },
  {
    id: 'D1',
    lastSeen: '2026-12-07T09:00:00.000Z',
    batteryVolts: 11.2,
    clockSkewSeconds: 1,
    problems: ['battery_low'],
  },
  { id: 'D3', problems: [], detectionCount: 7 },
];

function ids(column: Parameters<typeof sortDetectors>[1]['column'], descending = false): string[] {
  return sortDetectors(detectors, { column, descending }).map((detector) => detector.id);
}

describe('sortDetectors', () => {
  it('sorts by each column, both ways', () => {
    expect(ids('id')).toEqual(['D1', 'D2', 'D3']);
    expect(ids('id', true)).toEqual(['D3', 'D2', 'D1']);
    expect(ids('battery')).toEqual(['D1', 'D2', 'D3']);
    expect(ids('battery', true)).toEqual(['D2', 'D1', 'D3']);
    // Problems, then not checked yet, then ok.
    expect(ids('health')).toEqual(['D1', 'D3', 'D2']);
    expect(ids('count', true)).toEqual(['D2', 'D3', 'D1']);
  });

  it('puts missing values last in either direction', () => {
    expect(ids('last-seen')).toEqual(['D1', 'D2', 'D3']);
    expect(ids('last-seen', true)).toEqual(['D2', 'D1', 'D3']);
  });

  it('sorts clock skew by its size, not its sign', () => {
    expect(ids('clock-skew', true)).toEqual(['D2', 'D1', 'D3']);
  });

  it('does not change its input', () => {
    sortDetectors(detectors, { column: 'id', descending: false });
    expect(detectors.map((detector) => detector.id)).toEqual(['D2', 'D1', 'D3']);
  });
});

describe('nextSort', () => {
  it('flips the same column and starts another ascending', () => {
    expect(nextSort({ column: 'id', descending: false }, 'id')).toEqual({ column: 'id', descending: true });
    expect(nextSort({ column: 'id', descending: true }, 'battery')).toEqual({
      column: 'battery',
      descending: false,
    });
  });
});

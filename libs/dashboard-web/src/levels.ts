import type { CongestionLevel } from './api';

/**
 * The colour the map draws each congestion level in: green to red as a road slows, grey
 * when there is no level. The browser tests compare the map's strokes with these.
 */
export const LEVEL_COLOURS: Readonly<Record<CongestionLevel, string>> = {
  free: '#2e7d32',
  moderate: '#f9a825',
  heavy: '#ef6c00',
  severe: '#c62828',
  unknown: '#9e9e9e',
};

export function levelColour(level: CongestionLevel): string {
  return LEVEL_COLOURS[level];
}

import type { CongestionLevel, DetectorView, EstimateView, LinkView, NetworkSnapshot } from '@message-bus/dashboard-web';

/** Detectors on a grid this many columns wide, about 500 m apart. */
const GRID_COLUMNS = 20;
const STEP_DEGREES = 0.0045;
const LEVELS: readonly CongestionLevel[] = ['free', 'moderate', 'heavy', 'severe'];

/**
 * A snapshot of `detectorCount` detectors on a grid and `linkCount` links between grid
 * neighbours (east, then south), each with a latest estimate, no routes and no alerts:
 * the page's first screen at a given size, without a server behind it.
 */
export function syntheticNetwork(detectorCount: number, linkCount: number, generatedAt: Date): NetworkSnapshot {
  const at = generatedAt.toISOString();
  const detectors: DetectorView[] = Array.from({ length: detectorCount }, (_, index) => ({
    id: detectorName(index),
    latitude: 52 - Math.floor(index / GRID_COLUMNS) * STEP_DEGREES,
    longitude: 5 + (index % GRID_COLUMNS) * STEP_DEGREES * 1.6,
    lastSeen: at,
    batteryVolts: 12.9,
    problems: [],
    detectionCount: 100 + (index % 50),
  }));
  const pairs: [number, number][] = [];
  for (let index = 0; index < detectorCount; index += 1) {
    if ((index + 1) % GRID_COLUMNS !== 0 && index + 1 < detectorCount) pairs.push([index, index + 1]);
  }
  for (let index = 0; index + GRID_COLUMNS < detectorCount; index += 1) pairs.push([index, index + GRID_COLUMNS]);
  if (pairs.length < linkCount) throw new Error(`${detectorCount} detectors give only ${pairs.length} links`);
  const links: LinkView[] = pairs.slice(0, linkCount).map(([source, destination], index) => ({
    source: detectorName(source),
    destination: detectorName(destination),
    maxSeconds: 600,
    latest: estimate(at, LEVELS[index % LEVELS.length]!, 60 + (index % 30)),
  }));
  return { generatedAt: at, login: false, detectors, links, routes: [], alerts: [] };
}

/** An `ok` estimate at `level`, `seconds` long, ending at `intervalEnd`. */
export function estimate(intervalEnd: string, level: CongestionLevel, seconds: number): EstimateView {
  return {
    intervalEnd,
    windowSeconds: 900,
    medianSeconds: seconds,
    p15Seconds: seconds * 0.9,
    p85Seconds: seconds * 1.1,
    validSamples: 12,
    totalSamples: 13,
    status: 'ok',
    level,
    typicalSeconds: 60,
    ratioToTypical: seconds / 60,
  };
}

function detectorName(index: number): string {
  return `det-${String(index + 1).padStart(3, '0')}`;
}

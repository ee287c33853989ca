import {
  coordinatesToDegrees,
  distanceMeters,
  NANOS_PER_SECOND,
  percentile,
  type UnixNanos,
} from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from './builtin-scenarios';
import { corridorScenario, DEFAULT_CORRIDOR_OPTIONS } from './corridor';
import { groundTruth } from './ground-truth';
import { simulate, type SimulatedSighting } from './simulate';

const START: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n;

describe('corridorScenario', () => {
  const scenario = corridorScenario();

  it('has 12 detectors along a motorway east of Utrecht, 1.8 to 3.2 km apart', () => {
    expect(scenario.detectors.map((detector) => detector.id)).toEqual([
      'D01',
      'D02',
      'D03',
      'D04',
      'D05',
      'D06',
      'D07',
      'D08',
      'D09',
      'D10',
      'D11',
      'D12',
    ]);
    for (const detector of scenario.detectors) {
      const { latitude, longitude } = coordinatesToDegrees(detector.coordinates);
      expect(latitude).toBeGreaterThan(51.9);
      expect(latitude).toBeLessThan(52.1);
      expect(longitude).toBeGreaterThan(5.17);
      expect(longitude).toBeLessThan(5.6);
    }
    for (const segment of scenario.segments) {
      const from = scenario.detectors.find((detector) => detector.id === segment.from);
      const to = scenario.detectors.find((detector) => detector.id === segment.to);
      const straight = distanceMeters(from!.coordinates, to!.coordinates);
      expect(straight).toBeGreaterThan(1790);
      expect(straight).toBeLessThan(3210);
      // The road winds a little: 3 % longer than the straight line.
      expect(segment.lengthMeters! / straight).toBeCloseTo(1.03, 2);
    }
  });

  it('links consecutive detectors plus three skip links, each with room for jams', () => {
    expect(scenario.links.map((link) => `${link.source}→${link.destination}`)).toEqual([
      'D01→D02',
      'D02→D03',
      'D03→D04',
      'D04→D05',
      'D05→D06',
      'D06→D07',
      'D07→D08',
      'D08→D09',
      'D09→D10',
      'D10→D11',
      'D11→D12',
      'D02→D04',
      'D06→D08',
      'D10→D12',
    ]);
    const truth = groundTruth(scenario);
    for (const link of truth.links) {
      expect(link.maxSeconds).toBeGreaterThanOrEqual(10 * link.freeFlowSeconds);
      expect(link.maxSeconds).toBeLessThan(10 * link.freeFlowSeconds + 60);
      expect(link.distanceMeters).toBe(link.roadMeters);
    }
  });

  it('builds a 100-link network for benchmarks', () => {
    const network = corridorScenario({ detectorCount: 101, skipLinks: false });
    expect(network.links).toHaveLength(100);
    expect(network.detectors[100]?.id).toBe('D101');
    expect(groundTruth(network).links).toHaveLength(100);
  });

  it('rejects a detector count it cannot build', () => {
    expect(() => corridorScenario({ detectorCount: 1 })).toThrow(
      'detectorCount: is 1; a corridor has 2 to 999 detectors',
    );
  });

  it('is available by name', () => {
    expect(BUILTIN_SCENARIOS['corridor']?.()).toEqual(scenario);
  });

  it('gives a median of 5 matches per link per 15 minutes off-peak (10:00–14:00 UTC)', () => {
    const { sightings, truth } = simulate(scenario, { seed: 7, start: START, durationSeconds: 86_400 });
    const quarter = 900n * NANOS_PER_SECOND;
    const offPeakFrom = START + 10n * 3600n * NANOS_PER_SECOND;
    const offPeakTo = START + 14n * 3600n * NANOS_PER_SECOND;
    const counts: number[] = [];
    for (const link of truth.links) {
      const lastAtSource = latestSighting(sightings, link.source);
      const firstAtDestination = earliestSighting(sightings, link.destination);
      const perQuarter = new Array<number>(16).fill(0);
      for (const [device, arrival] of firstAtDestination) {
        const departure = lastAtSource.get(device);
        if (departure === undefined || arrival < offPeakFrom || arrival >= offPeakTo) continue;
        const travel = Number(arrival - departure) / Number(NANOS_PER_SECOND);
        if (travel <= 0 || travel > link.maxSeconds) continue;
        const bin = Number((arrival - offPeakFrom) / quarter);
        perQuarter[bin] = (perQuarter[bin] ?? 0) + 1;
      }
      counts.push(...perQuarter);
    }
    expect(counts).toHaveLength(14 * 16);
    expect(percentile(counts, 0.5)).toBe(5);
    // Thin data is the normal case: a fair share of quarters has fewer than 3 matches.
    const thin = counts.filter((count) => count < 3).length / counts.length;
    expect(thin).toBeGreaterThan(0.05);
    expect(thin).toBeLessThan(0.3);
  });

  it('carries the issue defaults: 5 % detected, 15 % stopping or detouring', () => {
    expect(scenario.detection.share).toBe(DEFAULT_CORRIDOR_OPTIONS.detectionShare);
    expect(scenario.detection.share).toBe(0.05);
    expect(scenario.stops).toEqual({ share: 0.15, minDelaySeconds: 120, maxDelaySeconds: 1200 });
  });
});

/** Each device's latest sighting time at a detector. */
function latestSighting(sightings: readonly SimulatedSighting[], detector: string): Map<string, bigint> {
  const latest = new Map<string, bigint>();
  for (const sighting of sightings) {
    if (sighting.detectorId === detector) latest.set(sighting.rawDeviceId, sighting.time);
  }
  return latest;
}

/** Each device's earliest sighting time at a detector. */
function earliestSighting(sightings: readonly SimulatedSighting[], detector: string): Map<string, bigint> {
  const earliest = new Map<string, bigint>();
  for (const sighting of sightings) {
    if (sighting.detectorId === detector && !earliest.has(sighting.rawDeviceId)) {
      earliest.set(sighting.rawDeviceId, sighting.time);
    }
  }
  return earliest;
}

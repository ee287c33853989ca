import type { UnixNanos } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from './builtin-scenarios';
import { signalledMedianSeconds, signalWaitSeconds } from './ground-truth';
import { simulate } from './simulate';
import { urbanGridScenario } from './urban-grid';

const START: UnixNanos = BigInt(Date.UTC(2026, 10, 30, 10)) * 1_000_000n;

describe('urbanGridScenario', () => {
  const scenario = urbanGridScenario();
  const simulation = simulate(scenario, { seed: 7, start: START, durationSeconds: 3600 });

  it('has 48 short links (4 × 4 intersections, both directions) with true times under 30 s off-peak', () => {
    expect(BUILTIN_SCENARIOS['urban-grid']?.()).toEqual(scenario);
    expect(simulation.truth.links).toHaveLength(48);
    for (const link of simulation.truth.links) {
      expect(link.roadMeters).toBeGreaterThanOrEqual(100);
      expect(link.roadMeters).toBeLessThanOrEqual(250);
      expect(simulation.truth.travelSecondsArrivingAt(link, START)).toBeLessThan(30);
    }
  });

  it('reads devices at the destination while they are still in range of the source', () => {
    // Sightings of one device at the two ends of its first block, interleaved in time.
    const byDevice = new Map<string, { detectorId: string; time: bigint }[]>();
    for (const sighting of simulation.sightings) {
      const list = byDevice.get(sighting.rawDeviceId) ?? [];
      list.push(sighting);
      byDevice.set(sighting.rawDeviceId, list);
    }
    let overlapping = 0;
    for (const sightings of byDevice.values()) {
      const detectors = sightings.map((sighting) => sighting.detectorId);
      const [first] = detectors;
      const second = detectors.find((detector) => detector !== first);
      const lastAtFirst = detectors.lastIndexOf(first as string);
      if (second !== undefined && detectors.indexOf(second) < lastAtFirst) overlapping += 1;
    }
    expect(overlapping).toBeGreaterThan(0);
  });
});

describe('signals', () => {
  const signal = { cycleSeconds: 60, greenSeconds: 36 };

  it('let a vehicle through on green and hold it for the rest of the red otherwise', () => {
    expect(signalWaitSeconds(signal, 0)).toBe(0);
    expect(signalWaitSeconds(signal, 0.59)).toBe(0);
    expect(signalWaitSeconds(signal, 0.75)).toBeCloseTo(9, 9);
  });

  it('give the median vehicle: among the green ones with g > 0.5, a red waiter below', () => {
    // Without spread, 60 % catch the green: the median vehicle drives straight through.
    expect(signalledMedianSeconds(20, signal, 0)).toBeCloseTo(20, 6);
    // A green of 20 s in 60: the median vehicle waits (0.5 − 1/3) × 60 = 10 s.
    expect(signalledMedianSeconds(20, { cycleSeconds: 60, greenSeconds: 20 }, 0)).toBeCloseTo(30, 6);
    // With spread: 0.6 × Φ(ln(t / 20) / 0.08) + 0.4 × (t − 20) / 24 = 0.5 at t ≈ 21.365
    // (Φ(0.825) ≈ 0.795), below the green vehicles' own 0.5 / 0.6 quantile (21.61 s).
    expect(signalledMedianSeconds(20, signal, 0.08)).toBeCloseTo(21.365, 2);
  });
});

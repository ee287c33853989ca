import {
  coordinatesFromDegrees,
  NANOS_PER_SECOND,
  parseDetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { corridorScenario } from './corridor';
import type { Scenario } from './scenario';
import { simulate, type SimulatedSighting } from './simulate';

const START: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n;
const SECOND = NANOS_PER_SECOND;

/** Three detectors 2.5 km apart, 3000 vehicles/h all day, no jams: statistics come quickly. */
function lineScenario(overrides: Partial<Scenario> = {}): Scenario {
  const [a, b, c] = ['A', 'B', 'C'].map((id) => parseDetectorId(id)) as [
    ReturnType<typeof parseDetectorId>,
    ReturnType<typeof parseDetectorId>,
    ReturnType<typeof parseDetectorId>,
  ];
  return {
    name: 'line',
    detectors: [
      { id: a, coordinates: coordinatesFromDegrees(52, 5), clockSkewSeconds: 0 },
      { id: b, coordinates: coordinatesFromDegrees(52, 5.0365), clockSkewSeconds: 0 },
      { id: c, coordinates: coordinatesFromDegrees(52, 5.073), clockSkewSeconds: 0 },
    ],
    segments: [
      { from: a, to: b, lengthMeters: 2500, freeFlowKmh: 100, congestion: [] },
      { from: b, to: c, lengthMeters: 2500, freeFlowKmh: 100, congestion: [] },
    ],
    links: [
      { source: a, destination: b, maxSeconds: 1800 },
      { source: b, destination: c, maxSeconds: 1800 },
    ],
    flows: [{ path: [a, b, c], vehiclesPerHour: 3000 }],
    dailyProfile: new Array<number>(24).fill(1),
    detection: { share: 0.05, kindShares: { wifi: 0.4, bluetooth: 0.45, mobile: 0.15 } },
    sightingsPerPass: { min: 1, max: 3, dwellSeconds: 4 },
    stops: { share: 0.15, minDelaySeconds: 120, maxDelaySeconds: 1200 },
    travelTimeSpread: 0.06,
    ...overrides,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group === undefined) groups.set(key(item), [item]);
    else group.push(item);
  }
  return groups;
}

const seconds = (nanos: bigint): number => Number(nanos) / Number(SECOND);

describe('simulate', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const options = { start: START, durationSeconds: 2 * 3600 };
    const first = simulate(corridorScenario(), { ...options, seed: 11 });
    const again = simulate(corridorScenario(), { ...options, seed: 11 });
    const other = simulate(corridorScenario(), { ...options, seed: 12 });
    expect(first.sightings.length).toBeGreaterThan(100);
    expect(again.sightings).toEqual(first.sightings);
    expect(again.stats).toEqual(first.stats);
    expect(other.sightings).not.toEqual(first.sightings);
  });

  it('returns sightings sorted by time within [start, start + duration)', () => {
    const { sightings } = simulate(corridorScenario(), { seed: 3, start: START, durationSeconds: 3600 });
    for (let index = 1; index < sightings.length; index += 1) {
      expect(sightings[index]!.time >= sightings[index - 1]!.time).toBe(true);
    }
    expect(sightings[0]!.time >= START).toBe(true);
    expect(sightings[sightings.length - 1]!.time < START + 3600n * SECOND).toBe(true);
  });

  it('starts with the road already busy: vehicles enter during a warm-up before start', () => {
    const { sightings } = simulate(lineScenario(), { seed: 4, start: START, durationSeconds: 600 });
    const atEnd = sightings.filter((sighting) => sighting.detectorId === 'C');
    // The last detector is 180 s of driving from the entry (over 130 s even for the fastest
    // vehicle); without a warm-up it would see nobody in the first two minutes.
    expect(atEnd.filter((sighting) => sighting.time < START + 120n * SECOND).length).toBeGreaterThan(0);
  });

  it('detects the configured share of vehicles, on radios in the configured proportions', () => {
    const { stats, sightings } = simulate(lineScenario(), {
      seed: 5,
      start: START,
      durationSeconds: 6 * 3600,
    });
    expect(stats.vehicles).toBeGreaterThan(17_000);
    expect(stats.vehicles).toBeLessThan(19_000);
    expect(stats.detectedVehicles / stats.vehicles).toBeCloseTo(0.05, 2);
    const devices = groupBy(sightings, (sighting) => sighting.rawDeviceId);
    // Devices of the warm-up add a few to those entering during the span.
    expect(devices.size).toBeGreaterThanOrEqual(stats.detectedVehicles);
    expect(devices.size).toBeLessThan(stats.detectedVehicles * 1.02);
    const kinds = groupBy(
      [...devices.values()].map((seen) => seen[0]!),
      (sighting) => sighting.kind,
    );
    expect((kinds.get('wifi')?.length ?? 0) / devices.size).toBeCloseTo(0.4, 1);
    expect((kinds.get('bluetooth')?.length ?? 0) / devices.size).toBeCloseTo(0.45, 1);
    expect((kinds.get('mobile')?.length ?? 0) / devices.size).toBeCloseTo(0.15, 1);
  });

  it('gives devices identifiers shaped like the real ones', () => {
    const { sightings } = simulate(lineScenario(), { seed: 6, start: START, durationSeconds: 3600 });
    for (const sighting of sightings) {
      if (sighting.kind === 'mobile') {
        expect(sighting.rawDeviceId).toMatch(/^20408\d{10}$/);
        continue;
      }
      expect(sighting.rawDeviceId).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
      const firstByte = Number.parseInt(sighting.rawDeviceId.slice(0, 2), 16);
      // WiFi: randomised, locally administered (bit 1 set); Bluetooth: vendor-assigned; never multicast.
      expect(firstByte & 0x02).toBe(sighting.kind === 'wifi' ? 0x02 : 0);
      expect(firstByte & 0x01).toBe(0);
    }
  });

  it('sees a device 1 to 3 times per pass, within the dwell time, each count about equally often', () => {
    const { sightings } = simulate(
      lineScenario({ stops: { share: 0, minDelaySeconds: 120, maxDelaySeconds: 1200 } }),
      {
        seed: 7,
        start: START,
        durationSeconds: 6 * 3600,
      },
    );
    const passes = groupBy(sightings, (sighting) => `${sighting.rawDeviceId}@${sighting.detectorId}`);
    const counts = [0, 0, 0, 0];
    let mostInOnePass = 0;
    for (const pass of passes.values()) {
      counts[pass.length] = (counts[pass.length] ?? 0) + 1;
      mostInOnePass = Math.max(mostInOnePass, pass.length);
      const span = seconds(pass[pass.length - 1]!.time - pass[0]!.time);
      expect(span).toBeLessThanOrEqual(4);
    }
    expect(mostInOnePass).toBe(3);
    const total = passes.size;
    // Passes cut by the span's edges lose a sighting or two; there are very few of them.
    for (const count of counts.slice(1)) expect(count / total).toBeCloseTo(1 / 3, 1);
  });

  it("shifts each detector's sightings by its clock skew and nothing else", () => {
    const skewed = lineScenario();
    const withSkew: Scenario = {
      ...skewed,
      detectors: skewed.detectors.map((detector, index) => ({
        ...detector,
        clockSkewSeconds: [0, 2.5, -1.25][index]!,
      })),
    };
    const options = { seed: 8, start: START, durationSeconds: 3 * 3600 };
    const plain = simulate(skewed, options).sightings;
    const shifted = simulate(withSkew, options).sightings;
    const key = (sighting: SimulatedSighting) => `${sighting.rawDeviceId}@${sighting.detectorId}`;
    const plainPasses = groupBy(plain, key);
    let compared = 0;
    for (const [pass, seen] of groupBy(shifted, key)) {
      const original = plainPasses.get(pass);
      // Skip passes at the span's edges, where a skew moves sightings in or out.
      if (original === undefined || original.length !== seen.length || seen[0]!.time < START + 60n * SECOND)
        continue;
      const skew = { A: 0, B: 2.5, C: -1.25 }[seen[0]!.detectorId as 'A' | 'B' | 'C'];
      seen.forEach((sighting, index) => {
        expect(seconds(sighting.time - original[index]!.time)).toBeCloseTo(skew, 2);
      });
      compared += 1;
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('makes the configured share of traversals stop or detour, arriving 2–20 minutes late', () => {
    const scenario = lineScenario();
    const { sightings, stats, truth } = simulate(scenario, {
      seed: 9,
      start: START,
      durationSeconds: 6 * 3600,
    });
    expect(stats.traversals).toBeGreaterThan(1500);
    expect(Math.abs(stats.stoppedTraversals / stats.traversals - 0.15)).toBeLessThan(0.03);
    // Seen from the data: the mean pass time at A and at B of each device.
    const link = truth.links[0]!;
    const passTimes = groupBy(sightings, (sighting) => `${sighting.rawDeviceId}@${sighting.detectorId}`);
    const meanTime = (pass: SimulatedSighting[] | undefined) =>
      pass === undefined
        ? undefined
        : pass.reduce((sum, sighting) => sum + seconds(sighting.time - START), 0) / pass.length;
    let trips = 0;
    let late = 0;
    for (const device of new Set(sightings.map((sighting) => sighting.rawDeviceId))) {
      const departure = meanTime(passTimes.get(`${device}@A`));
      const arrival = meanTime(passTimes.get(`${device}@B`));
      if (departure === undefined || arrival === undefined || departure > 5 * 3600) continue;
      const extra = arrival - departure - link.freeFlowSeconds;
      trips += 1;
      if (extra > 60) {
        late += 1;
        expect(extra).toBeGreaterThan(100);
        expect(extra).toBeLessThan(1200 + 10);
      }
    }
    expect(trips).toBeGreaterThan(500);
    expect(Math.abs(late / trips - 0.15)).toBeLessThan(0.03);
  });

  it('samples travel times around the truth: the median trip takes the true time', () => {
    const scenario = lineScenario({
      stops: { share: 0, minDelaySeconds: 0, maxDelaySeconds: 0 },
      sightingsPerPass: { min: 1, max: 1, dwellSeconds: 0 },
    });
    const { sightings, truth } = simulate(scenario, { seed: 10, start: START, durationSeconds: 6 * 3600 });
    const byDevice = groupBy(sightings, (sighting) => sighting.rawDeviceId);
    const travel: number[] = [];
    for (const seen of byDevice.values()) {
      const [atA, atB] = seen;
      if (seen.length === 3 && atA?.detectorId === 'A' && atB?.detectorId === 'B')
        travel.push(seconds(atB.time - atA.time));
    }
    travel.sort((x, y) => x - y);
    const freeFlow = truth.links[0]!.freeFlowSeconds;
    expect(freeFlow).toBeCloseTo(90, 6);
    expect(travel[Math.floor(travel.length / 2)]! / freeFlow).toBeCloseTo(1, 1.5);
    // ±6 % lognormal: about 68 % within one sigma.
    const withinSigma =
      travel.filter((value) => Math.abs(Math.log(value / freeFlow)) <= 0.06).length / travel.length;
    expect(withinSigma).toBeGreaterThan(0.62);
    expect(withinSigma).toBeLessThan(0.74);
  });

  it('rejects a bad duration and a bad scenario with the field named', () => {
    expect(() => simulate(lineScenario(), { seed: 1, start: START, durationSeconds: 0 })).toThrow(
      'durationSeconds: is 0; a simulation lasts more than 0 and at most 31622400 seconds',
    );
    expect(() =>
      simulate(
        lineScenario({ detection: { share: 1.5, kindShares: { wifi: 1, bluetooth: 0, mobile: 0 } } }),
        {
          seed: 1,
          start: START,
          durationSeconds: 60,
        },
      ),
    ).toThrow('detection.share: is 1.5; the detected share of vehicles is a fraction above 0 and at most 1');
  });

  it('simulates a full day of the corridor', () => {
    const { sightings, stats } = simulate(corridorScenario(), {
      seed: 1,
      start: START,
      durationSeconds: 86_400,
    });
    expect(stats.vehicles).toBeGreaterThan(15_000);
    expect(sightings.length).toBeGreaterThan(8_000);
    expect(new Set(sightings.map((sighting) => sighting.detectorId)).size).toBe(12);
  });
});

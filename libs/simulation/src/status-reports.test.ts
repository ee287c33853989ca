import { NANOS_PER_SECOND, parseDetectorId, type UnixNanos } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { corridorScenario } from './corridor';
import { simulate } from './simulate';
import { batteryLowAt, batteryVoltsAt, NOMINAL_BATTERY_VOLTS, statusReports } from './status-reports';

const MONDAY: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n;
const at = (hours: number, minutes = 0): UnixNanos =>
  MONDAY + BigInt(hours * 3600 + minutes * 60) * NANOS_PER_SECOND;
const D03 = parseDetectorId('D03');
const D05 = parseDetectorId('D05');

describe('statusReports', () => {
  const scenario = corridorScenario();
  const disruptions = {
    batteryDrains: [{ detectorId: D03, from: at(6), voltsPerDay: 2 }],
    outages: [{ detectorId: D05, from: at(10), until: at(12) }],
  };
  const { sightings } = simulate(scenario, { seed: 2, start: MONDAY, durationSeconds: 86_400 });
  const reports = statusReports(scenario, sightings, {
    seed: 2,
    start: MONDAY,
    durationSeconds: 86_400,
    everySeconds: 300,
    disruptions,
  });

  it('has every detector report every 5 minutes, except through an outage', () => {
    const ofD05 = reports.filter((report) => report.detectorId === 'D05');
    expect(reports.filter((report) => report.detectorId === 'D01')).toHaveLength(288);
    expect(ofD05).toHaveLength(288 - 24);
    expect(ofD05.some((report) => report.time >= at(10) && report.time < at(12))).toBe(false);
    expect(reports[0]?.time).toBe(MONDAY);
  });

  it('counts the distinct devices each radio saw since the previous report', () => {
    const report = reports.find((candidate) => candidate.detectorId === 'D01' && candidate.time === at(12));
    const since = at(11, 55);
    const seen = sightings.filter(
      (sighting) => sighting.detectorId === 'D01' && sighting.time > since && sighting.time <= at(12),
    );
    for (const kind of ['wifi', 'bluetooth', 'mobile'] as const) {
      const devices = new Set(
        seen.filter((sighting) => sighting.kind === kind).map((sighting) => sighting.rawDeviceId),
      );
      expect(report?.detectionCounts[kind]).toBe(BigInt(devices.size));
    }
    expect(seen.length).toBeGreaterThan(0);
  });

  it('reads a healthy battery near the nominal, and a drained one falling at its rate', () => {
    const healthy = reports
      .filter((report) => report.detectorId === 'D01')
      .map((report) => report.batteryVoltage);
    expect(Math.min(...healthy)).toBeGreaterThan(NOMINAL_BATTERY_VOLTS - 0.25);
    expect(Math.max(...healthy)).toBeLessThan(NOMINAL_BATTERY_VOLTS + 0.25);
    expect(batteryVoltsAt(disruptions, D03, at(18)) - batteryVoltsAt(disruptions, D03, at(6))).toBeCloseTo(
      -1,
      9,
    );
    const low = batteryLowAt(disruptions.batteryDrains[0]!, 11.8);
    // 12.9 − 0.15 × cos(45°) = 12.7939 V at 06:00; 0.9939 V at 2 V a day is 11.927 h.
    expect(Number(low - at(6)) / 3600e9).toBeCloseTo(((12.9 - 0.15 * Math.SQRT1_2 - 11.8) / 2) * 24, 6);
    expect(batteryVoltsAt(disruptions, D03, low)).toBeCloseTo(11.8, 6);
    const after = reports.filter((report) => report.detectorId === 'D03' && report.time >= low);
    expect(after.length).toBeGreaterThan(0);
    for (const report of after) expect(report.batteryVoltage).toBeLessThan(11.8 + 0.1);
  });

  it('is deterministic for a seed', () => {
    const again = statusReports(scenario, sightings, {
      seed: 2,
      start: MONDAY,
      durationSeconds: 86_400,
      everySeconds: 300,
      disruptions,
    });
    expect(again).toEqual(reports);
  });
});

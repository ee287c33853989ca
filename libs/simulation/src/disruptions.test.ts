import {
  NANOS_PER_SECOND,
  originDestination,
  parseDetectorId,
  ValidationError,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { corridorScenario } from './corridor';
import {
  clockOffsetReachesAt,
  clockOffsetSecondsAt,
  incidentCongestion,
  originDestinationTruth,
  weekBins,
} from './disruption-truth';
import { incidentSlowdowns, validateDisruptions, type Incident } from './disruptions';
import { groundTruth } from './ground-truth';
import { SightingIndex } from './replay';
import { parseScenario, scenarioToJson } from './parse-scenario';
import { simulate } from './simulate';

/** Monday 2026-11-30, 00:00 UTC. */
const MONDAY: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n;
const HOUR = 3600n * NANOS_PER_SECOND;
const id = (raw: string): DetectorId => parseDetectorId(raw);
const at = (day: number, hours: number, minutes = 0): UnixNanos =>
  MONDAY + BigInt(day) * 24n * HOUR + BigInt(hours * 3600 + minutes * 60) * NANOS_PER_SECOND;

const scenario = corridorScenario();
const INCIDENT: Incident = {
  from: id('D09'),
  to: id('D10'),
  onset: at(0, 10),
  end: at(0, 10, 45),
  factor: 3,
  upstreamMetersPerSecond: 4,
};

describe('an incident', () => {
  it('slows its segment at the onset and each segment upstream when the queue reaches it', () => {
    const slowdowns = incidentSlowdowns(scenario, INCIDENT);
    expect(slowdowns.map((slowdown) => `${slowdown.from}>${slowdown.to}`)).toEqual([
      'D09>D10',
      'D08>D09',
      'D07>D08',
      'D06>D07',
      'D05>D06',
    ]);
    expect(slowdowns[0]?.start).toBe(INCIDENT.onset);
    // D09→D10 is 1,854 m long: the queue reaches D09 after 1854 / 4 = 463.5 s; D05 too late.
    expect(scenario.segments[8]?.lengthMeters).toBe(1854);
    expect(slowdowns[1]?.start).toBe(INCIDENT.onset + 463_500_000_000n);
    expect(Number((slowdowns[4]?.start ?? 0n) - INCIDENT.onset) / 1e9).toBe(2163);
    for (const slowdown of slowdowns) expect(slowdown.end).toBe(INCIDENT.end);
    // Ramps keep vehicles in order: (factor − 1) × free flow / 0.8; D09→D10 at 120 km/h is 55.62 s.
    expect(slowdowns[0]?.rampSeconds).toBeCloseTo((2 * 55.62) / 0.8, 6);
  });

  it('triples the true travel time once ramped up, and leaves it as it was after the recovery', () => {
    const truth = groundTruth(scenario, { incidents: [INCIDENT] });
    const normal = groundTruth(scenario);
    const link = { source: 'D09', destination: 'D10' };
    expect(truth.travelSeconds(link, at(0, 10, 10))).toBeCloseTo(
      3 * normal.travelSeconds(link, at(0, 10, 10)),
      9,
    );
    expect(truth.travelSeconds(link, at(0, 9, 59))).toBe(normal.travelSeconds(link, at(0, 9, 59)));
    expect(truth.travelSeconds(link, at(0, 11))).toBe(normal.travelSeconds(link, at(0, 11)));
    // Downstream of the incident nothing changes.
    expect(truth.travelSeconds({ source: 'D10', destination: 'D11' }, at(0, 10, 20))).toBe(
      normal.travelSeconds({ source: 'D10', destination: 'D11' }, at(0, 10, 20)),
    );
  });

  it('gives each slowed link its congested span of arrivals, none downstream', () => {
    const congestion = incidentCongestion(scenario, INCIDENT);
    const byLink = new Map(congestion.map((link) => [`${link.source}>${link.destination}`, link]));
    expect([...byLink.keys()]).toEqual(['D05>D06', 'D06>D07', 'D07>D08', 'D08>D09', 'D09>D10', 'D06>D08']);
    const own = byLink.get('D09>D10');
    expect(own?.slowFrom).toBe(INCIDENT.onset);
    expect(own?.peakRatio).toBeCloseTo(3, 6);
    // The first arrival 25 % slower comes 90 s after the onset (scanned every 10 s), the last after the end.
    expect(own?.congestedFrom).toBe(INCIDENT.onset + 90n * NANOS_PER_SECOND);
    expect(own?.congestedUntil).toBeGreaterThan(INCIDENT.end);
    expect(byLink.get('D05>D06')?.slowFrom).toBe(INCIDENT.onset + 2163n * NANOS_PER_SECOND);
  });

  it('makes simulated vehicles take the incident time on its segment', () => {
    const { journeys } = simulate(scenario, {
      seed: 7,
      start: at(0, 9),
      durationSeconds: 3 * 3600,
      disruptions: { incidents: [INCIDENT] },
    });
    const times = journeys.flatMap((journey) => {
      const enter = journey.passes.find((pass) => pass.detectorId === 'D09')?.times[0];
      const leave = journey.passes.find((pass) => pass.detectorId === 'D10')?.times[0];
      return enter !== undefined && leave !== undefined && enter >= at(0, 10, 10) && enter < at(0, 10, 40)
        ? [Number(leave - enter) / 1e9]
        : [];
    });
    times.sort((a, b) => a - b);
    expect(times.length).toBeGreaterThan(5);
    expect(times[Math.floor(times.length / 2)]).toBeGreaterThan(2.7 * 55.62);
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(3.3 * 55.62);
  });
});

describe('weekend traffic and holidays', () => {
  const weekly = corridorScenario({ weekend: true });
  const jammed = { source: 'D05', destination: 'D06' };

  it('keeps the jams to weekdays that are not holidays', () => {
    const truth = groundTruth(weekly, { holidays: [at(1, 12)] });
    const freeFlow = truth.links.find((link) => link.source === 'D05' && link.destination === 'D06')
      ?.freeFlowSeconds as number;
    expect(truth.travelSeconds(jammed, at(0, 7, 30))).toBeCloseTo(2 * freeFlow, 9);
    expect(truth.travelSeconds(jammed, at(1, 7, 30))).toBeCloseTo(freeFlow, 9); // the holiday Tuesday
    expect(truth.travelSeconds(jammed, at(2, 7, 30))).toBeCloseTo(2 * freeFlow, 9);
    expect(truth.travelSeconds(jammed, at(5, 7, 30))).toBeCloseTo(freeFlow, 9); // Saturday
    expect(truth.travelSeconds(jammed, at(6, 7, 30))).toBeCloseTo(freeFlow, 9); // Sunday
    expect(truth.travelSeconds(jammed, at(7, 7, 30))).toBeCloseTo(2 * freeFlow, 9);
  });

  it('carries the weekend volume on Saturdays: fewer vehicles than on a Monday', () => {
    const monday = simulate(weekly, { seed: 3, start: at(0, 0), durationSeconds: 86_400 }).stats.vehicles;
    const saturday = simulate(weekly, { seed: 3, start: at(5, 0), durationSeconds: 86_400 }).stats.vehicles;
    // The profiles' daily means: 0.8233 on weekdays, 0.5667 at weekends.
    expect(saturday / monday).toBeGreaterThan(0.62);
    expect(saturday / monday).toBeLessThan(0.76);
  });

  it('gives the week by 15-minute bins: 672 bins, the jam on weekday mornings only', () => {
    const truth = groundTruth(weekly);
    const bins = weekBins((instant) => truth.travelSecondsArrivingAt(jammed, instant), MONDAY);
    expect(bins).toHaveLength(672);
    const bin = (day: number, minute: number) =>
      bins.find((candidate) => candidate.dayOfWeek === day && candidate.minuteOfDay === minute)
        ?.medianSeconds;
    const freeFlow = truth.links.find((link) => link.source === 'D05')?.freeFlowSeconds as number;
    expect(bin(1, 7 * 60 + 30)).toBeCloseTo(2 * freeFlow, 6);
    expect(bin(6, 7 * 60 + 30)).toBeCloseTo(freeFlow, 6);
    expect(bin(1, 3 * 60)).toBeCloseTo(freeFlow, 6);
  });

  it('reads and writes the weekend in scenario files, naming a bad field', () => {
    const json = scenarioToJson(weekly);
    expect(json.weekend?.congestion).toBe(false);
    expect(parseScenario(JSON.parse(JSON.stringify(json)))).toEqual(weekly);
    expect(() =>
      parseScenario({ ...json, weekend: { dailyProfile: json.dailyProfile, congestion: 'no' } }),
    ).toThrow('weekend.congestion: is a string; expected true or false');
  });
});

describe('a route', () => {
  it('takes the links of its path driven one after the other', () => {
    const truth = groundTruth(scenario);
    const path = ['D01', 'D02', 'D03', 'D04'];
    const links = truth.links.slice(0, 3);
    expect(truth.pathSecondsArrivingAt(path, at(0, 3))).toBeCloseTo(
      links.reduce((total, link) => total + link.freeFlowSeconds, 0),
      6,
    );
    // In the evening jam: the last link arriving at the instant, the one before arriving when the last began.
    const arrival = at(0, 16, 30);
    const last = truth.travelSecondsArrivingAt({ source: 'D03', destination: 'D04' }, arrival);
    const beforeLast = arrival - BigInt(Math.round(last * 1e9));
    const middle = truth.travelSecondsArrivingAt({ source: 'D02', destination: 'D03' }, beforeLast);
    const first = truth.travelSecondsArrivingAt(
      { source: 'D01', destination: 'D02' },
      beforeLast - BigInt(Math.round(middle * 1e9)),
    );
    expect(truth.pathSecondsArrivingAt(path, arrival)).toBeCloseTo(first + middle + last, 3);
    expect(() => truth.pathSecondsArrivingAt(['D04', 'D01'], arrival)).toThrow(
      'detectorIds[1]: is "D01", which no road leads to from "D04"',
    );
  });
});

describe('an outage and a drifting clock', () => {
  const disruptions = {
    outages: [{ detectorId: id('D05'), from: at(0, 10) }],
    clockDrifts: [{ detectorId: id('D07'), from: at(0, 6), until: at(0, 20), secondsPerHour: 10 }],
  };
  const normal = simulate(scenario, { seed: 11, start: at(0, 0), durationSeconds: 86_400 });
  const disrupted = simulate(scenario, { seed: 11, start: at(0, 0), durationSeconds: 86_400, disruptions });

  it('silences the detector from the outage on, and nothing else', () => {
    const atD05 = disrupted.sightings.filter((sighting) => sighting.detectorId === 'D05');
    expect(atD05.length).toBeGreaterThan(100);
    expect(atD05.every((sighting) => sighting.time < at(0, 10, 0) + NANOS_PER_SECOND * 3n)).toBe(true);
    const others = (sightings: typeof normal.sightings) =>
      sightings.filter((sighting) => sighting.detectorId === 'D04').map((sighting) => sighting.time);
    expect(others(disrupted.sightings)).toEqual(others(normal.sightings));
  });

  it("shifts the drifting detector's sightings by the offset grown since the drift began", () => {
    const d07 = (simulation: typeof normal) =>
      new Map(
        simulation.journeys.flatMap((journey) =>
          journey.passes
            .filter((pass) => pass.detectorId === 'D07')
            .map((pass) => [journey.rawDeviceId, pass.times[0] as UnixNanos] as const),
        ),
      );
    const before = d07(normal);
    const after = d07(disrupted);
    const noon = [...before].find(([, time]) => time >= at(0, 12) && time < at(0, 12, 10));
    expect(noon).toBeDefined();
    const [device, time] = noon as [string, UnixNanos];
    const shift = Number((after.get(device as never) as UnixNanos) - time) / 1e9;
    expect(shift).toBeCloseTo(10 * (Number(time - at(0, 6)) / 1e9 / 3600), 1);
    const skew = scenario.detectors.find((detector) => detector.id === 'D07')?.clockSkewSeconds as number;
    expect(clockOffsetSecondsAt(scenario, disruptions, id('D07'), at(0, 9))).toBeCloseTo(skew + 30, 9);
    // Set right at 20:00: the sightings after it carry true times again.
    expect(clockOffsetSecondsAt(scenario, disruptions, id('D07'), at(0, 21))).toBe(skew);
    const evening = [...before].find(([, time]) => time >= at(0, 21));
    expect(after.get(evening?.[0] as never)).toBe(evening?.[1]);
    // 30 s of offset: the skew counts, so it is reached (30 − skew) / 10 hours after 06:00.
    expect(clockOffsetReachesAt(scenario, disruptions.clockDrifts[0]!, 30)).toBe(
      at(0, 6) + BigInt(Math.ceil(((30 - skew) / 10) * 3600 * 1e9)),
    );
  });
});

describe('origin–destination truth', () => {
  it("counts the trips domain's originDestination counts from the raw sightings", () => {
    const simulation = simulate(scenario, { seed: 5, start: at(0, 6), durationSeconds: 4 * 3600 });
    const detectors = ['D01', 'D03', 'D06', 'D09', 'D12'].map(id);
    const range = { after: at(0, 7), before: at(0, 9) };
    const truth = originDestinationTruth(simulation.journeys, detectors, range);
    const index = new SightingIndex(simulation.sightings);
    const matrix = originDestination(
      detectors.flatMap((detector) => index.between(detector, range.after, range.before)),
      detectors,
    );
    expect(
      Object.fromEntries(matrix.cells.map((cell) => [`${cell.origin}>${cell.destination}`, cell.trips])),
    ).toEqual(Object.fromEntries(truth.trips));
    expect(matrix.singleDetectorTrips).toBe(truth.singleDetectorTrips);
    // Through traffic from the first detector to the last within the two hours.
    expect(truth.trips.get('D01>D12')).toBeGreaterThan(10);
  });
});

describe('validateDisruptions', () => {
  it('names the first bad field and why', () => {
    expect(() => validateDisruptions(scenario, { incidents: [{ ...INCIDENT, to: id('D11') }] })).toThrow(
      'incidents[0]: is on "D09" → "D11", which is not a segment of the scenario',
    );
    expect(() =>
      validateDisruptions(scenario, { incidents: [{ ...INCIDENT, end: INCIDENT.onset }] }),
    ).toThrow(ValidationError);
    expect(() =>
      validateDisruptions(scenario, { outages: [{ detectorId: id('X1'), from: MONDAY }] }),
    ).toThrow('outages[0].detectorId: is "X1", which is not a detector of the scenario');
    expect(() =>
      validateDisruptions(scenario, {
        batteryDrains: [{ detectorId: id('D01'), from: MONDAY, voltsPerDay: 0 }],
      }),
    ).toThrow('batteryDrains[0].voltsPerDay: is 0;');
  });
});

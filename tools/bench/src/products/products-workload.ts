import {
  NANOS_PER_SECOND,
  parseDetectorId,
  parseRoute,
  Pseudonymiser,
  type DetectorId,
  type DetectorStatus,
  type Route,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import {
  corridorScenario,
  groundTruth,
  SightingIndex,
  simulate,
  statusReports,
  type Disruptions,
  type GroundTruth,
  type Incident,
  type Journey,
  type Scenario,
} from '@message-bus/simulation';

/** The seed of every simulation in the suite, so each run measures the same traffic. */
export const SEED = 20_261_207;
export const DAY = 86_400n * NANOS_PER_SECOND;
export const HOUR = 3600n * NANOS_PER_SECOND;
export const MINUTE = 60n * NANOS_PER_SECOND;
/** Detectors send a status report every 5 minutes. */
export const STATUS_EVERY_SECONDS = 300;

/** What one run simulates: normal history weeks, then a measured span with disruptions. */
export interface ProductsPlan {
  readonly scenario: Scenario;
  readonly routes: readonly Route[];
  /** A Monday 00:00 UTC: the first history week begins here. */
  readonly historyStart: UnixNanos;
  readonly historyWeeks: number;
  /** The measured span: the next Monday on, this many hours. */
  readonly liveStart: UnixNanos;
  readonly liveHours: number;
  readonly disruptions: Disruptions;
  /** Detectors with faults in the measured span, and from when. */
  readonly faults: readonly DetectorFault[];
}

/** A detector fault of the measured span and the instant it became true. */
export interface DetectorFault {
  readonly detectorId: DetectorId;
  readonly kind: 'detector_silent' | 'clock_skew' | 'battery_low';
  /** When it began (the outage, the drift, the drain). */
  readonly from: UnixNanos;
}

/** The simulated traffic of a plan, as stored and as it truly was. */
export interface ProductsTraffic {
  readonly sightings: readonly Sighting[];
  readonly statuses: readonly DetectorStatus[];
  readonly journeys: readonly Journey[];
  /** The truth with the disruptions, and of the same road on a normal week. */
  readonly truth: GroundTruth;
  readonly normalTruth: GroundTruth;
}

const id = (raw: string): DetectorId => parseDetectorId(raw);

/**
 * The corridor with weekend traffic (12 detectors, 14 links, its default volume: 5 %
 * detected, 15 % of traversals stopping), two routes (the whole corridor and its middle),
 * `historyWeeks` normal weeks (one holiday in the second), then `liveHours` with
 * incidents spread over daytime, an outage, a drifting clock and a draining battery.
 */
export function productsPlan(
  historyWeeks: number,
  liveHours: number,
  /** The detected share of vehicles, when not the corridor's default (the lab's sweep). */
  detectedShare?: number,
): ProductsPlan {
  const corridor = corridorScenario({ weekend: true });
  const scenario =
    detectedShare === undefined
      ? corridor
      : { ...corridor, detection: { ...corridor.detection, share: detectedShare } };
  const liveStart: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n; // Monday 2026-11-30
  const historyStart = liveStart - BigInt(historyWeeks) * 7n * DAY;
  const at = (day: number, hours: number, minutes = 0): UnixNanos =>
    liveStart + BigInt(day) * DAY + BigInt(hours) * HOUR + BigInt(minutes) * MINUTE;
  const incident = (
    day: number,
    hours: number,
    minutes: number,
    from: string,
    to: string,
    durationMinutes: number,
    factor: number,
  ): Incident => ({
    from: id(from),
    to: id(to),
    onset: at(day, hours, minutes),
    end: at(day, hours, minutes + durationMinutes),
    factor,
    upstreamMetersPerSecond: 4,
  });
  const incidents = [
    incident(0, 10, 0, 'D09', 'D10', 45, 3),
    incident(0, 14, 0, 'D04', 'D05', 40, 2.5),
    incident(1, 11, 0, 'D11', 'D12', 50, 3),
    incident(2, 13, 0, 'D07', 'D08', 45, 3),
    incident(3, 18, 30, 'D02', 'D03', 40, 3),
    incident(4, 10, 30, 'D06', 'D07', 45, 2.5),
    incident(5, 12, 0, 'D10', 'D11', 45, 3),
  ].filter((candidate) => candidate.end <= liveStart + BigInt(liveHours) * HOUR);
  const liveEnd = liveStart + BigInt(liveHours) * HOUR;
  const faults: DetectorFault[] = [
    { detectorId: id('D08'), kind: 'detector_silent' as const, from: at(0, 11) },
    { detectorId: id('D07'), kind: 'clock_skew' as const, from: at(0, 16) },
    { detectorId: id('D06'), kind: 'battery_low' as const, from: at(0, 0) },
  ].filter((fault) => fault.from < liveEnd);
  const disruptions: Disruptions = {
    incidents,
    holidays: historyWeeks >= 2 ? [historyStart + 7n * DAY + 2n * DAY] : [],
    outages: [{ detectorId: id('D08'), from: at(0, 11), until: at(0, 13) }],
    clockDrifts: [{ detectorId: id('D07'), from: at(0, 16), until: at(0, 20), secondsPerHour: 20 }].filter(
      (drift) => drift.from < liveEnd,
    ),
    batteryDrains: [{ detectorId: id('D06'), from: at(0, 0), voltsPerDay: 1 }],
  };
  const routes = [
    parseRoute({ name: 'corridor-east', detectorIds: scenario.detectors.map((detector) => detector.id) }),
    parseRoute({ name: 'middle-east', detectorIds: ['D04', 'D05', 'D06', 'D07', 'D08', 'D09'] }),
  ];
  return { scenario, routes, historyStart, historyWeeks, liveStart, liveHours, disruptions, faults };
}

/**
 * Simulates the plan from its history start to the end of its live span, the sightings
 * pseudonymised as the collector stores them (daily rotation at 03:00 UTC, 15-minute
 * overlap), with every detector's status reports.
 */
export function simulateTraffic(plan: ProductsPlan): ProductsTraffic {
  const durationSeconds =
    Number((plan.liveStart - plan.historyStart) / NANOS_PER_SECOND) + plan.liveHours * 3600;
  const simulation = simulate(plan.scenario, {
    seed: SEED,
    start: plan.historyStart,
    durationSeconds,
    disruptions: plan.disruptions,
  });
  const pseudonymiser = new Pseudonymiser({
    masterSecret: new Uint8Array(32).fill(0x5a),
    rotation: { kind: 'daily', utcHour: 3 },
    overlapSeconds: 900,
  });
  const index = new SightingIndex(simulation.sightings, pseudonymiser);
  const end = plan.historyStart + BigInt(durationSeconds) * NANOS_PER_SECOND;
  const sightings = plan.scenario.detectors
    .flatMap(({ id: detector }) => index.between(detector, plan.historyStart, end))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const statuses = statusReports(plan.scenario, simulation.sightings, {
    seed: SEED,
    start: plan.historyStart,
    durationSeconds,
    everySeconds: STATUS_EVERY_SECONDS,
    disruptions: plan.disruptions,
  });
  return {
    sightings,
    statuses,
    journeys: simulation.journeys,
    truth: simulation.truth,
    normalTruth: groundTruth(plan.scenario, { holidays: [] }),
  };
}

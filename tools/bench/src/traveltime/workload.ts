import {
  estimateLink,
  NANOS_PER_SECOND,
  Pseudonymiser,
  type LinkEstimateInput,
  type UnixNanos,
} from '@message-bus/domain';
import {
  corridorScenario,
  SightingIndex,
  urbanGridScenario,
  simulate,
  type EstimatorReading,
  type Scenario,
  type Simulation,
} from '@message-bus/simulation';
import { iqrFilteredMeanEstimate, plainMedianEstimate } from './baselines';

/** Midnight UTC of the simulated day, 2026-11-30. */
export const DAY_START: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n;
/** The seed of every simulation in the suite, so each run measures the same traffic. */
export const SEED = 20_261_130;
/** The worker's cadence: an estimate per link every minute. */
export const STEP_SECONDS = 60;

/** A method under comparison: ours or one of the benchmark baselines of issue 5. */
export interface EstimatorUnderTest {
  /** e.g. `ours` */
  readonly key: string;
  readonly label: string;
  readonly estimate: (input: LinkEstimateInput) => EstimatorReading;
}

export const ESTIMATORS: readonly EstimatorUnderTest[] = [
  {
    key: 'ours',
    label: 'estimateLink: median of the adaptively filtered samples',
    estimate: (input) => {
      const estimate = estimateLink(input);
      return { seconds: estimate.medianSeconds, validSamples: estimate.validSamples };
    },
  },
  {
    key: 'iqr-mean',
    label: 'baseline: mean within 75 % of the IQR of the previous 15 samples',
    estimate: (input) => {
      const estimate = iqrFilteredMeanEstimate(input);
      return { seconds: estimate.travelSeconds, validSamples: estimate.validSamples };
    },
  },
  {
    key: 'plain-median',
    label: 'baseline: plain median of the window',
    estimate: (input) => {
      const estimate = plainMedianEstimate(input);
      return { seconds: estimate.travelSeconds, validSamples: estimate.validSamples };
    },
  },
];

/** A simulated span, stored as the collector would store it, ready to replay. */
export interface SimulatedSpan {
  readonly scenario: Scenario;
  readonly simulation: Simulation;
  readonly index: SightingIndex;
  readonly start: UnixNanos;
  readonly durationSeconds: number;
}

/**
 * Simulates `durationSeconds` of `scenario` from `startHour` (UTC) of the suite's day
 * and indexes its sightings, pseudonymised as the collector does (daily rotation at
 * 03:00 UTC with a 15-minute overlap).
 */
export function simulateSpan(scenario: Scenario, startHour: number, durationSeconds: number): SimulatedSpan {
  const start = DAY_START + BigInt(startHour * 3600) * NANOS_PER_SECOND;
  const simulation = simulate(scenario, { seed: SEED, start, durationSeconds });
  const pseudonymiser = new Pseudonymiser({
    masterSecret: new Uint8Array(32).fill(0x5a),
    rotation: { kind: 'daily', utcHour: 3 },
    overlapSeconds: 900,
  });
  const index = new SightingIndex(simulation.sightings, pseudonymiser);
  return { scenario, simulation, index, start, durationSeconds };
}

/** The built-in corridor (12 detectors, 14 links) and its 100-link variant. */
export const corridor = (): Scenario => corridorScenario();
/** The built-in urban grid: 16 signalised intersections, 48 short links. */
export const urbanGrid = (): Scenario => urbanGridScenario();
export const hundredLinkNetwork = (): Scenario => corridorScenario({ detectorCount: 101, skipLinks: false });

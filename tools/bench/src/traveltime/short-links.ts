import {
  NANOS_PER_SECOND,
  percentileOfSorted,
  TRAVEL_TIME_MEASURES,
  type TravelTimeMeasure,
} from '@message-bus/domain';
import { scoreEstimator, type ScoredInterval } from '@message-bus/simulation';
import type { ExtraTable } from '../report';
import { ERROR_RATIO_TARGET, MIN_VALID_SAMPLES } from './accuracy';
import { ESTIMATORS, STEP_SECONDS, type EstimatorUnderTest, type SimulatedSpan } from './workload';

/** Issue 15: on short links (true time under 30 s) ours has a median APE of at most 8 %. */
export const SHORT_LINK_SECONDS = 30;
export const SHORT_LINK_MEDIAN_APE_TARGET = 0.08;
/** A gross error: more than 50 % off, counted on intervals with ≥ 5 valid samples while the truth is steady. */
const GROSS_ERROR = 0.5;
const GROSS_MIN_VALID_SAMPLES = 5;
/**
 * The truth is steady over an interval when the travel time of vehicles arriving at
 * its end and 5, 10 and 15 minutes before (the window) stays within 10 %.
 */
const STEADY_CHECK_OFFSETS_SECONDS = [0, 300, 600, 900];
const STEADY_MAX_RATIO = 1.1;
const MEASURES = TRAVEL_TIME_MEASURES;

/** One estimator's errors on one span with one measure. */
export interface ShortLinkFigures {
  readonly intervals: number;
  readonly medianApe: number;
  readonly meanApe: number;
  /** Steady intervals with ≥ 5 valid samples, and how many of them were off by more than 50 %. */
  readonly steadyIntervals: number;
  readonly grossErrors: number;
}

/** What the short-link part of the suite reports: its tables, and settings to record. */
export interface ShortLinkSection {
  readonly tables: readonly ExtraTable[];
  readonly settings: Readonly<Record<string, number>>;
}

/**
 * Scores ours and the baselines on the urban grid's short links with each measure, and
 * ours with each measure on the corridor, then checks issue 15's targets: short-link
 * median APE ≤ 8 % and no worse than the plain median, no steady interval with ≥ 5
 * valid samples off by more than 50 %, and the corridor's MAPE at most half the
 * IQR-filtered mean's (both with the default measure, `defaultMeasure`).
 */
export function measureShortLinks(
  grid: SimulatedSpan,
  corridor: SimulatedSpan,
  defaultMeasure: TravelTimeMeasure,
  log: (line: string) => void,
): ShortLinkSection {
  const gridFigures = new Map<string, ShortLinkFigures>();
  for (const measure of MEASURES) {
    for (const estimator of ESTIMATORS) {
      log(`scoring ${estimator.key} (${measure}) on the urban grid`);
      gridFigures.set(`${estimator.key}/${measure}`, figuresOf(grid, estimator, measure, true));
    }
  }
  const corridorFigures = new Map<string, ShortLinkFigures>();
  for (const measure of MEASURES) {
    for (const estimator of ESTIMATORS.filter((candidate) => candidate.key !== 'plain-median')) {
      log(`scoring ${estimator.key} (${measure}) on the corridor`);
      corridorFigures.set(`${estimator.key}/${measure}`, figuresOf(corridor, estimator, measure, false));
    }
  }
  const at = (figures: Map<string, ShortLinkFigures>, key: string, measure: TravelTimeMeasure) =>
    figures.get(`${key}/${measure}`) as ShortLinkFigures;

  const shortLinks: ExtraTable = {
    title: `short links: urban grid (${grid.simulation.truth.links.length} links of 100–250 m, overlapping reader ranges, signals), intervals with true time < ${SHORT_LINK_SECONDS} s, ${defaultMeasure}`,
    columns: [
      'intervals',
      'median APE',
      'mean APE',
      `> 50 % off (steady, ≥ ${GROSS_MIN_VALID_SAMPLES} valid)`,
    ],
    rows: ESTIMATORS.map((estimator) => {
      const figures = at(gridFigures, estimator.key, defaultMeasure);
      return [
        estimator.label,
        figures.intervals.toLocaleString('en-US'),
        percent(figures.medianApe),
        percent(figures.meanApe),
        `${figures.grossErrors} of ${figures.steadyIntervals.toLocaleString('en-US')}`,
      ];
    }),
  };

  const measures: ExtraTable = {
    title: 'measure: ours with each measure (median APE / mean APE)',
    columns: MEASURES,
    rows: [
      ['corridor (all links)', ...MEASURES.map((measure) => apePair(at(corridorFigures, 'ours', measure)))],
      [
        `urban grid (true time < ${SHORT_LINK_SECONDS} s)`,
        ...MEASURES.map((measure) => apePair(at(gridFigures, 'ours', measure))),
      ],
      [
        `urban grid, > 50 % off (steady, ≥ ${GROSS_MIN_VALID_SAMPLES} valid)`,
        ...MEASURES.map((measure) => String(at(gridFigures, 'ours', measure).grossErrors)),
      ],
    ],
  };

  const ours = at(gridFigures, 'ours', defaultMeasure);
  const plain = at(gridFigures, 'plain-median', defaultMeasure);
  const corridorOurs = at(corridorFigures, 'ours', defaultMeasure);
  const corridorIqr = at(corridorFigures, 'iqr-mean', defaultMeasure);
  const corridorRatio = corridorIqr.meanApe / corridorOurs.meanApe;
  const targets: ExtraTable = {
    title: 'issue 15 targets (short links and the corridor)',
    columns: ['value', 'target', ''],
    rows: [
      target(
        'short links: median APE of ours',
        percent(ours.medianApe),
        `≤ ${percent(SHORT_LINK_MEDIAN_APE_TARGET)}`,
        ours.medianApe <= SHORT_LINK_MEDIAN_APE_TARGET,
      ),
      target(
        'short links: ours vs plain median, median APE',
        `${percent(ours.medianApe)} vs ${percent(plain.medianApe)}`,
        '≤ plain median',
        ours.medianApe <= plain.medianApe,
      ),
      target(
        `short links: steady intervals with ≥ ${GROSS_MIN_VALID_SAMPLES} valid samples off by > 50 %`,
        String(ours.grossErrors),
        '0',
        ours.grossErrors === 0,
      ),
      target(
        'corridor: MAPE of the IQR-filtered mean / ours',
        `${corridorRatio.toFixed(2)}×`,
        `≥ ${ERROR_RATIO_TARGET}×`,
        corridorRatio >= ERROR_RATIO_TARGET,
      ),
    ],
  };

  return {
    tables: [shortLinks, measures, targets],
    settings: {
      'shortLinks.links': grid.simulation.truth.links.length,
      'shortLinks.sightings': grid.simulation.sightings.length,
      'shortLinks.detectionShare': grid.scenario.detection.share,
      'shortLinks.dwellSeconds': grid.scenario.sightingsPerPass.dwellSeconds,
      'shortLinks.intervals': ours.intervals,
    },
  };
}

export function figuresOf(
  span: SimulatedSpan,
  estimator: EstimatorUnderTest,
  measure: TravelTimeMeasure,
  shortOnly: boolean,
): ShortLinkFigures {
  const scored = scoreEstimator({
    index: span.index,
    truth: span.simulation.truth,
    from: span.start,
    durationSeconds: span.durationSeconds,
    stepSeconds: STEP_SECONDS,
    estimate: estimator.estimate,
    config: { measure },
  });
  const errors: number[] = [];
  let steadyIntervals = 0;
  let grossErrors = 0;
  for (const interval of scored) {
    if (interval.estimateSeconds === undefined || interval.validSamples < MIN_VALID_SAMPLES) continue;
    if (shortOnly && interval.truthSeconds >= SHORT_LINK_SECONDS) continue;
    const error = Math.abs(interval.estimateSeconds - interval.truthSeconds) / interval.truthSeconds;
    errors.push(error);
    if (interval.validSamples >= GROSS_MIN_VALID_SAMPLES && isSteady(span, interval)) {
      steadyIntervals += 1;
      if (error > GROSS_ERROR) grossErrors += 1;
    }
  }
  const sorted = errors.sort((a, b) => a - b);
  return {
    intervals: sorted.length,
    medianApe: percentileOfSorted(sorted, 0.5) ?? Number.NaN,
    meanApe: sorted.reduce((sum, error) => sum + error, 0) / sorted.length,
    steadyIntervals,
    grossErrors,
  };
}

function isSteady(span: SimulatedSpan, interval: ScoredInterval): boolean {
  const truths = STEADY_CHECK_OFFSETS_SECONDS.map((offset) =>
    span.simulation.truth.travelSecondsArrivingAt(
      interval.link,
      interval.intervalEnd - BigInt(offset) * NANOS_PER_SECOND,
    ),
  );
  return Math.max(...truths) <= STEADY_MAX_RATIO * Math.min(...truths);
}

function target(label: string, value: string, goal: string, met: boolean): string[] {
  return [label, value, goal, met ? 'met' : 'MISSED'];
}

function apePair(figures: ShortLinkFigures): string {
  return `${percent(figures.medianApe)} / ${percent(figures.meanApe)}`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

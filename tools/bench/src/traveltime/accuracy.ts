import {
  absolutePercentageErrors,
  scoreEstimator,
  summariseErrors,
  type ScoredInterval,
} from '@message-bus/simulation';
import type { AccuracyRow, AccuracySection, RatioRow } from '../report';
import { ESTIMATORS, STEP_SECONDS, type SimulatedSpan } from './workload';

/**
 * Ours must have at most half the error of the IQR-filtered mean (issue 5). "Error" is
 * read as the mean absolute percentage error (MAPE), the usual figure of merit for
 * travel-time estimators; the median and p90 ratios are printed beside it for context.
 */
export const ERROR_RATIO_TARGET = 2;
const TARGET_METRIC = 'meanApe';
/** Intervals are scored when the estimator published a value from at least this many valid samples. */
export const MIN_VALID_SAMPLES = 3;

const METRICS = [
  ['medianApe', 'median APE'],
  ['p90Ape', 'p90 APE'],
  ['meanApe', 'mean APE'],
] as const;

/**
 * Runs ours and both baselines for every link every minute of `span`, scores each
 * against the truth at that instant, and compares ours with each baseline per metric.
 */
export function measureAccuracy(
  span: SimulatedSpan,
  title: string,
  log: (line: string) => void,
): AccuracySection {
  const rows: AccuracyRow[] = ESTIMATORS.map((estimator) => {
    log(`scoring ${estimator.key} on ${title}`);
    const scored = scoreEstimator({
      index: span.index,
      truth: span.simulation.truth,
      from: span.start,
      durationSeconds: span.durationSeconds,
      stepSeconds: STEP_SECONDS,
      estimate: estimator.estimate,
    });
    return accuracyRow(`accuracy.${estimator.key}`, estimator.label, scored);
  });
  const [ours, ...baselines] = rows as [AccuracyRow, ...AccuracyRow[]];
  const ratios: RatioRow[] = baselines.flatMap((baseline) =>
    METRICS.map(([metric, name]) => {
      const value = baseline[metric] / ours[metric];
      const target =
        baseline.id === 'accuracy.iqr-mean' && metric === TARGET_METRIC ? ERROR_RATIO_TARGET : undefined;
      return {
        id: `${ours.id}-vs-${baseline.id.replace('accuracy.', '')}.${metric}`,
        label: `${name}: ours vs ${baseline.id.replace('accuracy.', '')}`,
        of: ours.id,
        to: baseline.id,
        value,
        ...(target === undefined ? {} : { target, met: value >= target }),
      };
    }),
  );
  return { title, rows, ratios };
}

function accuracyRow(id: string, label: string, scored: readonly ScoredInterval[]): AccuracyRow {
  const summary = summariseErrors(scored, MIN_VALID_SAMPLES);
  const errors = absolutePercentageErrors(scored, MIN_VALID_SAMPLES);
  const meanApe = errors.reduce((sum, error) => sum + error, 0) / errors.length;
  return {
    id,
    label,
    intervals: summary.intervals,
    medianApe: summary.medianApe,
    p90Ape: summary.p90Ape,
    meanApe,
    within10Percent: summary.within10Percent,
  };
}

import type { TravelTimeMeasure } from '@message-bus/domain';
import type { Scenario } from '@message-bus/simulation';
import type { ExtraTable } from '../report';
import { figuresOf } from './short-links';
import { ESTIMATORS, simulateSpan } from './workload';

/**
 * What limits accuracy on the urban grid's short links, measured rather than argued: the
 * same grid and estimators with the readers made exact (one read at the instant a vehicle
 * passes), with the signals taken out, and with both. The gap between a row and the one
 * above it is what that part of the simulated world costs; the last row is what is left
 * for an estimator to lose.
 */
export function measureShortLinkLimits(
  grid: Scenario,
  startHour: number,
  durationSeconds: number,
  measure: TravelTimeMeasure,
  log: (line: string) => void,
): ExtraTable {
  const exactReaders = (scenario: Scenario): Scenario => ({
    ...scenario,
    sightingsPerPass: { min: 1, max: 1, dwellSeconds: 0.001 },
  });
  const noSignals = (scenario: Scenario): Scenario => ({
    ...scenario,
    segments: scenario.segments.map(({ signal: _signal, ...segment }) => segment),
  });
  const variants: [string, Scenario][] = [
    ['as simulated: 1–3 reads over a 14 s pass, signals', grid],
    ['exact readers (one read as the vehicle passes), signals', exactReaders(grid)],
    ['1–3 reads over a 14 s pass, no signals', noSignals(grid)],
    ['exact readers, no signals', exactReaders(noSignals(grid))],
  ];
  const compared = ESTIMATORS.filter((estimator) => estimator.key !== 'iqr-mean');
  return {
    title: `short-link limits: median APE / > 50 % off (steady, ≥ 5 valid), ${measure}`,
    columns: compared.map((estimator) => estimator.key),
    rows: variants.map(([label, scenario]) => {
      log(`short-link limits: ${label}`);
      const span = simulateSpan(scenario, startHour, durationSeconds);
      return [
        label,
        ...compared.map((estimator) => {
          const figures = figuresOf(span, estimator, measure, true);
          return `${(figures.medianApe * 100).toFixed(1)} % / ${figures.grossErrors}`;
        }),
      ];
    }),
  };
}

import type { Series } from '@message-bus/dashboard-web';

const COLUMNS = [
  'interval_end',
  'window_seconds',
  'median_seconds',
  'p15_seconds',
  'p85_seconds',
  'valid_samples',
  'total_samples',
  'status',
  'level',
  'typical_seconds',
  'free_flow_seconds',
  'ratio_to_typical',
  'speed_kmh',
] as const;

/** A series as CSV, one row per estimate, oldest first; an absent figure is an empty cell. */
export function seriesCsv(series: Series): string {
  const rows = series.estimates.map((estimate) =>
    [
      estimate.intervalEnd,
      estimate.windowSeconds,
      estimate.medianSeconds,
      estimate.p15Seconds,
      estimate.p85Seconds,
      estimate.validSamples,
      estimate.totalSamples,
      estimate.status,
      estimate.level,
      estimate.typicalSeconds,
      estimate.freeFlowSeconds,
      estimate.ratioToTypical,
      estimate.speedKmh,
    ]
      .map((cell) => (cell === undefined ? '' : String(cell)))
      .join(','),
  );
  return `${[COLUMNS.join(','), ...rows].join('\n')}\n`;
}

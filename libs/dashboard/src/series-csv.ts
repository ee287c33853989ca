import type { EstimateView, Series } from '@message-bus/dashboard-web';

/**
 * The columns, named as the JSON API names the same figures (mbcli's CSV and JSON share
 * names the same way), in the order of the chart's table.
 */
const COLUMNS = [
  'intervalEnd',
  'windowSeconds',
  'medianSeconds',
  'p15Seconds',
  'p85Seconds',
  'validSamples',
  'totalSamples',
  'status',
  'level',
  'typicalSeconds',
  'freeFlowSeconds',
  'ratioToTypical',
  'speedKmh',
] as const satisfies readonly (keyof EstimateView)[];

/** A series as CSV, one row per estimate, oldest first; an absent figure is an empty cell. */
export function seriesCsv(series: Series): string {
  const rows = series.estimates.map((estimate) =>
    COLUMNS.map((column) => {
      const cell = estimate[column];
      return cell === undefined ? '' : String(cell);
    }).join(','),
  );
  return `${[COLUMNS.join(','), ...rows].join('\n')}\n`;
}

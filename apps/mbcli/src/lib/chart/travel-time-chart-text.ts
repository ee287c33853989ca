import {
  chartTitle,
  plottedRuns,
  THIN_MEANING,
  timeTicks,
  valueAxis,
  type ChartPoint,
  type TravelTimeChart,
} from './travel-time-chart';

export const BAND_CELL = '░';
export const MEDIAN_CELL = '●';
/** The median of a thin column: hollow, as the SVG's thin points are (`·` is the typical band's). */
export const THIN_MEDIAN_CELL = '○';
export const TYPICAL_CELL = '·';

export interface TextChartSize {
  /** Columns of the whole chart, axis labels included; e.g. the terminal's width. */
  readonly width: number;
  /** Rows of the plot area, without title, axis and legend; at least 3. */
  readonly height: number;
}

/**
 * One column's statistics: the mean of the medians it holds, the lowest p15 and the
 * highest p85, and whether it leans on thin estimates.
 */
interface ColumnValue {
  readonly median: number;
  readonly p15: number;
  readonly p85: number;
  readonly thin: boolean;
}

/**
 * The chart as lines of text: a title, the plot with the value axis (m:ss, from 0) on
 * the left, the time axis (UTC) below and a legend. Each column covers an equal slice of
 * the time range; a column inside a run shows its p15–p85 band as `░` and its median as
 * `●` (between two estimates, the values on the line joining them); a column outside
 * every run stays blank. A thin column (see columnValues) shows its median as `○`, and a
 * second legend line says what thin means. The typical profile's p15–p85 band, when
 * given, shows as `·` behind the estimates. Needs at least one point.
 */
export function renderTextChart(chart: TravelTimeChart, size: TextChartSize): string {
  const axis = valueAxis(plottedRuns(chart), Math.floor((size.height - 1) / 2) + 1);
  const labelWidth = Math.max(...axis.ticks.map((tick) => tick.label.length));
  const plotWidth = size.width - labelWidth - 2;
  const columnMillis = (chart.end - chart.start) / plotWidth;
  const columnOf = (time: number) =>
    Math.min(plotWidth - 1, Math.max(0, Math.floor((time - chart.start) / columnMillis)));
  const rowOf = (value: number) =>
    Math.round(((axis.max - value) / (axis.max - axis.min)) * (size.height - 1));

  const grid = Array.from({ length: size.height }, () => Array<string>(plotWidth).fill(' '));
  const typical = chart.typical ?? [];
  columnValues(chart, typical, plotWidth, columnOf).forEach((value, column) => {
    if (value === undefined) return;
    for (let row = rowOf(value.p85); row <= rowOf(value.p15); row += 1) grid[row]![column] = TYPICAL_CELL;
  });
  const estimateColumns = columnValues(chart, chart.segments, plotWidth, columnOf);
  estimateColumns.forEach((value, column) => {
    if (value === undefined) return;
    for (let row = rowOf(value.p85); row <= rowOf(value.p15); row += 1) grid[row]![column] = BAND_CELL;
    grid[rowOf(value.median)]![column] = value.thin ? THIN_MEDIAN_CELL : MEDIAN_CELL;
  });

  const tickRows = new Map(axis.ticks.map((tick) => [rowOf(tick.value), tick.label]));
  const plotLines = grid.map((cells, row) => {
    const label = tickRows.get(row);
    return `${(label ?? '').padStart(labelWidth)} ${label === undefined ? '│' : '┤'}${cells.join('')}`;
  });

  const labelSpacing = 10;
  const ticks = timeTicks(chart.start, chart.end, Math.max(1, Math.floor(plotWidth / labelSpacing)));
  const axisCells = Array<string>(plotWidth).fill('─');
  let labels = '';
  for (const tick of ticks) {
    const column = columnOf(tick.value);
    axisCells[column] = '┬';
    // Centred under its tick; a label that would touch the previous one or overrun the width is left out.
    const at = Math.max(0, labelWidth + 2 + column - Math.floor(tick.label.length / 2));
    if ((labels.length === 0 || at > labels.length) && at + tick.label.length <= size.width) {
      labels = labels.padEnd(at) + tick.label;
    }
  }

  return [
    chartTitle(chart),
    ...plotLines,
    `${' '.repeat(labelWidth)} └${axisCells.join('')}`,
    labels,
    `${BAND_CELL} p15–p85  ${MEDIAN_CELL} median  ${typical.length > 0 ? `${TYPICAL_CELL} typical p15–p85  ` : ''}blank: no estimate  (y m:ss, x UTC)`,
    // On a line of its own, and only when drawn, so the first legend line reads the same on every chart.
    ...(estimateColumns.some((value) => value?.thin === true)
      ? [`${THIN_MEDIAN_CELL} thin estimate: ${THIN_MEANING}`]
      : []),
  ].join('\n');
}

/**
 * Per plot column, the statistics of `runs` drawn there or `undefined` for a gap. A column
 * holding points of a run takes theirs; a column between two points of a run takes the
 * values on the line between them at its middle, thin when either end is (as the SVG
 * dashes that stretch); columns shared by runs combine them. A column that combines
 * several values is thin when at least half of them are: on a long range a column holds
 * many estimates, and one thin one among sound ones does not make their mean a guess.
 */
function columnValues(
  chart: TravelTimeChart,
  runs: readonly (readonly ChartPoint[])[],
  plotWidth: number,
  columnOf: (time: number) => number,
): (ColumnValue | undefined)[] {
  const columnMillis = (chart.end - chart.start) / plotWidth;
  const samples = Array.from({ length: plotWidth }, (): ColumnValue[] => []);
  for (const segment of runs) {
    const byColumn = new Map<number, ChartPoint[]>();
    for (const point of segment) {
      const column = columnOf(point.time);
      byColumn.set(column, [...(byColumn.get(column) ?? []), point]);
    }
    for (const [column, points] of byColumn) {
      samples[column]!.push(combine(points.map((point) => ({ ...point, thin: point.thin === true }))));
    }
    for (let index = 1; index < segment.length; index += 1) {
      const [before, after] = [segment[index - 1]!, segment[index]!];
      for (let column = columnOf(before.time) + 1; column < columnOf(after.time); column += 1) {
        const middle = chart.start + (column + 0.5) * columnMillis;
        const fraction = (middle - before.time) / (after.time - before.time);
        const at = (from: number, to: number) => from + (to - from) * fraction;
        samples[column]!.push({
          median: at(before.median, after.median),
          p15: at(before.p15, after.p15),
          p85: at(before.p85, after.p85),
          thin: before.thin === true || after.thin === true,
        });
      }
    }
  }
  return samples.map((values) => (values.length === 0 ? undefined : combine(values)));
}

function combine(values: readonly ColumnValue[]): ColumnValue {
  return {
    median: values.reduce((sum, value) => sum + value.median, 0) / values.length,
    p15: Math.min(...values.map((value) => value.p15)),
    p85: Math.max(...values.map((value) => value.p85)),
    thin: 2 * values.filter((value) => value.thin).length >= values.length,
  };
}

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EstimateView, Series } from '../api';
import { fetchSeries } from '../api-client';
import { themedAxis, themedTimeAxis } from '../chart-theme';
import { h, swatch, type MountedPage } from '../dom';
import {
  estimateSummary,
  formatClockDuration,
  formatDuration,
  formatTime,
  fromDateTimeLocal,
  toDateTimeLocal,
} from '../format';
import { linkKey } from '../geometry';
import { levelColour } from '../levels';
import type { NetworkChange, NetworkState } from '../network-state';
import { plotColumns, withEstimate, type PlotColumns } from '../series-data';
import {
  inRange,
  presetRange,
  RANGE_PRESETS,
  seriesQuery,
  targetFromParams,
  type RangePreset,
  type SeriesTarget,
  type TimeRange,
} from '../series-query';

const MEDIAN_COLOUR = '#1e88e5';
const NOT_OK_COLOUR = '#e53935';
const TYPICAL_COLOUR = '#9e9e9e';
const POINT_COLUMNS = [
  'Interval end',
  'Median',
  'p15–p85',
  'Typical',
  'Samples (valid / all)',
  'Status',
  'Level',
];

/**
 * One link's or route's travel time over a range, against this weekday's typical band,
 * as a uPlot chart and a table of the raw figures. Live estimates for the target join
 * the chart while the range reaches now.
 */
export function mountDetail(
  container: HTMLElement,
  state: NetworkState,
  page: 'link' | 'route',
  params: URLSearchParams,
): MountedPage {
  const target = targetFromParams(page, params);
  if (!target) {
    const needs = page === 'link' ? 'source and destination' : 'name';
    container.append(h('p', { class: 'error' }, `This ${page} page needs its ${needs}.`));
    return { unmount() {} };
  }
  const view = new DetailView(container, target);
  const unsubscribe = state.subscribe((change) => view.onChange(change));
  view.load();
  return {
    unmount() {
      unsubscribe();
      view.destroy();
    },
  };
}

class DetailView {
  private readonly root: HTMLElement;
  private readonly range: HTMLSelectElement;
  private readonly after: HTMLInputElement;
  private readonly before: HTMLInputElement;
  private readonly csv: HTMLAnchorElement;
  private readonly chartBox: HTMLElement;
  private readonly message: HTMLElement;
  private readonly latest: HTMLElement;
  private readonly tableBody: HTMLTableSectionElement;
  private readonly resizeObserver: ResizeObserver;
  private timeRange: TimeRange;
  private series: Series | undefined;
  private chart: uPlot | undefined;
  private columns: PlotColumns | undefined;
  /** Only the answer to the newest request is drawn. */
  private requestNumber = 0;

  constructor(
    container: HTMLElement,
    private readonly target: SeriesTarget,
  ) {
    this.timeRange = presetRange('3h', Date.now());
    this.range = h(
      'select',
      { id: 'range', 'aria-label': 'Time range' },
      ...RANGE_PRESETS.map((preset) => h('option', { value: preset.value }, preset.label)),
    );
    this.after = h('input', { id: 'after', type: 'datetime-local', 'aria-label': 'From' });
    this.before = h('input', { id: 'before', type: 'datetime-local', 'aria-label': 'To' });
    this.csv = h('a', { id: 'csv', download: true }, 'Download CSV');
    this.chartBox = h('div', { class: 'chart' });
    this.message = h('p', { class: 'message' });
    this.latest = h('p', { class: 'latest' });
    this.tableBody = h('tbody');
    const title =
      target.kind === 'link' ? `Link ${target.source} → ${target.destination}` : `Route ${target.name}`;
    this.root = h(
      'section',
      { id: 'detail', 'data-ready': 'false' },
      h('h1', {}, title),
      this.latest,
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'Range ', this.range),
        h('label', {}, 'From ', this.after),
        h('label', {}, 'To ', this.before),
        this.csv,
      ),
      this.message,
      this.chartBox,
      h(
        'p',
        { class: 'key' },
        'Blue: median with its p15–p85 band. Grey dashed: typical for this weekday, with its band. ',
        'Small faint points rest on few valid samples; a red ring marks a status other than ok.',
      ),
      h(
        'table',
        { class: 'points' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...POINT_COLUMNS.map((heading) => h('th', { scope: 'col' }, heading)),
          ),
        ),
        this.tableBody,
      ),
    );
    container.append(this.root);
    this.showRangeInputs();
    this.range.addEventListener('change', () => {
      const preset = this.range.value as RangePreset;
      if (preset === 'custom') return;
      this.timeRange = presetRange(preset, Date.now());
      this.showRangeInputs();
      this.load();
    });
    const onCustom = (): void => {
      const afterMs = fromDateTimeLocal(this.after.value);
      const beforeMs = fromDateTimeLocal(this.before.value);
      if (afterMs === undefined || beforeMs === undefined || afterMs >= beforeMs) return;
      this.range.value = 'custom';
      this.timeRange = { afterMs, beforeMs, live: false };
      this.load();
    };
    this.after.addEventListener('change', onCustom);
    this.before.addEventListener('change', onCustom);
    this.resizeObserver = new ResizeObserver(() => this.chart?.setSize(this.chartSize()));
    this.resizeObserver.observe(this.chartBox);
  }

  async load(): Promise<void> {
    const request = ++this.requestNumber;
    const query = seriesQuery(this.target, this.timeRange);
    this.csv.href = `/api/series.csv?${query}`;
    this.root.dataset['ready'] = 'false';
    this.message.textContent = 'Loading…';
    try {
      const series = await fetchSeries(query);
      if (request !== this.requestNumber) return;
      this.series = series;
      this.message.textContent = series.estimates.length === 0 ? 'No estimates in this range.' : '';
      this.draw();
      this.root.dataset['ready'] = 'true';
    } catch (error) {
      if (request !== this.requestNumber) return;
      this.message.textContent = `Could not load the series: ${(error as Error).message}`;
    }
  }

  onChange(change: NetworkChange): void {
    if (!this.series) return;
    const estimate = this.estimateFor(change);
    if (!estimate || !inRange(this.timeRange, Date.parse(estimate.intervalEnd))) return;
    this.series = { ...this.series, estimates: withEstimate(this.series.estimates, estimate) };
    this.message.textContent = '';
    this.draw();
  }

  destroy(): void {
    this.requestNumber++;
    this.resizeObserver.disconnect();
    this.chart?.destroy();
  }

  private estimateFor(change: NetworkChange): EstimateView | undefined {
    const target = this.target;
    if (change.type === 'link' && target.kind === 'link') {
      return linkKey(change.source, change.destination) === linkKey(target.source, target.destination)
        ? change.estimate
        : undefined;
    }
    if (change.type === 'route' && target.kind === 'route') {
      return change.name === target.name ? change.estimate : undefined;
    }
    return undefined;
  }

  private showRangeInputs(): void {
    this.after.value = toDateTimeLocal(this.timeRange.afterMs);
    this.before.value = toDateTimeLocal(this.timeRange.beforeMs);
  }

  private draw(): void {
    const series = this.series!;
    const columns = plotColumns(series);
    this.columns = columns;
    const data: uPlot.AlignedData = [
      columns.x,
      columns.typicalP15,
      columns.typicalP85,
      columns.typicalMedian,
      columns.p15,
      columns.p85,
      columns.median,
    ];
    this.latest.textContent = `Latest: ${estimateSummary(series.estimates.at(-1))}`;
    if (this.chart) this.chart.setData(data);
    else this.chart = new uPlot(this.chartOptions(), data, this.chartBox);
    this.tableBody.replaceChildren(
      ...series.estimates.map((estimate, index) => pointRow(estimate, columns.typicalMedian[index])),
    );
  }

  private chartSize(): { width: number; height: number } {
    return { width: Math.max(320, this.chartBox.clientWidth), height: 360 };
  }

  private chartOptions(): uPlot.Options {
    const band = { points: { show: false }, width: 0 };
    return {
      ...this.chartSize(),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(60, max * 1.1)] } },
      axes: [
        themedTimeAxis(),
        themedAxis({
          label: 'travel time (min:s)',
          size: 60,
          // Ticks on whole seconds and minutes, not uPlot's decimal steps (0:25, 0:50).
          incrs: [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
          values: (_u, ticks) => ticks.map(formatClockDuration),
        }),
      ],
      series: [
        { value: timeValue },
        { label: 'typical p15', stroke: TYPICAL_COLOUR, ...band, value: durationValue },
        { label: 'typical p85', stroke: TYPICAL_COLOUR, ...band, value: durationValue },
        {
          label: 'typical',
          stroke: TYPICAL_COLOUR,
          width: 2,
          dash: [8, 6],
          points: { show: false },
          value: durationValue,
        },
        { label: 'p15', stroke: MEDIAN_COLOUR, ...band, value: durationValue },
        { label: 'p85', stroke: MEDIAN_COLOUR, ...band, value: durationValue },
        {
          label: 'median',
          stroke: MEDIAN_COLOUR,
          width: 2,
          points: { show: false },
          value: durationValue,
        },
      ],
      bands: [
        { series: [2, 1], fill: 'rgba(158, 158, 158, 0.22)' },
        { series: [5, 4], fill: 'rgba(30, 136, 229, 0.25)' },
      ],
      hooks: { draw: [(u) => this.drawPoints(u)] },
    };
  }

  /** The median's points, sized and faded by their valid samples (uPlot draws one size for a series). */
  private drawPoints(u: uPlot): void {
    const columns = this.columns;
    if (!columns) return;
    const ctx = u.ctx;
    const ratio = uPlot.pxRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    columns.x.forEach((x, index) => {
      const median = columns.median[index];
      const style = columns.points[index];
      if (median === null || median === undefined || !style) return;
      const cx = u.valToPos(x, 'x', true);
      const cy = u.valToPos(median, 'y', true);
      ctx.globalAlpha = style.opacity;
      ctx.beginPath();
      ctx.arc(cx, cy, (style.size / 2) * ratio, 0, 2 * Math.PI);
      ctx.fillStyle = MEDIAN_COLOUR;
      ctx.fill();
      if (!style.ok) {
        ctx.globalAlpha = 1;
        ctx.lineWidth = 2 * ratio;
        ctx.strokeStyle = NOT_OK_COLOUR;
        ctx.stroke();
      }
    });
    ctx.restore();
  }
}

function pointRow(estimate: EstimateView, typicalMedian: number | null | undefined): HTMLTableRowElement {
  const now = Date.now();
  const band =
    estimate.p15Seconds === undefined || estimate.p85Seconds === undefined
      ? '–'
      : `${formatDuration(estimate.p15Seconds)} – ${formatDuration(estimate.p85Seconds)}`;
  return h(
    'tr',
    {
      'data-interval-end': estimate.intervalEnd,
      'data-median-seconds': optional(estimate.medianSeconds),
      'data-p15-seconds': optional(estimate.p15Seconds),
      'data-p85-seconds': optional(estimate.p85Seconds),
      'data-valid-samples': String(estimate.validSamples),
      'data-total-samples': String(estimate.totalSamples),
      'data-status': estimate.status,
      class: estimate.status === 'ok' ? undefined : 'not-ok',
    },
    h('td', {}, formatTime(estimate.intervalEnd, now)),
    h('td', {}, formatDuration(estimate.medianSeconds)),
    h('td', {}, band),
    h('td', {}, formatDuration(typicalMedian ?? undefined)),
    h('td', {}, `${estimate.validSamples} / ${estimate.totalSamples}`),
    h('td', {}, estimate.status.replaceAll('_', ' ')),
    h('td', {}, swatch(levelColour(estimate.level)), estimate.level),
  );
}

/** The hovered time in uPlot's legend, as the table shows it (uPlot's own is 12-hour). */
function timeValue(_u: uPlot, seconds: number | null): string {
  return seconds === null ? '–' : formatTime(new Date(seconds * 1000).toISOString(), Date.now());
}

/** A series' value in uPlot's legend. */
function durationValue(_u: uPlot, value: number | null): string {
  return formatDuration(value ?? undefined);
}

function optional(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

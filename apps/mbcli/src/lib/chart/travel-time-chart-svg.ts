import {
  chartTitle,
  plottedRuns,
  THIN_MEANING,
  timeTicks,
  valueAxis,
  type ChartPoint,
  type TravelTimeChart,
} from './travel-time-chart';

/** The SVG's size in pixels and the plot's margins inside it. */
export const SVG_LAYOUT = {
  width: 900,
  height: 420,
  left: 72,
  right: 24,
  top: 48,
  bottom: 56,
} as const;

const BAND_FILL = '#9ecae1';
const TYPICAL_FILL = '#d9d9d9';
const MEDIAN_STROKE = '#08519c';
const AXIS_STROKE = '#444';
const GRID_STROKE = '#ddd';
/** A thin stretch of the median: dashed and half as opaque, so it reads as a guess. */
const THIN_LINE = 'stroke-dasharray="5 4" stroke-opacity="0.5"';
/** A thin point: a hollow ring where a solid run has no dot at all. */
const THIN_POINT = `r="3.5" fill="white" stroke="${MEDIAN_STROKE}" stroke-width="1.5"`;

/**
 * The chart as a standalone SVG document: per run of estimates one `<polygon
 * class="band">` (p85 left to right, then p15 back) and its median as polylines through
 * a point per estimate, a dot for a run of one, value ticks (m:ss, from 0) with grid
 * lines, time ticks (UTC), a title with the link and range, and a legend. Between runs
 * nothing is drawn. The median is one `<polyline class="median">` per run while its
 * estimates are sound; a stretch touching a thin estimate (isThinEstimate) is a dashed,
 * lighter `<polyline class="median-thin">` and each thin point a hollow `<circle
 * class="thin-point">`, named in a legend line above the plot. The typical profile's
 * p15–p85 band, when given, is a grey `<polygon class="typical-band">` per run behind
 * them. Coordinates have one decimal. Needs at least one point.
 */
export function renderSvgChart(chart: TravelTimeChart): string {
  const { width, height, left, right, top, bottom } = SVG_LAYOUT;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const axis = valueAxis(plottedRuns(chart), 7);
  const x = (time: number) => round(left + ((time - chart.start) / (chart.end - chart.start)) * plotWidth);
  const y = (value: number) => round(top + ((axis.max - value) / (axis.max - axis.min)) * plotHeight);
  const bottomY = top + plotHeight;

  const elements: string[] = [
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(chartTitle(chart))}</text>`,
  ];
  for (const tick of axis.ticks) {
    const at = y(tick.value);
    elements.push(
      `<line class="grid" x1="${left}" y1="${at}" x2="${left + plotWidth}" y2="${at}" stroke="${GRID_STROKE}"/>`,
      `<text class="y-label" x="${left - 8}" y="${at}" text-anchor="end" dominant-baseline="middle" font-size="12">${tick.label}</text>`,
    );
  }
  for (const tick of timeTicks(chart.start, chart.end, Math.floor(plotWidth / 90))) {
    const at = x(tick.value);
    elements.push(
      `<line class="x-tick" x1="${at}" y1="${bottomY}" x2="${at}" y2="${bottomY + 6}" stroke="${AXIS_STROKE}"/>`,
      `<text class="x-label" x="${at}" y="${bottomY + 20}" text-anchor="middle" font-size="12">${tick.label}</text>`,
    );
  }
  const typical = chart.typical ?? [];
  for (const run of typical) {
    const upper = run.map((point) => `${x(point.time)},${y(point.p85)}`);
    const lower = run.map((point) => `${x(point.time)},${y(point.p15)}`).reverse();
    elements.push(
      `<polygon class="typical-band" points="${[...upper, ...lower].join(' ')}" fill="${TYPICAL_FILL}" fill-opacity="0.7" stroke="none"/>`,
    );
  }
  for (const segment of chart.segments) {
    const upper = segment.map((point) => `${x(point.time)},${y(point.p85)}`);
    const lower = segment.map((point) => `${x(point.time)},${y(point.p15)}`).reverse();
    elements.push(
      `<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${BAND_FILL}" fill-opacity="0.6" stroke="${BAND_FILL}"/>`,
    );
    for (const piece of medianPieces(segment)) {
      const points = piece.points.map((point) => `${x(point.time)},${y(point.median)}`).join(' ');
      elements.push(
        piece.thin
          ? `<polyline class="median-thin" points="${points}" fill="none" stroke="${MEDIAN_STROKE}" stroke-width="2" ${THIN_LINE}/>`
          : `<polyline class="median" points="${points}" fill="none" stroke="${MEDIAN_STROKE}" stroke-width="2"/>`,
      );
    }
    for (const point of segment) {
      if (point.thin === true) {
        elements.push(`<circle class="thin-point" cx="${x(point.time)}" cy="${y(point.median)}" ${THIN_POINT}/>`);
      } else if (segment.length === 1) {
        // A one-point polyline draws nothing.
        elements.push(
          `<circle class="point" cx="${x(point.time)}" cy="${y(point.median)}" r="2.5" fill="${MEDIAN_STROKE}"/>`,
        );
      }
    }
  }
  elements.push(
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottomY}" stroke="${AXIS_STROKE}"/>`,
    `<line class="axis" x1="${left}" y1="${bottomY}" x2="${left + plotWidth}" y2="${bottomY}" stroke="${AXIS_STROKE}"/>`,
    `<text x="16" y="${top + plotHeight / 2}" transform="rotate(-90 16 ${top + plotHeight / 2})" text-anchor="middle" font-size="12">travel time (m:ss)</text>`,
    `<text x="${left + plotWidth / 2}" y="${height - 12}" text-anchor="middle" font-size="12">time (UTC); blank: no estimate</text>`,
    `<rect x="${width - right - 190}" y="${height - 21}" width="14" height="10" fill="${BAND_FILL}" fill-opacity="0.6"/>`,
    `<text x="${width - right - 170}" y="${height - 12}" font-size="12">p15–p85</text>`,
    `<line x1="${width - right - 100}" y1="${height - 16}" x2="${width - right - 86}" y2="${height - 16}" stroke="${MEDIAN_STROKE}" stroke-width="2"/>`,
    `<text x="${width - right - 80}" y="${height - 12}" font-size="12">median</text>`,
  );
  if (chart.segments.some((segment) => segment.some((point) => point.thin === true))) {
    elements.push(
      // Above the plot's left end, clear of the title and of the typical band's entry on the right.
      `<line x1="${left}" y1="${top - 12}" x2="${left + 24}" y2="${top - 12}" stroke="${MEDIAN_STROKE}" stroke-width="2" ${THIN_LINE}/>`,
      `<circle cx="${left + 12}" cy="${top - 12}" ${THIN_POINT}/>`,
      `<text x="${left + 32}" y="${top - 8}" font-size="12">thin estimate: ${THIN_MEANING}</text>`,
    );
  }
  if (typical.length > 0) {
    elements.push(
      // Above the plot's right end: the bottom row holds the axis label and the other entries.
      `<rect x="${width - right - 190}" y="${top - 17}" width="14" height="10" fill="${TYPICAL_FILL}" fill-opacity="0.7"/>`,
      `<text x="${width - right - 170}" y="${top - 8}" font-size="12">typical p15–p85</text>`,
    );
  }

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${escapeXml(chartTitle(chart))}</title>`,
    ...elements.map((element) => `  ${element}`),
    '</svg>',
    '',
  ].join('\n');
}

/**
 * A run's median line cut where soundness changes: a stretch between two estimates is
 * thin when either end is (the line leans on it), and consecutive stretches alike make
 * one piece; neighbouring pieces share their end point. A run of one is one piece.
 */
function medianPieces(segment: readonly ChartPoint[]): { thin: boolean; points: ChartPoint[] }[] {
  const [first] = segment;
  if (segment.length === 1 && first !== undefined) return [{ thin: first.thin === true, points: [first] }];
  const pieces: { thin: boolean; points: ChartPoint[] }[] = [];
  for (let index = 1; index < segment.length; index += 1) {
    const [before, after] = [segment[index - 1]!, segment[index]!];
    const thin = before.thin === true || after.thin === true;
    const last = pieces[pieces.length - 1];
    if (last?.thin === thin) last.points.push(after);
    else pieces.push({ thin, points: [before, after] });
  }
  return pieces;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

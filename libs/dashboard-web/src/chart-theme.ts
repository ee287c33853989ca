import type uPlot from 'uplot';
import { timeTickLabels, timeTickSpace } from './format';

/**
 * uPlot's axes in the page's colours. A canvas cannot read CSS (`currentColor` means
 * nothing there), so the colours are read from the theme's custom properties when a
 * chart is made.
 */
export function themedAxis(axis: uPlot.Axis = {}): uPlot.Axis {
  const style = getComputedStyle(document.documentElement);
  const text = style.getPropertyValue('--text').trim() || '#000';
  const line = style.getPropertyValue('--line').trim() || '#ccc';
  return {
    stroke: text,
    grid: { stroke: line, width: 1 },
    ticks: { stroke: line, width: 1 },
    font: '14px system-ui, sans-serif',
    labelFont: '14px system-ui, sans-serif',
    ...axis,
  };
}

/** The x axis of a time chart: ticks in 24-hour time like the tables (uPlot's default is `4:00pm`). */
export function themedTimeAxis(): uPlot.Axis {
  return themedAxis({
    // Room for two lines: the time, and the date under the first tick and where the day changes.
    size: 56,
    space: (_u, _axisIndex, min, max, widthPx) => timeTickSpace(max - min, widthPx),
    values: (_u, ticks, _axisIndex, _space, increment) => timeTickLabels(ticks, increment),
  });
}

import type uPlot from 'uplot';

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

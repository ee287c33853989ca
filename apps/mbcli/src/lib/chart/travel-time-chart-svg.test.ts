import { beforeAll, describe, expect, it } from 'vitest';
import { chartSegments, type ChartEstimate } from './travel-time-chart';
import { renderSvgChart, SVG_LAYOUT } from './travel-time-chart-svg';

const T0 = Date.parse('2026-01-30T08:00:00Z');
const MINUTE = 60_000;
const steady = (minute: number): ChartEstimate => ({
  time: T0 + minute * MINUTE,
  medianSeconds: 90,
  p15Seconds: 60,
  p85Seconds: 120,
});

/** Checks that every tag closes in order and text holds no bare `<` or `&`; returns the elements by name. */
function parseElements(svg: string): { name: string; attributes: Record<string, string> }[] {
  const body = svg.replace(/^<\?xml [^?]*\?>\n/, '');
  const open: string[] = [];
  const elements: { name: string; attributes: Record<string, string> }[] = [];
  let text = '';
  let end = 0;
  for (const match of body.matchAll(/<(\/?)([a-z]+)((?:\s+[a-zA-Z0-9-]+="[^"<&]*")*)\s*(\/?)>/g)) {
    const [tag, closing, name, attributeText, selfClosing] = match;
    text += body.slice(end, match.index);
    end = match.index + tag.length;
    if (closing) {
      expect(open.pop()).toBe(name);
      continue;
    }
    const attributes = Object.fromEntries(
      [...(attributeText ?? '').matchAll(/([a-zA-Z0-9-]+)="([^"]*)"/g)].map(([, key, value]) => [
        key!,
        value!,
      ]),
    );
    elements.push({ name: name!, attributes });
    if (!selfClosing) open.push(name!);
  }
  text += body.slice(end);
  expect(open).toEqual([]);
  // What is left is text between tags: no markup and no unescaped ampersand.
  expect(text).not.toMatch(/[<>]|&(?!#\d+;)/);
  return elements;
}

describe('renderSvgChart', () => {
  // Minutes 0 and 1, then a gap (2 and 3 missing), then 4 alone, on a ten-minute axis.
  const chart = {
    source: 'a1',
    destination: 'b1',
    start: T0,
    end: T0 + 10 * MINUTE,
    segments: chartSegments([steady(0), steady(1), steady(4)]),
  };
  const svg = renderSvgChart(chart);
  // Parsing checks well-formedness (tags close in order, text escaped) before any test reads an element.
  let elements: ReturnType<typeof parseElements> = [];
  beforeAll(() => {
    elements = parseElements(svg);
  });
  const named = (name: string, className?: string) =>
    elements.filter(
      (element) =>
        element.name === name && (className === undefined || element.attributes['class'] === className),
    );

  it('is a standalone SVG document of the layout size with the title', () => {
    expect(
      svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'),
    ).toBe(true);
    const [root] = elements;
    expect(root?.attributes).toMatchObject({ width: '900', height: '420', viewBox: '0 0 900 420' });
    expect(svg).toContain('<title>travel time a1 → b1, 2026-01-30T08:00:00Z – 2026-01-30T08:10:00Z</title>');
  });

  it('draws one band polygon and one median polyline per run, at exact coordinates', () => {
    // x: 72 + minutes / 10 × 804; y: 48 + (120 − seconds) / 60 × 316 on the 1:00–2:00 axis.
    expect(named('polygon', 'band').map((element) => element.attributes['points'])).toEqual([
      '72,48 152.4,48 152.4,364 72,364',
      '393.6,48 393.6,364',
    ]);
    expect(named('polyline', 'median').map((element) => element.attributes['points'])).toEqual([
      '72,206 152.4,206',
      '393.6,206',
    ]);
    // A run of one point also gets a dot, since a one-point polyline draws nothing.
    expect(named('circle').map((element) => [element.attributes['cx'], element.attributes['cy']])).toEqual([
      ['393.6', '206'],
    ]);
  });

  it('labels the value axis in m:ss and the time axis in UTC at their ticks', () => {
    expect(named('text', 'y-label').map((element) => element.attributes['y'])).toEqual([
      '364',
      '311.3',
      '258.7',
      '206',
      '153.3',
      '100.7',
      '48',
    ]);
    expect(svg).toMatch(/class="y-label"[^>]*>1:00<\/text>/);
    expect(svg).toMatch(/class="y-label"[^>]*>2:00<\/text>/);
    const xLabels = named('text', 'x-label').map((element) => element.attributes['x']);
    // Two-minute ticks: 08:00 at the left edge, 08:10 at the right.
    expect(xLabels).toEqual(['72', '232.8', '393.6', '554.4', '715.2', '876']);
    expect(svg).toContain('>08:10</text>');
    expect(SVG_LAYOUT.width - SVG_LAYOUT.right).toBe(876);
  });
});

describe('renderSvgChart with a typical profile', () => {
  const base = {
    source: 'a1',
    destination: 'c1',
    route: 'east',
    start: T0,
    end: T0 + 10 * MINUTE,
    segments: chartSegments([steady(0), steady(1)]),
  };

  it('draws the typical p15–p85 band behind the estimates and names it in the legend', () => {
    const svg = renderSvgChart({
      ...base,
      typical: [
        [
          { time: T0, median: 60, p15: 30, p85: 90 },
          { time: T0 + 10 * MINUTE, median: 60, p15: 30, p85: 90 },
        ],
      ],
    });
    const elements = parseElements(svg);
    const typical = elements.filter((element) => element.attributes['class'] === 'typical-band');
    // The axis now runs from 0:30 (the band's p15, at the bottom: 364) to 2:00 (the top: 48);
    // 1:30 (its p85) lies a third of the way down.
    expect(typical.map((element) => element.attributes['points'])).toEqual([
      '72,153.3 876,153.3 876,364 72,364',
    ]);
    const order = elements.map((element) => element.attributes['class']);
    expect(order.indexOf('typical-band')).toBeLessThan(order.indexOf('band'));
    expect(svg).toContain('>typical p15–p85</text>');
    expect(svg).toContain(
      '<title>travel time route east, 2026-01-30T08:00:00Z – 2026-01-30T08:10:00Z</title>',
    );
  });

  it('draws no typical band, and no legend for one, without a profile', () => {
    const svg = renderSvgChart(base);
    expect(svg).not.toContain('typical');
  });
});

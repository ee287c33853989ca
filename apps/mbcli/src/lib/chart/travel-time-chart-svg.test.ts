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
  status: 'ok',
  validSamples: 10,
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
    // x: 72 + minutes / 10 × 804; y: 48 + (120 − seconds) / 120 × 316 on the 0:00–2:00 axis.
    expect(named('polygon', 'band').map((element) => element.attributes['points'])).toEqual([
      '72,48 152.4,48 152.4,206 72,206',
      '393.6,48 393.6,206',
    ]);
    expect(named('polyline', 'median').map((element) => element.attributes['points'])).toEqual([
      '72,127 152.4,127',
      '393.6,127',
    ]);
    // A run of one point also gets a dot, since a one-point polyline draws nothing.
    expect(named('circle').map((element) => [element.attributes['cx'], element.attributes['cy']])).toEqual([
      ['393.6', '127'],
    ]);
    // Every estimate is sound: nothing is drawn, or explained, as thin.
    expect(svg).not.toContain('thin');
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
    // From 0, in round 20-second steps.
    expect(svg).toMatch(/class="y-label"[^>]*>0:00<\/text>/);
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
    // On the 0:00–2:00 axis 1:30 (its p85) lies a quarter of the way down, 0:30 (its p15) three quarters.
    expect(typical.map((element) => element.attributes['points'])).toEqual([
      '72,127 876,127 876,285 72,285',
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

describe('renderSvgChart with a thin estimate', () => {
  // Minutes 0 to 4, where minute 2's estimate rests on a single trip.
  const single: ChartEstimate = {
    time: T0 + 2 * MINUTE,
    medianSeconds: 100,
    p15Seconds: 100,
    p85Seconds: 100,
    status: 'insufficient_data',
    validSamples: 1,
  };
  const svg = renderSvgChart({
    source: 'a1',
    destination: 'b1',
    start: T0,
    end: T0 + 10 * MINUTE,
    segments: chartSegments([steady(0), steady(1), single, steady(3), steady(4)]),
  });
  const elements = parseElements(svg);
  const ofClass = (className: string) =>
    elements
      .filter((element) => element.attributes['class'] === className)
      .map((element) => element.attributes);

  it('draws exactly that point hollow, and the line through it dashed and lighter', () => {
    // Minute 2 at x = 72 + 0.2 × 804 = 232.8; 100 s at y = 48 + 20 / 120 × 316 = 100.7.
    expect(ofClass('thin-point')).toEqual([
      {
        class: 'thin-point',
        cx: '232.8',
        cy: '100.7',
        r: '3.5',
        fill: 'white',
        stroke: '#08519c',
        'stroke-width': '1.5',
      },
    ]);
    expect(ofClass('point')).toEqual([]);
    // Solid up to minute 1, dashed from minute 1 through 2 to 3, solid again from 3 (90 s at y = 127).
    expect(ofClass('median').map((attributes) => attributes['points'])).toEqual([
      '72,127 152.4,127',
      '313.2,127 393.6,127',
    ]);
    const thinLines = ofClass('median-thin');
    expect(thinLines.map((attributes) => attributes['points'])).toEqual(['152.4,127 232.8,100.7 313.2,127']);
    expect(thinLines[0]).toMatchObject({ 'stroke-dasharray': '5 4', 'stroke-opacity': '0.5' });
    expect(ofClass('median')[0]).not.toHaveProperty('stroke-dasharray');
  });

  it('says in a legend line what thin means', () => {
    expect(svg).toContain('>thin estimate: status not ok or fewer than 3 valid samples</text>');
  });
});

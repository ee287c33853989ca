import { describe, expect, it } from 'vitest';
import { chartSegments, type ChartEstimate, type TravelTimeChart } from './travel-time-chart';
import { renderTextChart } from './travel-time-chart-text';

const T0 = Date.parse('2026-01-30T08:00:00Z');
const MINUTE = 60_000;
const LEGEND = '░ p15–p85  ● median  blank: no estimate  (y m:ss, x UTC)';

function chartOf(estimates: ChartEstimate[], minutes: number): TravelTimeChart {
  return {
    source: 'a1',
    destination: 'b1',
    start: T0,
    end: T0 + minutes * MINUTE,
    segments: chartSegments(estimates),
  };
}
const steady = (minute: number): ChartEstimate => ({
  time: T0 + minute * MINUTE,
  medianSeconds: 90,
  p15Seconds: 60,
  p85Seconds: 120,
  status: 'ok',
  validSamples: 10,
});

describe('renderTextChart', () => {
  it('shades the band, marks the median, and leaves missing intervals blank', () => {
    // Ten columns of a minute each; intervals 4 and 5 were never estimated.
    const chart = chartOf([0, 1, 2, 3, 6, 7, 8, 9].map(steady), 10);
    expect(renderTextChart(chart, { width: 16, height: 5 }).split('\n')).toEqual([
      'travel time a1 → b1, 2026-01-30T08:00:00Z – 2026-01-30T08:10:00Z',
      '2:00 ┤░░░░  ░░░░',
      '     │●●●●  ●●●●',
      '1:00 ┤░░░░  ░░░░',
      '     │          ',
      '0:00 ┤          ',
      '     └┬─────────',
      '    08:00',
      LEGEND,
    ]);
  });

  it('leaves the column of an estimate without a median blank', () => {
    const chart = chartOf([0, 1, 2, 3, 4, 5].map(steady).concat({ time: T0 + 6 * MINUTE }, steady(7)), 8);
    const lines = renderTextChart(chart, { width: 14, height: 5 }).split('\n');
    expect(lines.slice(1, 6)).toEqual([
      '2:00 ┤░░░░░░ ░',
      '     │●●●●●● ●',
      '1:00 ┤░░░░░░ ░',
      '     │        ',
      '0:00 ┤        ',
    ]);
  });

  it('follows the line between two consecutive estimates across the columns between them', () => {
    const point = (minute: number, seconds: number): ChartEstimate => ({
      time: T0 + minute * MINUTE,
      medianSeconds: seconds,
      p15Seconds: seconds,
      p85Seconds: seconds,
      status: 'ok',
      validSamples: 5,
    });
    const chart = chartOf([point(0, 60), point(8, 120)], 10);
    expect(renderTextChart(chart, { width: 16, height: 9 }).split('\n').slice(1, 10)).toEqual([
      '2:00 ┤       ●● ',
      '     │     ●●   ',
      '1:30 ┤   ●●     ',
      '     │ ●●       ',
      '1:00 ┤●         ',
      '     │          ',
      '0:30 ┤          ',
      '     │          ',
      '0:00 ┤          ',
    ]);
  });

  it('labels round UTC times under their ticks and drops a label that would overrun the width', () => {
    const chart = chartOf(
      Array.from({ length: 60 }, (_, index) => steady(index + 1)),
      60,
    );
    const lines = renderTextChart(chart, { width: 80, height: 5 }).split('\n');
    expect(lines[6]).toBe(
      `     └┬${'─'.repeat(11)}┬${'─'.repeat(11)}┬${'─'.repeat(12)}┬${'─'.repeat(11)}┬${'─'.repeat(11)}┬${'─'.repeat(11)}┬`,
    );
    expect(lines[7]).toBe('    08:00       08:10       08:20        08:30       08:40       08:50');
    expect(lines.every((line) => [...line].length <= 80)).toBe(true);
  });

  it('draws the typical band as · behind the estimates and names it in the legend', () => {
    const chart: TravelTimeChart = {
      ...chartOf([0, 1, 2, 3].map(steady), 10),
      route: 'east',
      typical: [
        [
          { time: T0, median: 60, p15: 30, p85: 90 },
          { time: T0 + 10 * MINUTE, median: 60, p15: 30, p85: 90 },
        ],
      ],
    };
    expect(renderTextChart(chart, { width: 16, height: 7 }).split('\n')).toEqual([
      'travel time route east, 2026-01-30T08:00:00Z – 2026-01-30T08:10:00Z',
      '2:00 ┤░░░░      ',
      '     │░░░░      ',
      '     │●●●●······',
      '1:00 ┤░░░░······',
      '     │··········',
      '     │··········',
      '0:00 ┤          ',
      '     └┬─────────',
      '    08:00',
      '░ p15–p85  ● median  · typical p15–p85  blank: no estimate  (y m:ss, x UTC)',
    ]);
  });

  it('marks a thin estimate ○ at its column and along the stretches leaning on it, and explains ○', () => {
    // Ten columns of a minute each; minute 6's estimate rests on one trip, minute 2's on two.
    const thin = (minute: number, validSamples: number): ChartEstimate => ({
      ...steady(minute),
      status: 'insufficient_data',
      validSamples,
    });
    const lines = renderTextChart(chartOf([0, 1, 3, 4, 5, 6, 7, 8, 9].map(steady).concat(thin(2, 2)), 10), {
      width: 16,
      height: 5,
    }).split('\n');
    expect(lines[2]).toBe('     │●●○●●●●●●●');
    const single = renderTextChart(chartOf([0, 1, 2, 3, 4, 5, 7, 8, 9].map(steady).concat(thin(6, 1)), 10), {
      width: 16,
      height: 5,
    }).split('\n');
    expect([...single[2]!].indexOf('○')).toBe('     │'.length + 6);
    expect(single[2]).toBe('     │●●●●●●○●●●');
    // The first legend line stays as on every chart; a second one says what ○ is.
    expect(single.slice(-2)).toEqual([
      LEGEND,
      '○ thin estimate: status not ok or fewer than 3 valid samples',
    ]);
    // Between a sound estimate and a thin one three minutes on, the line leans on the thin one.
    const apart = renderTextChart(chartOf([steady(0), thin(3, 1)], 10), { width: 16, height: 5 }).split('\n');
    expect(apart[2]).toBe('     │●○○○      ');
  });

  it('has no thin legend line when every estimate is sound', () => {
    const lines = renderTextChart(chartOf([0, 1, 2].map(steady), 10), { width: 16, height: 5 }).split('\n');
    expect(lines[lines.length - 1]).toBe(LEGEND);
  });

  it('keeps the axis from 0 with round ticks for a series between 95 and 105 s', () => {
    const wobble = (minute: number, seconds: number): ChartEstimate => ({
      time: T0 + minute * MINUTE,
      medianSeconds: seconds,
      p15Seconds: 95,
      p85Seconds: 105,
      status: 'ok',
      validSamples: 6,
    });
    const lines = renderTextChart(chartOf([wobble(0, 96), wobble(1, 104), wobble(2, 100)], 10), {
      width: 30,
      height: 13,
    }).split('\n');
    const labels = lines.slice(1, 14).flatMap((line) => /^ *(\d+:\d\d) ┤/.exec(line)?.[1] ?? []);
    expect(labels).toEqual(['2:00', '1:40', '1:20', '1:00', '0:40', '0:20', '0:00']);
  });
});

import { describe, expect, it } from 'vitest';
import { median } from './percentiles';
import { filterTravelTimes } from './sample-filter';

/**
 * Steady traffic around 300 s: median 300, MAD 5 (scaled 7.4, floored to 5 % = 15 s),
 * so with k = 3 a sample is valid within [300 − 90, 300 + 45] = [210, 345].
 */
const STEADY = [300, 305, 295, 310, 290, 302, 298];
/** The same around 600 s: spread 30 s, valid within [420, 690]. */
const CONGESTED = STEADY.map((value) => value * 2);

function acceptedOf(values: number[], outlierK = 3): boolean[] {
  return [...filterTravelTimes(values, outlierK).accepted];
}

describe('filterTravelTimes', () => {
  it('rejects long outliers against the median and MAD of recent accepted samples', () => {
    const result = filterTravelTimes([...STEADY, 900, 304, 1200, 299], 3);
    expect(result).toEqual({ accepted: [...STEADY.map(() => true), false, true, false, true] });
  });

  it('bounds the slow side at m + k·s and the fast side twice as far, at m − 2k·s', () => {
    expect(acceptedOf([...STEADY, 345]).at(-1)).toBe(true);
    expect(acceptedOf([...STEADY, 345.001]).at(-1)).toBe(false);
    expect(acceptedOf([...STEADY, 210]).at(-1)).toBe(true);
    expect(acceptedOf([...STEADY, 209.999]).at(-1)).toBe(false);
  });

  it('takes k from the caller', () => {
    expect(acceptedOf([...STEADY, 330], 3).at(-1)).toBe(true);
    expect(acceptedOf([...STEADY, 330], 1.5).at(-1)).toBe(false);
  });

  it('with 1 to 4 accepted samples accepts up to 1.5 × their median, and any faster sample', () => {
    expect(acceptedOf([300, 450])).toEqual([true, true]);
    expect(acceptedOf([300, 450.1])).toEqual([true, false]);
    expect(acceptedOf([300, 30])).toEqual([true, true]);
    expect(acceptedOf([300, 310, 290, 305, 453.75])).toEqual([true, true, true, true, true]);
    expect(acceptedOf([300, 310, 290, 305, 700])).toEqual([true, true, true, true, false]);
    expect(acceptedOf([])).toEqual([]);
  });

  it('undoes a wrong start: a stopped vehicle first, then two agreeing ordinary trips', () => {
    expect(filterTravelTimes([1300, 300, 310, 305, 295, 302], 3)).toEqual({
      accepted: [true, true, true, true, true, true],
      regimeStart: 1,
    });
  });

  it('follows a congestion onset (300 s → 600 s) on the second agreeing slow sample', () => {
    const step = [...STEADY, 600, 610, 590, 605];
    const firstNew = STEADY.length;
    // One slow sample could be a stop: the estimate stays with the old traffic.
    expect(filterTravelTimes(step.slice(0, firstNew + 1), 3)).toEqual({
      accepted: [...STEADY.map(() => true), false],
    });
    const result = filterTravelTimes(step.slice(0, firstNew + 2), 3);
    expect(result).toEqual({ accepted: [...STEADY.map(() => true), true, true], regimeStart: firstNew });
    const estimate = median(step.slice(firstNew, firstNew + 2)) as number;
    expect(Math.abs(estimate - 600) / 600).toBeLessThanOrEqual(0.15);
    expect(filterTravelTimes(step, 3)).toEqual({ accepted: step.map(() => true), regimeStart: firstNew });
  });

  it('needs a third agreeing sample beyond 2.5 times the current travel time', () => {
    const incident = [...STEADY, 1000, 1010, 990];
    expect(filterTravelTimes(incident.slice(0, -1), 3).regimeStart).toBeUndefined();
    expect(filterTravelTimes(incident, 3)).toEqual({ accepted: incident.map(() => true), regimeStart: 7 });
  });

  it('undoes two alike stops taken for a jam on the next two ordinary trips', () => {
    expect(filterTravelTimes([...STEADY, 700, 710, 300, 305], 3)).toEqual({
      accepted: [...STEADY.map(() => true), true, true, true, true],
      regimeStart: 9,
    });
  });

  it('finds the new regime past a stopped vehicle among the slow samples, which stays rejected', () => {
    const result = filterTravelTimes([...STEADY, 600, 1500, 610, 590], 3);
    expect(result).toEqual({
      accepted: [...STEADY.map(() => true), true, false, true, true],
      regimeStart: 7,
    });
  });

  it('does not take slow samples that disagree (stops of different lengths) for a new regime', () => {
    expect(filterTravelTimes([...STEADY, 700, 1100, 900, 301], 3)).toEqual({
      accepted: [...STEADY.map(() => true), false, false, false, true],
    });
  });

  it('follows a building queue: 3 slow samples rising in order within ±25 %, not within ±2 spreads', () => {
    // Beyond 2.5× the median, so 3 must agree; ±2 spreads (±10 %) holds only 960 and 1000.
    expect(filterTravelTimes([...STEADY, 800, 960, 1000], 3)).toEqual({
      accepted: [...STEADY.map(() => true), true, true, true],
      regimeStart: 7,
    });
    // The same lengths falling in order are no queue building.
    expect(filterTravelTimes([...STEADY, 1000, 960, 800], 3)).toEqual({
      accepted: [...STEADY.map(() => true), false, false, false],
    });
  });

  it('follows a clearing queue (600 s → 300 s) on the second agreeing fast sample', () => {
    expect(filterTravelTimes([...CONGESTED, 300], 3).regimeStart).toBeUndefined();
    expect(filterTravelTimes([...CONGESTED, 300, 305], 3)).toEqual({
      accepted: [...CONGESTED.map(() => true), true, true],
      regimeStart: 7,
    });
  });

  it('ends a run of far samples at a near one', () => {
    expect(filterTravelTimes([...STEADY, 600, 300, 610], 3)).toEqual({
      accepted: [...STEADY.map(() => true), false, true, false],
    });
  });

  it('judges each sample against the 15 most recent accepted ones', () => {
    // A slow drift, all accepted: 15 trips at 300 s, then 15 at 340 s.
    const drift = [...Array.from({ length: 15 }, () => 300), ...Array.from({ length: 15 }, () => 340)];
    // Only the 340s count (spread floored to 17 s, valid up to 391); all 30 would allow 409.
    expect(acceptedOf([...drift, 391])).toEqual([...drift.map(() => true), true]);
    expect(acceptedOf([...drift, 400])).toEqual([...drift.map(() => true), false]);
  });

  it('refuses a k that is not a positive number', () => {
    expect(() => filterTravelTimes([], 0)).toThrow(
      new RangeError('outlierK must be a finite number > 0, got 0'),
    );
  });
});

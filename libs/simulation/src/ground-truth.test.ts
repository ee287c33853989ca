import { NANOS_PER_SECOND, type UnixNanos } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { corridorScenario, EVENING_JAM, MORNING_JAM } from './corridor';
import { groundTruth } from './ground-truth';
import { congestionFactor } from './timeline';

const MIDNIGHT: UnixNanos = BigInt(Date.UTC(2026, 10, 30)) * 1_000_000n;

function at(hours: number, minutes = 0, seconds = 0): UnixNanos {
  return MIDNIGHT + BigInt(hours * 3600 + minutes * 60 + seconds) * NANOS_PER_SECOND;
}

describe('congestionFactor', () => {
  const episode = { startSecondOfDay: 3600, rampSeconds: 600, holdSeconds: 1200, peakFactor: 2 };

  it('ramps up linearly, holds the peak, ramps down, and is 1 outside', () => {
    expect(congestionFactor([episode], 3599)).toBe(1);
    expect(congestionFactor([episode], 3600)).toBe(1);
    expect(congestionFactor([episode], 3900)).toBe(1.5);
    expect(congestionFactor([episode], 4200)).toBe(2);
    expect(congestionFactor([episode], 5399)).toBe(2);
    expect(congestionFactor([episode], 5700)).toBe(1.5);
    expect(congestionFactor([episode], 6000)).toBe(1);
    expect(congestionFactor([], 4200)).toBe(1);
  });

  it('wraps around midnight and takes the worst of overlapping episodes', () => {
    const overnight = { startSecondOfDay: 86_000, rampSeconds: 400, holdSeconds: 400, peakFactor: 3 };
    expect(congestionFactor([overnight], 0)).toBe(3);
    expect(congestionFactor([overnight], 86_200)).toBe(2);
    const mild = { ...episode, peakFactor: 1.2 };
    expect(congestionFactor([mild, episode], 4200)).toBe(2);
  });
});

describe('groundTruth of the corridor', () => {
  const truth = groundTruth(corridorScenario());
  const link = (source: string, destination: string) => {
    const found = truth.links.find(
      (candidate) => candidate.source === source && candidate.destination === destination,
    );
    if (found === undefined) throw new Error(`no link ${source}→${destination}`);
    return found;
  };

  it('is free flow at night: length over speed', () => {
    const d05d06 = link('D05', 'D06');
    expect(d05d06.roadMeters).toBe(2678);
    expect(d05d06.freeFlowSeconds).toBeCloseTo(2678 / (100 / 3.6), 9);
    expect(truth.travelSeconds(d05d06, at(3))).toBeCloseTo(d05d06.freeFlowSeconds, 9);
  });

  it('doubles on the morning-jam links at the peak and is back to free flow by noon', () => {
    const peak = at(6, 45, MORNING_JAM.rampSeconds + 600);
    for (const [source, destination] of [
      ['D05', 'D06'],
      ['D06', 'D07'],
      ['D07', 'D08'],
      ['D08', 'D09'],
    ] as const) {
      const jammed = link(source, destination);
      expect(truth.travelSeconds(jammed, peak)).toBeCloseTo(2 * jammed.freeFlowSeconds, 9);
      expect(truth.travelSeconds(jammed, at(6, 45, MORNING_JAM.rampSeconds / 2))).toBeCloseTo(
        1.5 * jammed.freeFlowSeconds,
        9,
      );
      expect(truth.travelSeconds(jammed, at(12))).toBeCloseTo(jammed.freeFlowSeconds, 9);
    }
    const untouched = link('D01', 'D02');
    expect(truth.travelSeconds(untouched, peak)).toBeCloseTo(untouched.freeFlowSeconds, 9);
  });

  it('has the evening jam at 1.8 times free flow near the start of the corridor', () => {
    const peak = at(15, 30, EVENING_JAM.rampSeconds + 60);
    const jammed = link('D03', 'D04');
    expect(truth.travelSeconds(jammed, peak)).toBeCloseTo(1.8 * jammed.freeFlowSeconds, 9);
    expect(truth.travelSeconds(link('D09', 'D10'), peak)).toBeCloseTo(link('D09', 'D10').freeFlowSeconds, 9);
  });

  it('gives a skip link the time of its segments driven one after the other', () => {
    const skip = link('D06', 'D08');
    const first = link('D06', 'D07');
    const second = link('D07', 'D08');
    expect(skip.freeFlowSeconds).toBeCloseTo(first.freeFlowSeconds + second.freeFlowSeconds, 9);
    // On the ramp, the second segment is entered later, when it is slower.
    const entry = at(6, 50);
    const firstSeconds = truth.travelSeconds(first, entry);
    const exit = entry + BigInt(Math.round(firstSeconds * 1e9));
    expect(truth.travelSeconds(skip, entry)).toBeCloseTo(firstSeconds + truth.travelSeconds(second, exit), 6);
  });

  it('inverts entry into arrival: a vehicle arriving at t left at t − travelSecondsArrivingAt(t)', () => {
    const jammed = link('D05', 'D06');
    for (const arrival of [at(2), at(6, 52), at(7, 1, 30), at(8, 5)]) {
      const travel = truth.travelSecondsArrivingAt(jammed, arrival);
      const entry = arrival - BigInt(Math.round(travel * 1e9));
      expect(truth.travelSeconds(jammed, entry)).toBeCloseTo(travel, 6);
    }
  });

  it('rejects a link the scenario does not have', () => {
    expect(() => truth.travelSeconds({ source: 'D01', destination: 'D03' }, at(1))).toThrow(
      'link: is "D01" → "D03", which is not a link of the scenario',
    );
  });
});

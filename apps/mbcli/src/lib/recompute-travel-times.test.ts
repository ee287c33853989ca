import { describe, expect, it } from 'vitest';
import { describeRecompute, formatSpan, recomputeReport } from './recompute-travel-times';

const halfway = {
  destinations: 4,
  destinationsDone: 1,
  spanSeconds: 4 * 7200,
  spanSecondsDone: 14_400,
  done: false,
};

describe('recompute progress and summary', () => {
  it('fills the bar by the seconds done, and names destinations and span', () => {
    expect(recomputeReport(halfway)).toEqual({ fraction: 0.5, text: '50% 1 of 4 destinations, 4h of 8h' });
    const nothing = {
      destinations: 1,
      destinationsDone: 0,
      spanSeconds: 90,
      spanSecondsDone: 0,
      done: false,
    };
    expect(recomputeReport(nothing)).toEqual({ fraction: 0, text: '0% 0 of 1 destination, 0s of 1m 30s' });
  });

  it('says spans in the two largest units', () => {
    expect([0, 45, 60, 90, 3600, 5400, 86_400, 90_000, 86_460].map(formatSpan)).toEqual([
      '0s',
      '45s',
      '1m',
      '1m 30s',
      '1h',
      '1h 30m',
      '1d',
      '1d 1h',
      '1d',
    ]);
  });

  it('sums up how following ended', () => {
    const done = { ...halfway, destinationsDone: 4, spanSecondsDone: 28_800, done: true };
    expect(describeRecompute({ outcome: 'done', last: done }, 12.34)).toBe(
      'recomputed 4 destinations, 8h of intervals in all, in 12.3s',
    );
    expect(
      describeRecompute(
        { outcome: 'submitted', last: { ...halfway, destinationsDone: 0, spanSecondsDone: 0 } },
        0.2,
      ),
    ).toBe(
      'submitted: 4 destinations, 8h of intervals in all; the travel-time workers recompute them in the background',
    );
    expect(describeRecompute({ outcome: 'interrupted', last: halfway }, 61)).toBe(
      'stopped following after 61.0s at 50% 1 of 4 destinations, 4h of 8h; the travel-time workers finish the rest in the background',
    );
    expect(describeRecompute({ outcome: 'interrupted', last: undefined }, 0.5)).toBe(
      'stopped after 0.5s before the query service answered',
    );
  });
});

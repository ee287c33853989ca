import { describe, expect, it } from 'vitest';
import { IntervalSchedule } from './interval-schedule';

const S = 1_000_000_000n;

describe('IntervalSchedule', () => {
  const schedule = new IntervalSchedule(60, 30);

  it('makes the interval ending at T due at T + lag, with ends on multiples of the interval', () => {
    const end = 999_999_960n * S; // a multiple of 60 s
    expect(schedule.lastDue(end + 29n * S)).toBe(end - 60n * S);
    expect(schedule.lastDue(end + 30n * S)).toBe(end);
    expect(schedule.lastDue(end + 89n * S)).toBe(end);
    expect(schedule.lastDue(end + 90n * S)).toBe(end + 60n * S);
    expect(schedule.nextDueAt(end + 29n * S)).toBe(end + 30n * S);
    expect(schedule.nextDueAt(end + 30n * S)).toBe(end + 90n * S);
  });

  it('finds the first end after a time, and counts ends in a span', () => {
    expect(schedule.firstEndAfter(1_000_000_020n * S)).toBe(1_000_000_080n * S);
    expect(schedule.firstEndAfter(1_000_000_019n * S)).toBe(1_000_000_020n * S);
    expect(schedule.firstEndAfter(1_000_000_020n * S - 1n)).toBe(1_000_000_020n * S);
    expect(schedule.countBetween(960n * S, 1_200n * S)).toBe(4);
    expect(schedule.countBetween(1_200n * S, 960n * S)).toBe(0);
    expect(schedule.before(1_200n * S, 3)).toBe(1_020n * S);
  });
});

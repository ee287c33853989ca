import { describe, expect, it } from 'vitest';
import { PerKeyLogThrottle } from './log-throttle';

describe('PerKeyLogThrottle', () => {
  it('lets one line per key through each period and counts the held ones in the next', () => {
    const clock = { ms: 0 };
    const throttle = new PerKeyLogThrottle(60_000, () => clock.ms);
    expect(throttle.admit('10.0.0.1')).toBe(0);
    expect(throttle.admit('10.0.0.2')).toBe(0);
    clock.ms = 59_999;
    expect([throttle.admit('10.0.0.1'), throttle.admit('10.0.0.1')]).toEqual([undefined, undefined]);
    clock.ms = 60_000;
    expect(throttle.admit('10.0.0.1')).toBe(2);
    expect(throttle.admit('10.0.0.2')).toBe(0);
    expect(throttle.admit('10.0.0.1')).toBeUndefined();
    clock.ms = 10 * 60_000;
    expect(throttle.admit('10.0.0.1')).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { requiredRangeFlags } from './time-range';

describe('requiredRangeFlags', () => {
  it('reads both sides, and defaults --before to now', () => {
    const after = { seconds: 1_769_760_000n, nanos: 0 };
    const before = { seconds: 1_769_763_600n, nanos: 0 };
    expect(requiredRangeFlags({ after, before }, 0)).toEqual({ after, before });
    expect(requiredRangeFlags({ after }, Date.parse('2026-01-30T09:00:00.700Z')).before).toEqual({
      seconds: 1_769_763_600n,
      nanos: 0,
    });
  });

  it('refuses a range that ends before it starts, naming both times', () => {
    expect(() =>
      requiredRangeFlags(
        { after: { seconds: 1_769_763_600n, nanos: 0 }, before: { seconds: 1_769_760_000n, nanos: 0 } },
        0,
      ),
    ).toThrow('--after 2026-01-30T09:00:00.000Z is not before --before 2026-01-30T08:00:00.000Z');
  });
});

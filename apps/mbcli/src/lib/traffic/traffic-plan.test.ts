import { describe, expect, it } from 'vitest';
import { delayUntil, trafficPlan } from './traffic-plan';

const NOW = Date.parse('2026-01-30T12:00:00Z');
const nanos = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

describe('trafficPlan', () => {
  it('runs real time from now, and faster runs or backfills over the period ending now', () => {
    expect(trafficPlan({ durationSeconds: 3600, speed: 1, backfill: false, nowMillis: NOW }).start).toBe(
      nanos('2026-01-30T12:00:00Z'),
    );
    expect(trafficPlan({ durationSeconds: 3600, speed: 600, backfill: false, nowMillis: NOW })).toEqual({
      start: nanos('2026-01-30T11:00:00Z'),
      durationSeconds: 3600,
      speed: 600,
    });
    expect(
      trafficPlan({ durationSeconds: 60, speed: 1, backfill: true, nowMillis: NOW }).speed,
    ).toBeUndefined();
    expect(
      trafficPlan({
        start: nanos('2026-01-01T06:00:00Z'),
        durationSeconds: 60,
        speed: 60,
        backfill: false,
        nowMillis: NOW,
      }).start,
    ).toBe(nanos('2026-01-01T06:00:00Z'));
  });

  it('rejects a speed or duration that cannot be used, naming the flag', () => {
    expect(() => trafficPlan({ durationSeconds: 60, speed: 0, backfill: false, nowMillis: NOW })).toThrow(
      '--speed 0',
    );
    expect(() => trafficPlan({ durationSeconds: -1, speed: 1, backfill: false, nowMillis: NOW })).toThrow(
      '--duration -1',
    );
  });
});

describe('delayUntil', () => {
  it('maps simulated time to wall time at the plan speed, and never waits in a backfill', () => {
    const plan = trafficPlan({ durationSeconds: 3600, speed: 60, backfill: false, nowMillis: NOW });
    // One simulated minute after start is one wall second after the run began.
    expect(delayUntil(plan, 1000, plan.start + 60_000_000_000n, 1500)).toBe(500);
    const backfill = trafficPlan({ durationSeconds: 3600, speed: 60, backfill: true, nowMillis: NOW });
    expect(delayUntil(backfill, 1000, backfill.start + 60_000_000_000n, 1000)).toBe(0);
  });
});

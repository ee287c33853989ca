import type { DetectorHealth, DetectorId } from '@message-bus/domain';
import { describe, expect, it } from 'vitest';
import { decodeDetectorHealthValue, encodeDetectorHealthValue } from './detector-health-value';

const detectorId = 'det-1' as DetectorId;
const health: DetectorHealth = {
  detectorId,
  checkedAt: 1563691800000000001n,
  lastSeen: 1563691700139778436n,
  problems: ['battery_low', 'clock_skew'],
  clockSkewSeconds: 12.5,
  batteryVoltsPerDay: -0.02,
};

describe('detector health value', () => {
  it('writes JSON with exact nanoseconds (golden) and reads it back exactly', () => {
    const bytes = encodeDetectorHealthValue(health);
    expect(Buffer.from(bytes).toString()).toBe(
      '{"checked_at":"1563691800000000001","last_seen":"1563691700139778436","problems":["battery_low","clock_skew"],' +
        '"clock_skew_seconds":12.5,"battery_volts_per_day":-0.02}',
    );
    expect(decodeDetectorHealthValue(bytes, detectorId)).toStrictEqual({ ok: true, value: health });
    const healthy: DetectorHealth = { detectorId, checkedAt: 5n, problems: [] };
    expect(decodeDetectorHealthValue(encodeDetectorHealthValue(healthy), detectorId)).toStrictEqual({
      ok: true,
      value: healthy,
    });
  });

  it('refuses a problem that is no alert kind, naming the field', () => {
    expect(() => encodeDetectorHealthValue({ ...health, problems: ['sad' as never] }, 'health[3]')).toThrow(
      /^health\[3\]\.problems\[0\]: "sad"/,
    );
  });

  it('rejects malformed values with a reason', () => {
    expect(
      decodeDetectorHealthValue(Buffer.from('{"checked_at":"1","problems":["sad"]}'), detectorId),
    ).toMatchObject({
      ok: false,
    });
    expect(decodeDetectorHealthValue(Buffer.from('{"problems":[]}'), detectorId)).toEqual({
      ok: false,
      reason: "value's checked_at is missing",
    });
  });
});

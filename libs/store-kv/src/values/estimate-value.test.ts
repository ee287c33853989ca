import type { DetectorId, TravelTimeEstimate } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeEstimateValue, encodeEstimateValue } from './estimate-value';

const full: TravelTimeEstimate = {
  source: 'a' as DetectorId,
  destination: 'b' as DetectorId,
  intervalEnd: 1563691800000000001n,
  windowSeconds: 300,
  medianSeconds: 61.5,
  p15Seconds: 55,
  p85Seconds: 70,
  meanSeconds: 62.25,
  validSamples: 12,
  totalSamples: 14,
  speedKmh: 48.5,
  status: 'ok',
};
const key = { source: full.source, destination: full.destination, intervalEnd: full.intervalEnd };

describe('estimate value', () => {
  it('writes JSON with the interval end as exact decimal text (golden)', () => {
    expect(Buffer.from(encodeEstimateValue(full)).toString()).toBe(
      '{"interval_end":"1563691800000000001","window_seconds":300,"median_seconds":61.5,"p15_seconds":55,' +
        '"p85_seconds":70,"mean_seconds":62.25,"speed_kmh":48.5,"valid_samples":12,"total_samples":14,"status":"ok"}',
    );
  });

  it('round-trips full and sparse estimates', () => {
    expect(decodeEstimateValue(encodeEstimateValue(full), key)).toEqual({ ok: true, value: full });
    const sparse: TravelTimeEstimate = {
      ...key,
      windowSeconds: 300,
      validSamples: 0,
      totalSamples: 3,
      status: 'insufficient_data',
    };
    const decoded = decodeEstimateValue(encodeEstimateValue(sparse), key);
    expect(decoded).toStrictEqual({ ok: true, value: sparse });
  });

  it('stores every status by name, and reads values written before the newer ones existed', () => {
    for (const status of ['ok', 'insufficient_data', 'stale', 'no_samples', 'all_rejected'] as const) {
      const estimate: TravelTimeEstimate = {
        ...key,
        windowSeconds: 900,
        validSamples: 0,
        totalSamples: 0,
        status,
      };
      const bytes = encodeEstimateValue(estimate);
      expect(Buffer.from(bytes).toString()).toContain(`"status":"${status}"`);
      expect(decodeEstimateValue(bytes, key)).toStrictEqual({ ok: true, value: estimate });
    }
    const older = Buffer.from(
      '{"interval_end":"1563691800000000001","window_seconds":900,"valid_samples":0,"total_samples":0,"status":"stale"}',
    );
    expect(decodeEstimateValue(older, key)).toMatchObject({ ok: true, value: { status: 'stale' } });
  });

  it('refuses what JSON cannot carry, naming the field', () => {
    expect(() =>
      encodeEstimateValue({ ...full, medianSeconds: Number.POSITIVE_INFINITY }, 'estimates[3]'),
    ).toThrow(new StoreInvalidArgumentError('estimates[3].medianSeconds: Infinity is not a finite number'));
    expect(() => encodeEstimateValue({ ...full, validSamples: 1.5 })).toThrow(
      new StoreInvalidArgumentError('estimate.validSamples: 1.5 is not a whole number ≥ 0'),
    );
    expect(() => encodeEstimateValue({ ...full, status: 'fine' as never })).toThrow(
      new StoreInvalidArgumentError(
        'estimate.status: "fine" is not one of ok, insufficient_data, stale, no_samples, all_rejected',
      ),
    );
  });

  it('rejects malformed values with a reason', () => {
    const noSamples = Buffer.from(
      '{"interval_end":"1563691800000000001","window_seconds":300,"status":"ok"}',
    );
    expect(decodeEstimateValue(noSamples, key)).toEqual({ ok: false, reason: 'value has no valid_samples' });
    expect(decodeEstimateValue(encodeEstimateValue(full), { ...key, intervalEnd: 5n })).toEqual({
      ok: false,
      reason: "value's interval_end 1563691800000000001 differs from the key's 5",
    });
  });
});

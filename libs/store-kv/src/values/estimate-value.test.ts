import type { DetectorId, RouteName, TravelTimeEstimate } from '@message-bus/domain';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { describe, expect, it } from 'vitest';
import { decodeEstimateValue, decodeRouteEstimateValue, encodeEstimateValue } from './estimate-value';

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

describe('estimate value: congestion figures and routes', () => {
  const figured: TravelTimeEstimate = {
    ...full,
    typicalSeconds: 48,
    freeFlowSeconds: 40,
    ratioToTypical: 1.28,
    ratioToFreeFlow: 1.5375,
    level: 'moderate',
  };

  it('writes the figures after the status, only when set, and reads them back exactly (golden)', () => {
    const bytes = encodeEstimateValue(figured);
    expect(Buffer.from(bytes).toString()).toBe(
      '{"interval_end":"1563691800000000001","window_seconds":300,"median_seconds":61.5,"p15_seconds":55,' +
        '"p85_seconds":70,"mean_seconds":62.25,"speed_kmh":48.5,"valid_samples":12,"total_samples":14,"status":"ok",' +
        '"typical_seconds":48,"free_flow_seconds":40,"ratio_to_typical":1.28,"ratio_to_free_flow":1.5375,"level":"moderate"}',
    );
    expect(decodeEstimateValue(bytes, key)).toStrictEqual({ ok: true, value: figured });
  });

  it("writes a route estimate's route, method and ends, and reads it under its route key only", () => {
    const routed: TravelTimeEstimate = {
      ...figured,
      route: 'north' as RouteName,
      routeMethod: 'sum_of_links',
    };
    const bytes = encodeEstimateValue(routed);
    expect(Buffer.from(bytes).toString()).toMatch(
      /"level":"moderate","route":"north","route_method":"sum_of_links","source":"a","destination":"b"}$/,
    );
    const routeKey = { route: 'north' as RouteName, intervalEnd: full.intervalEnd };
    expect(decodeRouteEstimateValue(bytes, routeKey)).toStrictEqual({ ok: true, value: routed });
    expect(decodeRouteEstimateValue(bytes, { ...routeKey, route: 'south' as RouteName })).toEqual({
      ok: false,
      reason: `value's route "north" differs from the key's south`,
    });
    expect(decodeEstimateValue(bytes, key)).toEqual({
      ok: false,
      reason: 'value names a route under a link key',
    });
    expect(decodeRouteEstimateValue(encodeEstimateValue(full), routeKey)).toMatchObject({ ok: false });
  });

  it('refuses a level or method that is not one, naming the field', () => {
    expect(() => encodeEstimateValue({ ...full, level: 'jammed' as never }, 'estimates[1]')).toThrow(
      new StoreInvalidArgumentError(
        'estimates[1].level: "jammed" is not one of free, moderate, heavy, severe',
      ),
    );
    expect(() => encodeEstimateValue({ ...full, routeMethod: 'matched' })).toThrow(
      new StoreInvalidArgumentError('estimate.routeMethod: is set on an estimate without a route'),
    );
    const badLevel = Buffer.from(
      '{"interval_end":"1563691800000000001","window_seconds":300,"valid_samples":0,"total_samples":0,"status":"ok","level":9}',
    );
    expect(decodeEstimateValue(badLevel, key)).toEqual({
      ok: false,
      reason: "value's level 9 is not one of free, moderate, heavy, severe",
    });
  });
});

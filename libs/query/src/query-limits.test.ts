import { describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS, resolveQueryLimits } from './query-limits';

describe('resolveQueryLimits', () => {
  it('applies overrides over the documented defaults', () => {
    expect(DEFAULT_QUERY_LIMITS).toEqual({
      maxDetectorIds: 100,
      defaultLimitPerDetector: 1_000,
      maxLimitPerDetector: 100_000,
      maxSightingsPerAnswer: 500_000,
      maxVoltagesPerAnswer: 500_000,
      maxSightingsPerLiveReplay: 100_000,
      defaultLimitPerLink: 1_440,
      maxLimitPerLink: 100_000,
      maxEstimatesPerAnswer: 200_000,
      defaultPageSize: 1_000,
      maxPageSize: 10_000,
      maxRoutesPerPage: 1_000,
      maxAlertsPerPage: 1_000,
      maxConcurrentScans: 8,
      maxConcurrentScansPerConnection: 4,
      maxSightingsPerOriginDestination: 5_000_000,
    });
    expect(resolveQueryLimits({ maxLimitPerLink: 2_000 })).toEqual({
      ...DEFAULT_QUERY_LIMITS,
      maxLimitPerLink: 2_000,
    });
  });

  it('refuses a default above its maximum, per detector and per link', () => {
    expect(() => resolveQueryLimits({ maxLimitPerDetector: 999 })).toThrow(
      new RangeError('QueryLimits.defaultLimitPerDetector (1000) exceeds maxLimitPerDetector (999)'),
    );
    expect(() => resolveQueryLimits({ maxLimitPerLink: 1_000 })).toThrow(
      new RangeError('QueryLimits.defaultLimitPerLink (1440) exceeds maxLimitPerLink (1000)'),
    );
    expect(() => resolveQueryLimits({ maxPageSize: 999 })).toThrow(
      new RangeError('QueryLimits.defaultPageSize (1000) exceeds maxPageSize (999)'),
    );
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => resolveQueryLimits({ defaultLimitPerLink: 0 })).toThrow(
      new RangeError('QueryLimits.defaultLimitPerLink must be a positive integer, got 0'),
    );
  });
});

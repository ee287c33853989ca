import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../test/expect-rejection';
import { DEFAULT_ESTIMATOR_CONFIG, resolveEstimatorConfig, type EstimatorConfig } from './estimator-config';

describe('resolveEstimatorConfig', () => {
  it('gives the documented defaults', () => {
    expect(resolveEstimatorConfig()).toEqual({
      passGapSeconds: 120,
      measure: 'middle-middle',
      windowSeconds: 900,
      historySeconds: 1800,
      outlierK: 3,
      minValidSamples: 3,
      staleAfterSeconds: 900,
      maxSpeedKmh: 130,
    });
    expect(Object.isFrozen(DEFAULT_ESTIMATOR_CONFIG)).toBe(true);
  });

  it('overlays overrides, and an undefined override keeps the default', () => {
    const config = resolveEstimatorConfig({
      outlierK: 2.5,
      measure: 'first-first',
      historySeconds: 0,
      windowSeconds: undefined,
    });
    expect(config).toEqual({
      ...DEFAULT_ESTIMATOR_CONFIG,
      outlierK: 2.5,
      measure: 'first-first',
      historySeconds: 0,
    });
  });

  it('names the field and the rule of every bad value', () => {
    const resolve = (overrides: Partial<EstimatorConfig>) => () => resolveEstimatorConfig(overrides);
    expectRejection(resolve({ passGapSeconds: 0 }), 'out_of_range', 'passGapSeconds', 'is 0; it must be > 0');
    expectRejection(
      resolve({ windowSeconds: -60 }),
      'out_of_range',
      'windowSeconds',
      'is -60; it must be > 0',
    );
    expectRejection(
      resolve({ historySeconds: -1 }),
      'out_of_range',
      'historySeconds',
      'is -1; it must be ≥ 0',
    );
    expectRejection(
      resolve({ outlierK: Number.NaN }),
      'not_finite',
      'outlierK',
      'is NaN; expected a finite number',
    );
    expectRejection(
      resolve({ staleAfterSeconds: Number.POSITIVE_INFINITY }),
      'not_finite',
      'staleAfterSeconds',
      'is Infinity; expected a finite number',
    );
    expectRejection(resolve({ maxSpeedKmh: 0 }), 'out_of_range', 'maxSpeedKmh', 'is 0; it must be > 0');
    expectRejection(
      resolve({ minValidSamples: 2.5 }),
      'not_integer',
      'minValidSamples',
      'is 2.5; it must be a whole number ≥ 1',
    );
    expectRejection(
      resolve({ minValidSamples: 0 }),
      'out_of_range',
      'minValidSamples',
      'is 0; it must be a whole number ≥ 1',
    );
    expectRejection(
      resolve({ measure: 'last-last' as EstimatorConfig['measure'] }),
      'unknown_value',
      'measure',
      `is "last-last"; expected 'middle-middle', 'first-first', 'last-first'`,
    );
  });
});

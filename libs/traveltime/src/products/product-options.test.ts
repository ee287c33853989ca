import { loadConfig } from '@message-bus/server-kit';
import { describe, expect, it } from 'vitest';
import { traveltimeOptions } from '../traveltime-part';

function load(argv: readonly string[], env: Record<string, string> = {}) {
  const loaded = loadConfig(traveltimeOptions, { argv, env, readFile: () => '' });
  if (loaded.help) throw new Error('unexpected --help');
  return loaded.values;
}

describe('profile and congestion options', () => {
  it('default to 4 weeks, every 6 h, UTC and 1.3,1.6,2', () => {
    expect(load([])).toMatchObject({
      'traveltime.profile_weeks': 4,
      'traveltime.profile_refresh': 6 * 3_600_000,
      'traveltime.profile_time_zone': 'UTC',
      'traveltime.congestion_thresholds': ['1.3', '1.6', '2'],
    });
    expect(
      load(['--traveltime.profile_time_zone', 'Europe/Warsaw'], {
        TRAVELTIME_CONGESTION_THRESHOLDS: '1.2,1.5,3',
      }),
    ).toMatchObject({
      'traveltime.profile_time_zone': 'Europe/Warsaw',
      'traveltime.congestion_thresholds': ['1.2', '1.5', '3'],
    });
  });

  it('refuse a zone Intl does not know and thresholds that are not three increasing ratios above 1', () => {
    expect(() => load(['--traveltime.profile_time_zone', 'Europe/Atlantis'])).toThrow(
      '--traveltime.profile_time_zone: must be an IANA time zone, e.g. Europe/Warsaw',
    );
    expect(() => load(['--traveltime.congestion_thresholds', '1.3,1.6'])).toThrow(
      'needs three ratios, moderate,heavy,severe (e.g. 1.3,1.6,2); got 2',
    );
    expect(() => load(['--traveltime.congestion_thresholds', '1.3,1.2,2'])).toThrow(
      'heavy: is 1.2; it must be greater than moderate (1.3)',
    );
    expect(() => load(['--traveltime.congestion_thresholds', '0.9,1.6,2'])).toThrow(
      'moderate: is 0.9; it must be greater than 1',
    );
    expect(() => load(['--traveltime.congestion_thresholds', 'a,1.6,2'])).toThrow('moderate: is NaN');
    expect(() => load(['--traveltime.profile_refresh', '30s'])).toThrow(
      'must be whole seconds, at least 60s',
    );
  });
});

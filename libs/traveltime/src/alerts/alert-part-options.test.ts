import { DEFAULT_CONGESTION_ALERT_RULE, DEFAULT_DETECTOR_HEALTH_RULE } from '@message-bus/domain';
import { ConfigError, loadConfig, loggableConfig } from '@message-bus/server-kit';
import { describe, expect, it } from 'vitest';
import { resolveAlertOptions } from './alert-options';
import { alertOptionsFromConfig, alertPartOptions } from './alert-part-options';

function load(argv: string[], env: Record<string, string> = {}) {
  const loaded = loadConfig(alertPartOptions, { argv, env, readFile: () => '' });
  if (loaded.help) throw new Error('unexpected --help');
  return loaded.values;
}

describe('the alert options of the traveltime part', () => {
  it('default to the domain rules, with no webhook', () => {
    expect(resolveAlertOptions(alertOptionsFromConfig(load([])))).toEqual({
      congestion: DEFAULT_CONGESTION_ALERT_RULE,
      detectorHealth: DEFAULT_DETECTOR_HEALTH_RULE,
      detectorCheckSeconds: 60,
      webhook: undefined,
    });
  });

  it('take thresholds, the check interval and a webhook from flags and the environment', () => {
    const values = load(
      [
        '--traveltime.congestion_alert_ratios=2,1.6',
        '--traveltime.congestion_alert_intervals=4,6,2',
        '--traveltime.congestion_alert_min_samples=8',
        '--traveltime.detector_check_interval=5m',
        '--traveltime.battery_low_volts=23',
        '--traveltime.clock_skew_alert=1m',
      ],
      { TRAVELTIME_ALERT_WEBHOOK_URL: 'https://hooks.example.com/a?token=s3cret' },
    );
    expect(alertOptionsFromConfig(values)).toEqual({
      congestion: {
        raiseRatio: 2,
        clearRatio: 1.6,
        raiseIntervals: 4,
        windowIntervals: 6,
        clearIntervals: 2,
        minValidSamples: 8,
      },
      detectorHealth: { silentMinExpected: 10, batteryLowVolts: 23, clockSkewSeconds: 60 },
      detectorCheckSeconds: 300,
      webhook: { url: 'https://hooks.example.com/a?token=s3cret' },
    });
    expect(JSON.stringify(loggableConfig(alertPartOptions, values))).not.toContain('s3cret');
  });

  it('refuses values that cannot work, naming the option', () => {
    expect(() => load(['--traveltime.alert_webhook_url=ftp://x/y'])).toThrow(ConfigError);
    expect(() => load(['--traveltime.alert_webhook_url=ftp://x/y'])).toThrow('must be an http or https URL');
    expect(() => load(['--traveltime.congestion_alert_ratios=1.2,1.3'])).toThrow(
      'CongestionAlertRule.raiseRatio must be at least clearRatio (1.3), got 1.2',
    );
    expect(() => load(['--traveltime.battery_low_volts=low'])).toThrow('must be a number of volts above 0');
  });
});

import {
  DEFAULT_CONGESTION_ALERT_RULE,
  DEFAULT_DETECTOR_HEALTH_RULE,
  resolveCongestionAlertRule,
  type CongestionAlertRule,
} from '@message-bus/domain';
import { defineOptions, type ConfigValues } from '@message-bus/server-kit';
import type { AlertOptions } from './alert-options';
import { webhookUrlProblem } from './alert-webhook';

const MS_PER_SECOND = 1000;
const { raiseRatio, clearRatio, raiseIntervals, windowIntervals, clearIntervals, minValidSamples } =
  DEFAULT_CONGESTION_ALERT_RULE;

/** The worker's alert options, declared with its other options (`traveltimeOptions`). */
export const alertPartOptions = defineOptions([
  {
    name: 'traveltime.congestion_alert_ratios',
    kind: 'list',
    default: `${raiseRatio},${clearRatio}`,
    check: (items) =>
      problemOf(() =>
        congestionRule(items, [`${raiseIntervals}`, `${windowIntervals}`, `${clearIntervals}`]),
      ),
    description:
      'raise,clear: a link or route gets a congestion alert at this ratio to its typical travel time, and it clears below the lower one.',
  },
  {
    name: 'traveltime.congestion_alert_intervals',
    kind: 'list',
    default: `${raiseIntervals},${windowIntervals},${clearIntervals}`,
    check: (items) => problemOf(() => congestionRule([`${raiseRatio}`, `${clearRatio}`], items)),
    description:
      'm,n,k: a congestion alert is raised when m of the last n intervals reach the raise ratio, and cleared when at most k of them are not known to be below the clear ratio.',
  },
  {
    name: 'traveltime.congestion_alert_min_samples',
    kind: 'integer',
    min: 1,
    default: `${minValidSamples}`,
    description:
      'An interval counts for or against a congestion alert only when its estimate is ok with at least this many valid samples: a median of one or two trips is noise.',
  },
  {
    name: 'traveltime.detector_check_interval',
    kind: 'duration',
    default: '60s',
    check: (milliseconds) =>
      milliseconds % MS_PER_SECOND !== 0 || milliseconds < MS_PER_SECOND
        ? 'must be whole seconds, at least 1s'
        : undefined,
    description:
      'How often one worker checks every detector with coordinates (silent, battery low, never matches; the clock skew as of every 10 minutes) and stores its health.',
  },
  {
    name: 'traveltime.silent_expected_sightings',
    kind: 'integer',
    min: 1,
    default: `${DEFAULT_DETECTOR_HEALTH_RULE.silentMinExpected}`,
    description:
      'A detector unheard for 15 minutes or more is silent when at least this many devices were expected meanwhile: the fewest distinct devices it saw in as long a span (up to 6 h) at the same time in earlier weeks (else days) and just before the silence, so quiet nights do not alert. Unheard for 5 minutes or more, it is silent anyway once 3 devices passed it unseen (seen after its last sighting by a detector with a link into it, then by one its links lead to). It is also how many sightings in 6 hours a detector whose links match nothing must send to get a never_matches alert.',
  },
  {
    name: 'traveltime.battery_low_volts',
    kind: 'string',
    default: `${DEFAULT_DETECTOR_HEALTH_RULE.batteryLowVolts}`,
    check: (volts) =>
      Number.isFinite(Number(volts)) && Number(volts) > 0 ? undefined : 'must be a number of volts above 0',
    description:
      "A detector's battery is low below this voltage, or when its trend (its reports against those a day before) reaches it within 48 hours.",
  },
  {
    name: 'traveltime.clock_skew_alert',
    kind: 'duration',
    default: `${DEFAULT_DETECTOR_HEALTH_RULE.clockSkewSeconds}s`,
    check: (milliseconds) => (milliseconds < MS_PER_SECOND ? 'must be at least 1s' : undefined),
    description:
      "A detector's clock is skewed when its links' travel times over the last hour show an offset of at least this much (into it longer, out of it shorter, or the reverse).",
  },
  {
    name: 'traveltime.alert_webhook_url',
    kind: 'string',
    secret: true,
    check: webhookUrlProblem,
    description:
      'Each alert raised, updated or cleared is POSTed here as JSON, retried with backoff; logs show only its origin. None by default.',
  },
]);

/** The `alerts` option of the worker from the loaded config (the declarations' checks validated each value). */
export function alertOptionsFromConfig(config: ConfigValues<typeof alertPartOptions>): AlertOptions {
  const webhookUrl = config['traveltime.alert_webhook_url'];
  return {
    // Ratios and intervals are checked apart, and no rule ties one to the other.
    congestion: congestionRule(
      config['traveltime.congestion_alert_ratios'],
      config['traveltime.congestion_alert_intervals'],
      config['traveltime.congestion_alert_min_samples'],
    ),
    detectorHealth: {
      silentMinExpected: config['traveltime.silent_expected_sightings'],
      batteryLowVolts: Number(config['traveltime.battery_low_volts']),
      clockSkewSeconds: config['traveltime.clock_skew_alert'] / MS_PER_SECOND,
    },
    detectorCheckSeconds: config['traveltime.detector_check_interval'] / MS_PER_SECOND,
    ...(webhookUrl === undefined || webhookUrl === '' ? {} : { webhook: { url: webhookUrl } }),
  };
}

/** The rule from `raise,clear` ratios, `m,n,k` intervals and the fewest samples; throws saying what is wrong. */
function congestionRule(
  ratios: readonly string[],
  intervals: readonly string[],
  minSamples = minValidSamples,
): CongestionAlertRule {
  if (ratios.length !== 2)
    throw new Error(`needs two ratios, raise,clear (e.g. 1.5,1.3); got ${ratios.length}`);
  if (intervals.length !== 3)
    throw new Error(`needs three counts, m,n,k (e.g. 3,5,1); got ${intervals.length}`);
  const [raise, clear] = ratios.map(Number);
  const [m, n, k] = intervals.map(Number);
  return resolveCongestionAlertRule({
    raiseRatio: raise!,
    clearRatio: clear!,
    raiseIntervals: m!,
    windowIntervals: n!,
    clearIntervals: k!,
    minValidSamples: minSamples,
  });
}

function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

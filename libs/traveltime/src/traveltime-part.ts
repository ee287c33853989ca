import { resolveCongestionThresholds, timeZoneFormat, type CongestionThresholds } from '@message-bus/domain';
import { defineOptions, defineServerPart } from '@message-bus/server-kit';
import { alertOptionsFromConfig, alertPartOptions } from './alerts/alert-part-options';
import { InProcessWorkLeases } from './in-process-work-leases';
import { TravelTimeWorker } from './travel-time-worker';

/** A duration option that must be whole seconds, at least `minSeconds`. */
function wholeSeconds(minSeconds: number): (milliseconds: number) => string | undefined {
  return (milliseconds) =>
    milliseconds % 1000 !== 0 || milliseconds < minSeconds * 1000
      ? `must be whole seconds, at least ${minSeconds}s`
      : undefined;
}

/** `moderate,heavy,severe` ratios, e.g. `1.3,1.6,2`; throws naming the one that is wrong. */
function congestionThresholds(items: readonly string[]): CongestionThresholds {
  if (items.length !== 3) {
    throw new Error(`needs three ratios, moderate,heavy,severe (e.g. 1.3,1.6,2); got ${items.length}`);
  }
  const [moderate, heavy, severe] = items.map(Number);
  return resolveCongestionThresholds({ moderate, heavy, severe });
}

function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The travel-time worker's schedule, its hold on destinations, and its traffic products. */
export const traveltimeOptions = defineOptions([
  {
    name: 'traveltime.interval',
    kind: 'duration',
    default: '60s',
    check: wholeSeconds(1),
    description:
      'How often each link gets a travel-time estimate; estimates end on multiples of it (unix time).',
  },
  {
    name: 'traveltime.lag',
    kind: 'duration',
    default: '30s',
    check: wholeSeconds(0),
    description: 'How long after an interval ends its estimate is computed, so late sightings still count.',
  },
  {
    name: 'traveltime.lease_ttl',
    kind: 'duration',
    default: '10s',
    check: wholeSeconds(3),
    description: "How soon another worker takes over a dead worker's destinations (with --store etcd).",
  },
  {
    name: 'traveltime.measure',
    kind: 'enum',
    choices: ['middle-middle', 'first-first', 'last-first'],
    default: 'middle-middle',
    description:
      "Which instant of a device's pass past each reader a trip is timed from and to: the pass's middle, its first sighting, or the source's last sighting to the destination's first (skips dwelling at the source).",
  },
  {
    name: 'traveltime.max_speed_kmh',
    kind: 'integer',
    min: 1,
    max: 1000,
    default: '130',
    description:
      "No vehicle is faster: with a link's length (its detectors' coordinates) it gives the shortest plausible trip, and faster samples are rejected. A link's min_seconds takes precedence.",
  },
  {
    name: 'traveltime.profile_weeks',
    kind: 'integer',
    min: 1,
    max: 52,
    default: '4',
    description:
      'Weeks of stored estimates a typical profile (travel time by time of week, per link and route) is computed from.',
  },
  {
    name: 'traveltime.profile_refresh',
    kind: 'duration',
    default: '6h',
    check: wholeSeconds(60),
    description: "How often each held link's and route's typical profile is computed again.",
  },
  {
    name: 'traveltime.profile_time_zone',
    kind: 'string',
    default: 'UTC',
    check: (zone) =>
      problemOf(() => timeZoneFormat(zone)) === undefined
        ? undefined
        : 'must be an IANA time zone, e.g. Europe/Warsaw',
    description:
      "IANA time zone of the typical profiles' days and 15-minute bins, e.g. Europe/Warsaw: rush hours stay put across daylight saving.",
  },
  {
    name: 'traveltime.congestion_thresholds',
    kind: 'list',
    default: '1.3,1.6,2',
    check: (items) => problemOf(() => congestionThresholds(items)),
    description:
      'Ratios to the typical travel time from which an estimate counts as moderate, heavy and severe congestion (increasing, above 1).',
  },
  ...alertPartOptions,
]);

const MS_PER_SECOND = 1000;

/**
 * The travel-time worker: no port of its own. It starts once every port listens and
 * stops first on shutdown, so another worker takes its destinations over at once
 * instead of after the lease TTL. On etcd the destinations are shared with the other
 * workers through etcd locks; on the embedded store this process owns them all.
 */
export const travelTimePart = defineServerPart({
  name: 'traveltime',
  options: traveltimeOptions,
  prepare(config, store) {
    const lagSeconds = config['traveltime.lag'] / MS_PER_SECOND;
    const alerts = alertOptionsFromConfig(config);
    return {
      // Sightings count as late from a third of the lag on, so the rest covers the write.
      lateAfterSeconds: lagSeconds / 3,
      start({ repository, logger, metrics, processName, sharedWorkLeases }) {
        let running: { worker: TravelTimeWorker; close: () => Promise<void> } | undefined;
        return {
          begin() {
            const shared = sharedWorkLeases();
            const leases = shared ?? new InProcessWorkLeases();
            const worker = new TravelTimeWorker({
              repository,
              leases,
              logger,
              metrics,
              workerId: processName,
              intervalSeconds: config['traveltime.interval'] / MS_PER_SECOND,
              lagSeconds,
              leaseTtlSeconds: config['traveltime.lease_ttl'] / MS_PER_SECOND,
              estimatorConfig: {
                measure: config['traveltime.measure'],
                maxSpeedKmh: config['traveltime.max_speed_kmh'],
              },
              sightingRetentionSeconds: Math.max(1, Math.round(store.eventRetentionSeconds)),
              profileWeeks: config['traveltime.profile_weeks'],
              profileRefreshSeconds: config['traveltime.profile_refresh'] / MS_PER_SECOND,
              profileTimeZone: config['traveltime.profile_time_zone'],
              congestionThresholds: congestionThresholds(config['traveltime.congestion_thresholds']),
              alerts,
            });
            running = { worker, close: () => leases.close() };
            worker.start();
          },
          async stopBeforePorts() {
            if (running === undefined) return;
            await running.worker.stop();
            await running.close();
          },
        };
      },
    };
  },
});

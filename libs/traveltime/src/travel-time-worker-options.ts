import {
  DEFAULT_PROFILE_WEEKS,
  DEFAULT_TIME_ZONE,
  NANOS_PER_MILLISECOND,
  resolveCongestionThresholds,
  resolveEstimatorConfig,
  timeZoneFormat,
  type CongestionThresholds,
  type EstimatorConfig,
  type UnixNanos,
} from '@message-bus/domain';
import type { Repository, WorkLeases } from '@message-bus/repository';
import type { Logger, ServerMetrics } from '@message-bus/server-kit';
import { resolveAlertOptions, type AlertOptions, type ResolvedAlertOptions } from './alerts/alert-options';

export interface TravelTimeWorkerOptions {
  /** Where links, sightings and coordinates are read and estimates written. */
  readonly repository: Repository;
  /**
   * Who may estimate which destination: `EtcdWorkLeases` when several processes share
   * an etcd, `InProcessWorkLeases` on the embedded store. The caller closes them.
   */
  readonly leases: WorkLeases;
  readonly logger: Logger;
  /** Counts estimates written, destinations held and lost; e.g. the app's `ServerMetrics`. */
  readonly metrics?: ServerMetrics;
  /** The current time; e.g. `() => BigInt(Date.now()) * 1_000_000n` (the default). */
  readonly clock?: () => UnixNanos;
  /** Names this worker in logs and as the holder of its etcd locks; e.g. `traveltime@host-1:4242`. */
  readonly workerId?: string;
  /** Every link gets one estimate per interval, ending on multiples of it (unix time); e.g. 60 (the default). */
  readonly intervalSeconds?: number;
  /**
   * The interval ending at T is computed at T + lag, so sightings that reach the store
   * late still count; e.g. 30 (the default). Later sightings miss that interval's estimate.
   */
  readonly lagSeconds?: number;
  /**
   * How soon a dead worker's destinations are taken over by another: the claim on a
   * destination expires within this (minus the polling period) of the holder's last
   * renewal, and idle workers look for free destinations every fifth of it; e.g. 10
   * (the default). At least 3.
   */
  readonly leaseTtlSeconds?: number;
  /** Overrides of the estimator's defaults (window, history, pass gap, ...). */
  readonly estimatorConfig?: Partial<EstimatorConfig>;
  /**
   * How long the store keeps raw sightings (its `--retention`), in seconds; e.g. 604800
   * (7 days, the default). The worker catches up over all of it, and never recomputes an
   * interval whose sightings may be gone: that would replace a good estimate with one
   * made from nothing.
   */
  readonly sightingRetentionSeconds?: number;
  /**
   * How many late-sighting marks (one per detector and 100-second bucket appended late)
   * one round turns into ranges; the rest wait for the next rounds, which start at once.
   * E.g. 10000 (the default): a day imported for 100 detectors takes 9 rounds.
   */
  readonly lateMarksPerRound?: number;
  /** Typical profiles are computed from this many weeks of stored estimates; e.g. 4 (the default). */
  readonly profileWeeks?: number;
  /**
   * A link's or route's typical profile is computed again once it is this old, in
   * seconds; e.g. 21600 (6 h, the default).
   */
  readonly profileRefreshSeconds?: number;
  /** IANA time zone of the profiles' time-of-week bins, e.g. `Europe/Warsaw`; default `UTC`. */
  readonly profileTimeZone?: string;
  /**
   * Ratios to the typical travel time from which an estimate is `moderate`, `heavy` and
   * `severe`; e.g. `{ moderate: 1.3, heavy: 1.6, severe: 2 }` (the defaults). Greater than 1, increasing.
   */
  readonly congestionThresholds?: Partial<CongestionThresholds>;
  /** Congestion and detector alerts: thresholds, the detector check period, a webhook (see `AlertOptions`). */
  readonly alerts?: AlertOptions;
}

export interface ResolvedWorkerOptions extends Required<
  Omit<TravelTimeWorkerOptions, 'metrics' | 'estimatorConfig' | 'congestionThresholds' | 'alerts'>
> {
  readonly metrics: ServerMetrics | undefined;
  readonly estimatorConfig: EstimatorConfig;
  readonly congestionThresholds: CongestionThresholds;
  readonly alerts: ResolvedAlertOptions;
  /** The TTL of each claim: the part of leaseTtlSeconds left after one polling period. */
  readonly claimTtlSeconds: number;
  /** How often free destinations are looked for, in milliseconds. */
  readonly pollMs: number;
}

const WEEK_SECONDS = 7 * 86_400;
const MIN_LEASE_TTL_SECONDS = 3;
const PROFILE_REFRESH_SECONDS = 6 * 3600;

/** Fills in defaults and refuses values that cannot work, naming the option. */
export function resolveWorkerOptions(options: TravelTimeWorkerOptions): ResolvedWorkerOptions {
  const intervalSeconds = options.intervalSeconds ?? 60;
  const lagSeconds = options.lagSeconds ?? 30;
  const leaseTtlSeconds = options.leaseTtlSeconds ?? 10;
  wholeNumber(intervalSeconds, 'intervalSeconds', 1);
  wholeNumber(lagSeconds, 'lagSeconds', 0);
  wholeNumber(leaseTtlSeconds, 'leaseTtlSeconds', MIN_LEASE_TTL_SECONDS);
  const sightingRetentionSeconds = options.sightingRetentionSeconds ?? WEEK_SECONDS;
  wholeNumber(sightingRetentionSeconds, 'sightingRetentionSeconds', 1);
  const lateMarksPerRound = options.lateMarksPerRound ?? 10_000;
  wholeNumber(lateMarksPerRound, 'lateMarksPerRound', 1);
  const profileWeeks = options.profileWeeks ?? DEFAULT_PROFILE_WEEKS;
  wholeNumber(profileWeeks, 'profileWeeks', 1);
  const profileRefreshSeconds = options.profileRefreshSeconds ?? PROFILE_REFRESH_SECONDS;
  wholeNumber(profileRefreshSeconds, 'profileRefreshSeconds', 1);
  const profileTimeZone = timeZoneFormat(
    options.profileTimeZone ?? DEFAULT_TIME_ZONE,
    'TravelTimeWorkerOptions.profileTimeZone',
  ).resolvedOptions().timeZone;
  // Four fifths for the claim, one fifth for the poll that notices it expired.
  const claimTtlSeconds = Math.floor((leaseTtlSeconds * 4) / 5);
  return {
    repository: options.repository,
    leases: options.leases,
    logger: options.logger,
    metrics: options.metrics,
    clock: options.clock ?? (() => BigInt(Date.now()) * NANOS_PER_MILLISECOND),
    workerId: options.workerId ?? 'traveltime',
    intervalSeconds,
    lagSeconds,
    leaseTtlSeconds,
    estimatorConfig: resolveEstimatorConfig(options.estimatorConfig),
    sightingRetentionSeconds,
    lateMarksPerRound,
    profileWeeks,
    profileRefreshSeconds,
    profileTimeZone,
    congestionThresholds: resolveCongestionThresholds(options.congestionThresholds),
    alerts: resolveAlertOptions(options.alerts),
    claimTtlSeconds,
    pollMs: (leaseTtlSeconds - claimTtlSeconds) * 1000,
  };
}

function wholeNumber(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`TravelTimeWorkerOptions.${name} must be a whole number ≥ ${min}, got ${value}`);
  }
}

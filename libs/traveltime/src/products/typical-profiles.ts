import {
  buildTypicalProfile,
  MIN_TYPICAL_BIN_SAMPLES,
  MIN_TYPICAL_HISTORY_SECONDS,
  NANOS_PER_SECOND,
  TimeOfWeekBins,
  trafficTargetKey,
  typicalHistorySeconds,
  withCongestionFigures,
  type TrafficTarget,
  type TravelTimeEstimate,
  type TypicalProfile,
  type UnixNanos,
} from '@message-bus/domain';
import type { ResolvedWorkerOptions } from '../travel-time-worker-options';

/**
 * At most this many profiles are computed in one round: each reads weeks of estimates
 * (40,320 per link at one a minute for 4 weeks), so a worker that takes over many links
 * spreads the work over its next rounds instead of holding its live intervals back.
 */
export const PROFILES_BUILT_PER_ROUND = 8;

const WEEK_NANOS = 7n * 86_400n * NANOS_PER_SECOND;

type ProfileOptions = Pick<
  ResolvedWorkerOptions,
  | 'repository'
  | 'logger'
  | 'metrics'
  | 'workerId'
  | 'profileWeeks'
  | 'profileRefreshSeconds'
  | 'profileTimeZone'
  | 'congestionThresholds'
>;

/**
 * While a target's history is shorter than a week, its profile is computed again after
 * at most this long (when `profileRefreshSeconds` is longer): each hour brings bins of
 * the week it does not have yet, and reading less than a week of estimates is cheap.
 * Once every bin of the week has data, more weeks only refine it.
 */
export const YOUNG_PROFILE_REFRESH_SECONDS = 3600;

/** A target without a day of history is looked at again after this long. */
export const PROFILE_HISTORY_RETRY_SECONDS = 3600;

const WEEK_SECONDS = 7 * 86_400;

/** A target's profile as this worker knows it, and when to compute it again. */
interface KnownProfile {
  /** Undefined: none stored, or too little history to use the one stored. */
  readonly profile: TypicalProfile | undefined;
  readonly dueAt: UnixNanos;
}

/**
 * The typical profiles of the links and routes a worker holds: read once and kept per
 * target (per worker instance), computed again by the holder once due, and used to give
 * every estimate its congestion figures before it is written. Due: once older than
 * `profileRefreshSeconds` (or made with other weeks or zone than configured), sooner
 * while the history is young (`YOUNG_PROFILE_REFRESH_SECONDS`). A profile is stored
 * only once the target's estimates span `MIN_TYPICAL_HISTORY_SECONDS` (a day), with
 * bins of at least `MIN_TYPICAL_BIN_SAMPLES` estimates: a new link's first minutes
 * are not its typical traffic. When it is due and the history is still shorter, a
 * stored profile is not used either (one made from less before these rules), and the
 * target is looked at again
 * after `PROFILE_HISTORY_RETRY_SECONDS`. The young refresh is kept in memory only: a
 * worker that takes a young target over computes it again after `profileRefreshSeconds`.
 */
export class TypicalProfiles {
  /** By `trafficTargetKey`. */
  private readonly known = new Map<string, KnownProfile>();
  private readonly bins: TimeOfWeekBins;

  constructor(private readonly options: ProfileOptions) {
    this.bins = new TimeOfWeekBins(options.profileTimeZone);
  }

  /** The estimates with their congestion figures against their link's or route's profile, where there is one. */
  async annotate(estimates: readonly TravelTimeEstimate[]): Promise<TravelTimeEstimate[]> {
    const keys = estimates.map((estimate) => trafficTargetKey(targetOf(estimate)));
    const unknown = new Map<string, TrafficTarget>();
    estimates.forEach((estimate, index) => {
      if (!this.known.has(keys[index]!)) unknown.set(keys[index]!, targetOf(estimate));
    });
    await Promise.all(
      [...unknown].map(async ([key, target]) => {
        const stored = await this.options.repository.profiles.get(target);
        this.known.set(key, { profile: stored, dueAt: this.dueAt(stored) });
      }),
    );
    return estimates.map((estimate, index) => {
      const profile = this.known.get(keys[index]!)?.profile;
      return profile === undefined
        ? estimate
        : withCongestionFigures(estimate, profile, {
            thresholds: this.options.congestionThresholds,
            bins: this.bins,
          });
    });
  }

  /**
   * Computes the profiles of `targets` that are missing or due again, at most
   * PROFILES_BUILT_PER_ROUND, and forgets those of other targets (no longer held).
   * A failure is logged; the target is tried again next round.
   */
  async refresh(targets: readonly TrafficTarget[], now: UnixNanos): Promise<void> {
    const keys = new Set(targets.map(trafficTargetKey));
    for (const key of this.known.keys()) if (!keys.has(key)) this.known.delete(key);
    let built = 0;
    // Longest due first, never-seen first of all: with more due targets than a round
    // builds, the same first ones would otherwise take every round and starve the rest.
    const dueAt = (target: TrafficTarget): UnixNanos => this.known.get(trafficTargetKey(target))?.dueAt ?? 0n;
    const byDue = [...targets].sort((a, b) => (dueAt(a) < dueAt(b) ? -1 : dueAt(a) > dueAt(b) ? 1 : 0));
    for (const target of byDue) {
      if (built >= PROFILES_BUILT_PER_ROUND) return;
      const key = trafficTargetKey(target);
      try {
        const known = this.known.get(key);
        if (known !== undefined && now < known.dueAt) continue;
        // Read again before computing: another worker may have done it while it held the target.
        const stored = await this.options.repository.profiles.get(target);
        const storedDue = this.dueAt(stored);
        if (stored !== undefined && stored.computedAt !== known?.profile?.computedAt && now < storedDue) {
          this.known.set(key, { profile: stored, dueAt: storedDue });
          continue;
        }
        built += 1;
        await this.build(target, now);
      } catch (error) {
        this.known.delete(key);
        this.options.logger.warn(
          { worker: this.options.workerId, target: key, err: error },
          'could not compute a typical profile; retrying next round',
        );
      }
    }
  }

  private async build(target: TrafficTarget, now: UnixNanos): Promise<void> {
    const { repository, profileWeeks, profileRefreshSeconds, metrics } = this.options;
    const key = trafficTargetKey(target);
    const range = { after: now - BigInt(profileWeeks) * WEEK_NANOS, before: now };
    const estimates =
      target.kind === 'link'
        ? await repository.travelTimes.list({
            links: [{ source: target.source, destination: target.destination }],
            range,
          })
        : await repository.routeTravelTimes.list({ routes: [target.route], range });
    const historySeconds = typicalHistorySeconds(estimates, now, profileWeeks);
    if (historySeconds < MIN_TYPICAL_HISTORY_SECONDS) {
      this.known.set(key, {
        profile: undefined,
        dueAt: now + BigInt(PROFILE_HISTORY_RETRY_SECONDS) * NANOS_PER_SECOND,
      });
      return;
    }
    const profile = buildTypicalProfile(target, estimates, {
      now,
      weeks: profileWeeks,
      bins: this.bins,
      minBinSamples: MIN_TYPICAL_BIN_SAMPLES,
    });
    await repository.profiles.put(profile);
    const refreshSeconds =
      historySeconds < WEEK_SECONDS
        ? Math.min(profileRefreshSeconds, YOUNG_PROFILE_REFRESH_SECONDS)
        : profileRefreshSeconds;
    this.known.set(key, { profile, dueAt: now + BigInt(refreshSeconds) * NANOS_PER_SECOND });
    metrics?.travelTimeProfilesBuilt.inc();
  }

  /** When a stored profile is due: now when there is none or it was made with other settings. */
  private dueAt(profile: TypicalProfile | undefined): UnixNanos {
    const { profileRefreshSeconds, profileWeeks } = this.options;
    const matches =
      profile !== undefined &&
      profile.weeks === profileWeeks &&
      profile.timeZone === this.bins.timeZone &&
      profile.binMinutes === this.bins.binMinutes;
    return matches ? profile.computedAt + BigInt(profileRefreshSeconds) * NANOS_PER_SECOND : 0n;
  }
}

function targetOf(estimate: TravelTimeEstimate): TrafficTarget {
  return estimate.route === undefined
    ? { kind: 'link', source: estimate.source, destination: estimate.destination }
    : { kind: 'route', route: estimate.route };
}

import {
  buildTypicalProfile,
  NANOS_PER_SECOND,
  TimeOfWeekBins,
  trafficTargetKey,
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
 * The typical profiles of the links and routes a worker holds: read once and kept per
 * target (per worker instance), computed again by the holder once older than
 * `profileRefreshSeconds` (or made with other weeks or zone than configured), and used
 * to give every estimate its congestion figures before it is written.
 */
export class TypicalProfiles {
  /** By `trafficTargetKey`; undefined: read, and none stored. */
  private readonly known = new Map<string, TypicalProfile | undefined>();
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
        this.known.set(key, await this.options.repository.profiles.get(target));
      }),
    );
    return estimates.map((estimate, index) => {
      const profile = this.known.get(keys[index]!);
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
    for (const target of targets) {
      if (built >= PROFILES_BUILT_PER_ROUND) return;
      const key = trafficTargetKey(target);
      try {
        if (this.known.has(key) && !this.isDue(this.known.get(key), now)) continue;
        // Read again before computing: another worker may have done it while it held the target.
        const stored = await this.options.repository.profiles.get(target);
        this.known.set(key, stored);
        if (!this.isDue(stored, now)) continue;
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
    const { repository, profileWeeks, metrics } = this.options;
    const range = { after: now - BigInt(profileWeeks) * WEEK_NANOS, before: now };
    const estimates =
      target.kind === 'link'
        ? await repository.travelTimes.list({
            links: [{ source: target.source, destination: target.destination }],
            range,
          })
        : await repository.routeTravelTimes.list({ routes: [target.route], range });
    const profile = buildTypicalProfile(target, estimates, { now, weeks: profileWeeks, bins: this.bins });
    await repository.profiles.put(profile);
    this.known.set(trafficTargetKey(target), profile);
    metrics?.travelTimeProfilesBuilt.inc();
  }

  private isDue(profile: TypicalProfile | undefined, now: UnixNanos): boolean {
    const { profileRefreshSeconds, profileWeeks } = this.options;
    return (
      profile === undefined ||
      profile.weeks !== profileWeeks ||
      profile.timeZone !== this.bins.timeZone ||
      profile.binMinutes !== this.bins.binMinutes ||
      now - profile.computedAt >= BigInt(profileRefreshSeconds) * NANOS_PER_SECOND
    );
  }
}

function targetOf(estimate: TravelTimeEstimate): TrafficTarget {
  return estimate.route === undefined
    ? { kind: 'link', source: estimate.source, destination: estimate.destination }
    : { kind: 'route', route: estimate.route };
}

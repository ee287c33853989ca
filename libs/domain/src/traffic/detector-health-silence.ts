import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import type { DetectorHealthRule } from './detector-health-rule';

const DAY = 86_400n * NANOS_PER_SECOND;
const WEEK = 7n * DAY;
/** Earlier weeks a silence is compared with, when the store keeps them. */
const REFERENCE_WEEKS = 4;
/** Earlier days a silence is compared with, when no earlier week is kept. */
const REFERENCE_DAYS = 6;

/** A span of time: `after` inclusive, `before` exclusive. */
export interface SilenceSpan {
  readonly after: UnixNanos;
  readonly before: UnixNanos;
}

/**
 * What a silence is compared with: spans as long as the silent one (the time since the
 * last sighting, at most `silentMaxSpanSeconds`, ending now) at the same time of week in
 * earlier weeks; when the store keeps no earlier week, at the same time of day on earlier
 * days; when it keeps no earlier day either, the span just before the last sighting (the
 * recent hours). The span just before the last sighting is a reference with the earlier
 * weeks or days too: it says how busy today is, so a quiet day (a Saturday compared with
 * weekdays when no earlier week is kept, a holiday with normal weeks) is not held to
 * their traffic. A reference must end before the last sighting (it must not overlap the
 * silence itself) and start within the retention (`keptSince`).
 */
export interface SilenceReferences {
  readonly basis: 'weeks' | 'days' | 'recent';
  readonly spans: readonly SilenceSpan[];
}

/**
 * The reference spans of a detector unheard since `lastSeen`; undefined when it has not
 * been silent for `silentMinSeconds` yet. `keptSince` is where the sightings to compare
 * with begin: the retention's start, or the detector's first stored sighting if later
 * (days before it existed are no evidence of quiet). Count the distinct devices the
 * detector saw in each span, then `expectedDevices` gives what the silence should have held.
 */
export function silenceReferences(
  lastSeen: UnixNanos,
  now: UnixNanos,
  keptSince: UnixNanos,
  rule: Pick<DetectorHealthRule, 'silentMinSeconds' | 'silentMaxSpanSeconds'>,
): SilenceReferences | undefined {
  const silence = now - lastSeen;
  if (silence < BigInt(rule.silentMinSeconds) * NANOS_PER_SECOND) return undefined;
  const maxSpan = BigInt(rule.silentMaxSpanSeconds) * NANOS_PER_SECOND;
  const span = silence < maxSpan ? silence : maxSpan;
  const shifted = (step: bigint, count: number): SilenceSpan[] => {
    const spans: SilenceSpan[] = [];
    for (let k = 1n; k <= BigInt(count); k++) {
      const before = now - k * step;
      const after = before - span;
      if (before <= lastSeen && after >= keptSince) spans.push({ after, before });
    }
    return spans;
  };
  const recentAfter = lastSeen + 1n - span;
  const recent = { after: recentAfter > keptSince ? recentAfter : keptSince, before: lastSeen + 1n };
  const weeks = shifted(WEEK, REFERENCE_WEEKS);
  if (weeks.length > 0) return { basis: 'weeks', spans: [...weeks, recent] };
  const days = shifted(DAY, REFERENCE_DAYS);
  if (days.length > 0) return { basis: 'days', spans: [...days, recent] };
  return { basis: 'recent', spans: [recent] };
}

/**
 * The devices the silent span should have held: the fewest of the references' counts of
 * distinct devices.
 *
 * Devices, not sightings: a device passing sends 1 to a few sightings within seconds, so
 * sightings come in clumps and a silence is as likely as a lack of passing devices; with
 * λ expected devices, no device at all has probability e^-λ (λ = 10: 4.5·10⁻⁵), but with λ
 * sightings of 2 a pass it is e^-λ/2 (6.7·10⁻³), which a week of quiet hours reaches.
 * The fewest, not the median: every sighting opens a new silence that is tested
 * (thousands a week), so an expectation set too high by a busier reference (weekdays
 * against a weekend, normal days against a holiday) must not be what the test trusts.
 * A fault seen by the neighbours (devices passing unseen) does not wait for this.
 */
export function expectedDevices(referenceCounts: readonly number[]): number {
  return referenceCounts.length === 0 ? 0 : Math.min(...referenceCounts);
}

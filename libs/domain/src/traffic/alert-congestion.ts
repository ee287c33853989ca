import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import type { Alert, AlertSeverity } from './alert';
import { SEVERITY_RANK, type AlertChange } from './alert-change';
import { alertId } from './alert-id';
import type { CongestionLevel } from './congestion';
import type { TrafficTarget } from './traffic-target';

/**
 * When a link or route gets a congestion alert and when it is over, judged on its last
 * `windowIntervals` estimates against the typical travel time (`ratioToTypical`). Only
 * evidence counts: an `ok` estimate with at least `minValidSamples` valid samples that
 * agree with each other (`EVIDENCE_MAX_SPREAD`) and a ratio (a thin night-time median, a
 * median between a stopped trip and an ordinary one, or no profile yet, says nothing
 * either way); a route's sum of links asks fewer of each link (`ROUTE_SUM_MIN_LINK_SAMPLES`).
 *
 * - raise when at least `raiseIntervals` of them are evidence at or above `raiseRatio`;
 * - clear (hysteresis) only when at most `clearIntervals` of them are not evidence
 *   below the lower `clearRatio`: missing or thin intervals keep the alert open, so a
 *   jam that lets few vehicles through does not end its own alert.
 *
 * Between the two the alert stays as it is, so a queue hovering around the threshold is
 * one alert, not a burst of them.
 */
export interface CongestionAlertRule {
  readonly windowIntervals: number;
  readonly raiseIntervals: number;
  readonly raiseRatio: number;
  readonly clearIntervals: number;
  readonly clearRatio: number;
  /** An estimate is evidence either way only when `ok` with at least this many valid samples. */
  readonly minValidSamples: number;
}

export const DEFAULT_CONGESTION_ALERT_RULE: CongestionAlertRule = {
  windowIntervals: 5,
  raiseIntervals: 3,
  raiseRatio: 1.5,
  clearIntervals: 1,
  clearRatio: 1.3,
  minValidSamples: 3,
};

/**
 * The alert's severity by the worst congestion level among the congested intervals:
 * moderate → info, heavy → warning, severe → critical. A congested interval without a
 * level (or `free`, when the level thresholds sit above `raiseRatio`) counts as info.
 */
export const SEVERITY_OF_LEVEL: Readonly<Record<CongestionLevel, AlertSeverity>> = {
  free: 'info',
  moderate: 'info',
  heavy: 'warning',
  severe: 'critical',
};

/** Fills in the defaults and refuses a rule that cannot work, naming the field. */
export function resolveCongestionAlertRule(rule: Partial<CongestionAlertRule> = {}): CongestionAlertRule {
  const resolved = { ...DEFAULT_CONGESTION_ALERT_RULE, ...rule };
  const { windowIntervals, raiseIntervals, raiseRatio, clearIntervals, clearRatio, minValidSamples } =
    resolved;
  const wholeIn = (value: number, name: keyof CongestionAlertRule, min: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(
        `CongestionAlertRule.${name} must be a whole number from ${min} to ${max}, got ${value}`,
      );
    }
  };
  wholeIn(windowIntervals, 'windowIntervals', 1, 1000);
  wholeIn(raiseIntervals, 'raiseIntervals', 1, windowIntervals);
  wholeIn(clearIntervals, 'clearIntervals', 0, raiseIntervals - 1);
  wholeIn(minValidSamples, 'minValidSamples', 1, 1_000_000);
  if (!Number.isFinite(clearRatio) || clearRatio <= 0) {
    throw new RangeError(`CongestionAlertRule.clearRatio must be a positive number, got ${clearRatio}`);
  }
  if (!Number.isFinite(raiseRatio) || raiseRatio < clearRatio) {
    throw new RangeError(
      `CongestionAlertRule.raiseRatio must be at least clearRatio (${clearRatio}), got ${raiseRatio}`,
    );
  }
  return resolved;
}

export interface CongestionJudgement {
  readonly target: TrafficTarget;
  /** The target's newest estimates, at most `windowIntervals` of them, in any order. */
  readonly recent: readonly TravelTimeEstimate[];
  /** Its open congestion alert, if any. */
  readonly open?: Alert;
  readonly rule: CongestionAlertRule;
}

/**
 * Judges a link or route by its newest estimates and its open alert; undefined when
 * nothing changes. Deterministic: the same estimates and open alert always give the same
 * change, with `start`, `end` and `updated` taken from the estimates' interval ends, so
 * any worker judging them writes the same alert.
 *
 * - Raised: `start` is the interval end of the first congested estimate in the window,
 *   and the id derives from it (`alertId`).
 * - Updated: only when the severity rises; the evidence and figures are then the newest.
 * - Cleared: `end` is the newest estimate's interval end; the severity stays the worst reached.
 */
export function judgeCongestion(judgement: CongestionJudgement): AlertChange | undefined {
  const { target, open, rule } = judgement;
  const recent = [...judgement.recent]
    .sort((a, b) => (a.intervalEnd < b.intervalEnd ? -1 : a.intervalEnd > b.intervalEnd ? 1 : 0))
    .slice(-rule.windowIntervals);
  const newest = recent.at(-1);
  if (newest === undefined) return undefined;
  const evidence = recent.filter((estimate) => isEvidence(estimate, rule));
  const congested = evidence.filter((estimate) => estimate.ratioToTypical! >= rule.raiseRatio);
  const belowClear = evidence.filter((estimate) => estimate.ratioToTypical! < rule.clearRatio).length;
  const figures = windowFigures(recent, congested, rule);

  if (open === undefined) {
    const first = congested[0];
    if (first === undefined || congested.length < rule.raiseIntervals) return undefined;
    const subject = target;
    return {
      change: 'raised',
      alert: {
        id: alertId('congestion', subject, first.intervalEnd),
        kind: 'congestion',
        severity: worstSeverity(congested),
        subject,
        start: first.intervalEnd,
        updated: newest.intervalEnd,
        evidence: congestionEvidence(target, figures),
        figures,
      },
    };
  }
  // Missing or thin intervals are not evidence of a clear road: a jam that lets few
  // vehicles through must not end its own alert (and raise a second one minutes later).
  if (rule.windowIntervals - belowClear <= rule.clearIntervals) {
    return {
      change: 'cleared',
      alert: {
        ...open,
        end: newest.intervalEnd,
        updated: newest.intervalEnd,
        evidence: `Congestion on ${targetText(target)} is over: ${belowClear} of the last ${rule.windowIntervals} intervals below ${rule.clearRatio}× typical.`,
        figures,
      },
    };
  }
  const severity = congested.length === 0 ? open.severity : worstSeverity(congested);
  if (SEVERITY_RANK[severity] <= SEVERITY_RANK[open.severity]) return undefined;
  return {
    change: 'updated',
    alert: {
      ...open,
      severity,
      updated: newest.intervalEnd,
      evidence: congestionEvidence(target, figures),
      figures,
    },
  };
}

/**
 * An estimate's valid samples agree when its p85 is at most this many times its p15.
 * The trips of one traffic regime do: the outlier filter takes a new regime only from
 * trips within ±25 % of each other, and free-flowing ones spread by 5–10 %. A window
 * whose few valid samples mix a stopped trip (2–20 minutes longer) with ordinary ones
 * does not, and its median is no travel time anyone drove. On the products bench's plan
 * (the congestion lab, `node tools/bench/run.mjs products --lab`) such windows made 6 of
 * its 7 wrong alerts, most on the skip links (a stop on either of two segments) and at
 * quiet hours (with no history the filter takes a window's first trip as it is), and
 * dropping them cost no detection. With 2-sample evidence 1.5 let 2 more wrong alerts
 * through, and 1.2 stopped none more but alerted later.
 */
export const EVIDENCE_MAX_SPREAD = 1.3;

/**
 * A route's sum of links is evidence with this many valid samples on each of its links
 * (its `validSamples`, the least over them) when the rule asks more, whether its status
 * is `ok` or `insufficient_data`. The sum's status is the worst of its 5–11 links', so at
 * the products bench's 5 % detection it was `ok` too rarely to raise anything: 0 of the
 * 6 truly congested route incidents alerted. Each link's median has passed its own
 * outlier filter, and one link's 2-trip median moves a sum over several links by a
 * fraction of what it moves the link. Congestion lab, with `EVIDENCE_MAX_SPREAD`: 3 of
 * the 6 route incidents alerted (8.5 minutes after their true 1.5×, the median) and no
 * wrong route alert added.
 */
export const ROUTE_SUM_MIN_LINK_SAMPLES = 2;

/**
 * Whether an estimate says anything about congestion: `ok`, with at least
 * `minValidSamples` valid samples that agree (`EVIDENCE_MAX_SPREAD`, when it gives its
 * p15 and p85) and a ratio to typical; for a route's sum of links see
 * `ROUTE_SUM_MIN_LINK_SAMPLES`. An `insufficient_data` median of one or two trips on a
 * link swings past 1.5× on one slow vehicle; such estimates neither raise nor clear. The
 * default 3 is the estimator's own minimum: daytime windows of the simulated corridor
 * hold only 3 to 6 valid samples, and 5 lost half the incidents.
 */
function isEvidence(estimate: TravelTimeEstimate, rule: CongestionAlertRule): boolean {
  if (estimate.ratioToTypical === undefined || !samplesAgree(estimate)) return false;
  if (estimate.routeMethod === 'sum_of_links') {
    return (
      (estimate.status === 'ok' || estimate.status === 'insufficient_data') &&
      estimate.validSamples >= Math.min(rule.minValidSamples, ROUTE_SUM_MIN_LINK_SAMPLES)
    );
  }
  return estimate.status === 'ok' && estimate.validSamples >= rule.minValidSamples;
}

function samplesAgree({ p15Seconds, p85Seconds }: TravelTimeEstimate): boolean {
  return (
    p15Seconds === undefined || p85Seconds === undefined || p85Seconds <= EVIDENCE_MAX_SPREAD * p15Seconds
  );
}

function worstSeverity(estimates: readonly TravelTimeEstimate[]): AlertSeverity {
  let worst: AlertSeverity = 'info';
  for (const estimate of estimates) {
    const severity = SEVERITY_OF_LEVEL[estimate.level ?? 'free'];
    if (SEVERITY_RANK[severity] > SEVERITY_RANK[worst]) worst = severity;
  }
  return worst;
}

/** The figures of the window: the newest estimate's times and ratio, the worst ratio, and the counts. */
function windowFigures(
  recent: readonly TravelTimeEstimate[],
  congested: readonly TravelTimeEstimate[],
  rule: CongestionAlertRule,
): Record<string, number> {
  const figures: Record<string, number> = {
    congested_intervals: congested.length,
    window_intervals: recent.length,
    raise_ratio: rule.raiseRatio,
  };
  const ratios = recent.flatMap((estimate) =>
    estimate.ratioToTypical === undefined ? [] : [estimate.ratioToTypical],
  );
  if (ratios.length > 0) figures['max_ratio_to_typical'] = round2(Math.max(...ratios));
  const newest = recent.at(-1);
  if (newest?.ratioToTypical !== undefined) figures['ratio_to_typical'] = round2(newest.ratioToTypical);
  if (newest?.medianSeconds !== undefined) figures['median_seconds'] = round2(newest.medianSeconds);
  if (newest?.typicalSeconds !== undefined) figures['typical_seconds'] = round2(newest.typicalSeconds);
  return figures;
}

function congestionEvidence(target: TrafficTarget, figures: Readonly<Record<string, number>>): string {
  const ratio = figures['ratio_to_typical'] ?? figures['max_ratio_to_typical'];
  const times =
    figures['median_seconds'] !== undefined && figures['typical_seconds'] !== undefined
      ? ` (${figures['median_seconds']} s against a typical ${figures['typical_seconds']} s)`
      : '';
  return (
    `Travel time on ${targetText(target)} is ${ratio ?? '?'}× typical${times}; ` +
    `${figures['congested_intervals']} of the last ${figures['window_intervals']} intervals at or above ${figures['raise_ratio']}×.`
  );
}

/** `link d1 → d2` or `route north`. */
function targetText(target: TrafficTarget): string {
  return target.kind === 'link' ? `link ${target.source} → ${target.destination}` : `route ${target.route}`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

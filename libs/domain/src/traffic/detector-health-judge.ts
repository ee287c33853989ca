import type { DetectorId } from '../ids/detector-id';
import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import { ALERT_KINDS, type Alert, type AlertKind, type AlertSeverity, type AlertSubject } from './alert';
import { SEVERITY_RANK, type AlertChange } from './alert-change';
import { alertId } from './alert-id';
import type { DetectorHealth } from './detector-health';
import { judgeBattery, type BatteryReading } from './detector-health-battery';
import type { ClockSkewJudgement } from './detector-health-clock-skew';
import { neverMatches, type MatchCounts } from './detector-health-never-matches';
import type { DetectorHealthRule } from './detector-health-rule';
import { expectedDevices, type SilenceReferences } from './detector-health-silence';

/** What the data says of one detector at `now`; the caller reads it, this judges it. */
export interface DetectorFacts {
  readonly detectorId: DetectorId;
  readonly now: UnixNanos;
  /** Its newest sighting; absent when none is stored. */
  readonly lastSeen?: UnixNanos;
  /** When it has been silent long enough to judge (`silentUnseenMinSeconds` or `silentMinSeconds`). */
  readonly silence?: {
    /**
     * Once silent for `silentMinSeconds` (`silenceReferences`): the references' basis and
     * the distinct devices seen in each reference span.
     */
    readonly references?: {
      readonly basis: SilenceReferences['basis'];
      readonly counts: readonly number[];
    };
    /**
     * Devices that passed it unseen since its last sighting: seen at a detector with a
     * link into it after that, then at a detector its links lead to.
     */
    readonly passedUnseen: number;
  };
  /** Its status reports' battery readings (at least the trend span's). */
  readonly battery: readonly BatteryReading[];
  /** Its clock offset (`estimateClockSkew`); absent when it cannot be estimated. */
  readonly clockSkew?: ClockSkewJudgement;
  /** Its match counts over the never-matches window; absent when they were not counted. */
  readonly matches?: MatchCounts;
}

export interface DetectorJudgement {
  readonly health: DetectorHealth;
  /** Alerts raised, made more severe, or cleared; store them. */
  readonly changes: readonly AlertChange[];
}

/**
 * Judges one detector: raises, updates or clears each kind of detector alert, and says
 * its health. `open` are its open alerts (any kind; others are ignored).
 *
 * - detector_silent (warning): unheard for at least `silentMinSeconds` while the
 *   references (`silenceReferences`) expect at least `silentMinExpected` devices in that
 *   span, or for at least `silentUnseenMinSeconds` while `MIN_PASSED_UNSEEN` devices
 *   passed it unseen (seen by the neighbours on both sides); starts at the last
 *   sighting; clears when it is heard again.
 * - battery_low: critical below `batteryLowVolts`, warning when the trend reaches it within
 *   `batteryHorizonHours`; starts at the reading that showed it; clears once the latest
 *   reading is `batteryClearMarginVolts` above the threshold and no fall is forecast.
 * - clock_skew (warning): an estimated offset of at least `clockSkewSeconds` either way;
 *   clears below half of it.
 * - never_matches (warning): see `neverMatches`; clears when one of its links matches.
 */
export function judgeDetector(
  facts: DetectorFacts,
  open: readonly Alert[],
  rule: DetectorHealthRule,
): DetectorJudgement {
  const { detectorId, now } = facts;
  const subject: AlertSubject = { kind: 'detector', detectorId };
  const openOf = (kind: AlertKind) => open.find((alert) => alert.kind === kind && alert.end === undefined);
  const changes: AlertChange[] = [];
  const raise = (
    kind: AlertKind,
    start: UnixNanos,
    severity: AlertSeverity,
    evidence: string,
    figures: Record<string, number>,
  ) =>
    changes.push({
      change: 'raised',
      alert: {
        id: alertId(kind, subject, start),
        kind,
        severity,
        subject,
        start,
        updated: now,
        evidence,
        figures,
      },
    });
  const clear = (alert: Alert, end: UnixNanos, evidence: string, figures: Record<string, number>) =>
    changes.push({ change: 'cleared', alert: { ...alert, end, updated: now, evidence, figures } });

  // Silent.
  const silent = openOf('detector_silent');
  const silentSeconds =
    facts.lastSeen === undefined ? undefined : Number((now - facts.lastSeen) / NANOS_PER_SECOND);
  if (silent !== undefined) {
    if (facts.lastSeen !== undefined && facts.lastSeen > silent.start) {
      clear(silent, facts.lastSeen, `Detector ${detectorId} is heard again.`, {
        silent_seconds: Number((facts.lastSeen - silent.start) / NANOS_PER_SECOND),
      });
    }
  } else if (facts.lastSeen !== undefined && facts.silence !== undefined && silentSeconds !== undefined) {
    const { references, passedUnseen } = facts.silence;
    const expected = references === undefined ? undefined : expectedDevices(references.counts);
    const expectedHeard =
      expected !== undefined && silentSeconds >= rule.silentMinSeconds && expected >= rule.silentMinExpected;
    const missedSome = silentSeconds >= rule.silentUnseenMinSeconds && passedUnseen >= MIN_PASSED_UNSEEN;
    if (expectedHeard || missedSome) {
      const spanSeconds = Math.min(silentSeconds, rule.silentMaxSpanSeconds);
      const expectation =
        references === undefined || expected === undefined
          ? ''
          : `, where ${expected} devices were expected in the last ${formatSpan(spanSeconds)} (${BASIS_TEXT[references.basis]}),`;
      raise(
        'detector_silent',
        facts.lastSeen,
        'warning',
        `Detector ${detectorId} has sent no sighting for ${formatSpan(silentSeconds)}${expectation} ` +
          `and ${passedUnseen} devices passed it seen by its neighbours on both sides.`,
        {
          silent_seconds: silentSeconds,
          ...(references === undefined || expected === undefined
            ? {}
            : { expected_devices: expected, reference_spans: references.counts.length }),
          passed_unseen: passedUnseen,
        },
      );
    }
  }

  // Battery.
  const battery = judgeBattery(facts.battery, now, rule);
  const batteryOpen = openOf('battery_low');
  const batteryFigures = (): Record<string, number> => ({
    ...(battery.latestVolts === undefined ? {} : { volts: battery.latestVolts }),
    ...(battery.voltsPerDay === undefined ? {} : { volts_per_day: round2(battery.voltsPerDay) }),
    ...(battery.hoursToLow === undefined ? {} : { hours_to_low: round2(battery.hoursToLow) }),
    low_volts: rule.batteryLowVolts,
  });
  const batterySeverity: AlertSeverity = battery.low === 'below' ? 'critical' : 'warning';
  const batteryEvidence = () =>
    battery.low === 'below'
      ? `Detector ${detectorId}'s battery reads ${battery.latestVolts} V, below ${rule.batteryLowVolts} V.`
      : `Detector ${detectorId}'s battery reads ${battery.latestVolts} V and falls ${round2(-(battery.voltsPerDay ?? 0))} V a day: ` +
        `${rule.batteryLowVolts} V in about ${Math.round(battery.hoursToLow ?? 0)} h.`;
  const newestReading = [...facts.battery].sort((a, b) => (a.time < b.time ? -1 : 1)).at(-1);
  if (batteryOpen !== undefined) {
    if (battery.recovered) {
      clear(
        batteryOpen,
        newestReading?.time ?? now,
        `Detector ${detectorId}'s battery reads ${battery.latestVolts} V again.`,
        batteryFigures(),
      );
    } else if (
      battery.low !== undefined &&
      SEVERITY_RANK[batterySeverity] > SEVERITY_RANK[batteryOpen.severity]
    ) {
      changes.push({
        change: 'updated',
        alert: {
          ...batteryOpen,
          severity: batterySeverity,
          updated: now,
          evidence: batteryEvidence(),
          figures: batteryFigures(),
        },
      });
    }
  } else if (battery.low !== undefined && newestReading !== undefined) {
    raise('battery_low', newestReading.time, batterySeverity, batteryEvidence(), batteryFigures());
  }

  // Clock skew.
  const skewOpen = openOf('clock_skew');
  const skew = facts.clockSkew;
  const skewFigures = (judged: ClockSkewJudgement): Record<string, number> => ({
    offset_seconds: round2(judged.offsetSeconds),
    in_excess_seconds: round2(judged.inExcessSeconds),
    out_excess_seconds: round2(judged.outExcessSeconds),
    links_in: judged.linksIn,
    links_out: judged.linksOut,
  });
  if (skewOpen !== undefined) {
    if (skew === undefined || Math.abs(skew.offsetSeconds) < rule.clockSkewSeconds / 2) {
      // Without a systematic shift (the excesses no longer point opposite ways) the offset is gone too.
      clear(
        skewOpen,
        now,
        `Detector ${detectorId}'s links no longer show a clock offset.`,
        skew ? skewFigures(skew) : {},
      );
    }
  } else if (skew !== undefined && Math.abs(skew.offsetSeconds) >= rule.clockSkewSeconds) {
    const direction = skew.offsetSeconds > 0 ? 'ahead' : 'behind';
    raise(
      'clock_skew',
      now,
      'warning',
      `Detector ${detectorId}'s clock seems ${Math.round(Math.abs(skew.offsetSeconds))} s ${direction}: trips into it ` +
        `take ${round2(skew.inExcessSeconds)} s and trips out of it ${round2(skew.outExcessSeconds)} s against typical.`,
      skewFigures(skew),
    );
  }

  // Never matches.
  const matchesOpen = openOf('never_matches');
  const matches = facts.matches;
  const matchFigures = (counts: MatchCounts): Record<string, number> => ({
    sightings: counts.sightings,
    links: counts.ownLinks.length,
    matched_samples: counts.ownLinks.reduce((sum, matched) => sum + matched, 0),
    neighbour_matched_samples: counts.neighbourLinks,
    window_seconds: rule.neverMatchesWindowSeconds,
  });
  if (matchesOpen !== undefined) {
    if (matches !== undefined && matches.ownLinks.some((matched) => matched > 0)) {
      clear(matchesOpen, now, `Detector ${detectorId}'s links match devices again.`, {
        links: matches.ownLinks.length,
        matched_samples: matches.ownLinks.reduce((sum, matched) => sum + matched, 0),
      });
    }
  } else if (matches !== undefined && neverMatches(matches, rule.silentMinExpected)) {
    raise(
      'never_matches',
      now,
      'warning',
      `Detector ${detectorId} sent ${matches.sightings} sightings in the last ${formatSpan(rule.neverMatchesWindowSeconds)} ` +
        `but none matched on its ${matches.ownLinks.length} links, while its neighbours matched ${matches.neighbourLinks}.`,
      matchFigures(matches),
    );
  }

  const stillOpen = new Set<AlertKind>(
    open.filter((alert) => alert.end === undefined).map((alert) => alert.kind),
  );
  for (const { change, alert } of changes) {
    if (change === 'cleared') stillOpen.delete(alert.kind);
    else stillOpen.add(alert.kind);
  }
  return {
    health: {
      detectorId,
      checkedAt: now,
      ...(facts.lastSeen === undefined ? {} : { lastSeen: facts.lastSeen }),
      problems: ALERT_KINDS.filter((kind) => kind !== 'congestion' && stillOpen.has(kind)),
      ...(skew === undefined ? {} : { clockSkewSeconds: round2(skew.offsetSeconds) }),
      ...(battery.voltsPerDay === undefined ? {} : { batteryVoltsPerDay: round2(battery.voltsPerDay) }),
    },
    changes,
  };
}

/**
 * Devices seen passing a silent detector (by its neighbours before and after it) that make
 * its silence a fault whatever the references expect: a detector that sees every passing
 * device misses 3 in a row only when it is down, and this evidence comes within minutes
 * where a sparse road needs half an hour to expect `silentMinExpected` devices.
 */
const MIN_PASSED_UNSEEN = 3;

const BASIS_TEXT: Readonly<Record<SilenceReferences['basis'], string>> = {
  weeks: 'fewest of the same time of week in earlier weeks and the span before the silence',
  days: 'fewest of the same time of day on earlier days and the span before the silence',
  recent: 'as many as in the same span before it fell silent',
};

/** `42 min`, `3 h 5 min`, `2 d 4 h`. */
function formatSpan(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

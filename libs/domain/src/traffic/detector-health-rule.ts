/** The thresholds of the detector health checks; every one configurable (see `resolveDetectorHealthRule`). */
export interface DetectorHealthRule {
  /**
   * Silent: a detector unheard for at least this long is judged (shorter gaps are normal:
   * detectors upload in batches); e.g. 900.
   */
  readonly silentMinSeconds: number;
  /**
   * Silent: a detector unheard for at least this long is judged by the devices that passed
   * it unseen (seen by its neighbours on both sides), which need no wait for expectations
   * to build up; e.g. 300. It must exceed how far a detector's uploads may lag behind its
   * neighbours', or a batch still on its way would look like devices missed.
   */
  readonly silentUnseenMinSeconds: number;
  /**
   * Silent: how many distinct devices the references must lead one to expect in the silent
   * span (`expectedDevices`) for its silence to be a fault (λ); e.g. 10. A Poisson count of
   * mean 10 is 0 with probability 5·10⁻⁵, so a quiet road at night (a few devices expected)
   * never alerts. Devices seen passing it unseen make the silence a fault whatever this
   * says (see `silentUnseenMinSeconds`). Also the fewest sightings of a never-matches fault.
   */
  readonly silentMinExpected: number;
  /** Silent: the longest span compared with the references, counted back from now; e.g. 21600 (6 h). */
  readonly silentMaxSpanSeconds: number;
  /** Battery: the latest report below this is low; e.g. 11.5 (a 12 V lead-acid pack near empty). */
  readonly batteryLowVolts: number;
  /** Battery: a falling trend that reaches `batteryLowVolts` within this is reported too; e.g. 48. */
  readonly batteryHorizonHours: number;
  /**
   * Battery: the reports of this span back from now are each compared with the report a
   * day before them, and the median change is the trend (see `judgeBattery`); e.g. 6.
   */
  readonly batteryTrendHours: number;
  /** Battery: an alert clears once the latest report is this far above `batteryLowVolts` and no fall is forecast; e.g. 0.2. */
  readonly batteryClearMarginVolts: number;
  /** Clock skew: an estimated offset of at least this many seconds, either way, is a fault; e.g. 30. */
  readonly clockSkewSeconds: number;
  /** Clock skew: the span of estimates the offset is estimated from, back from now; e.g. 3600. */
  readonly clockSkewWindowSeconds: number;
  /** Never matches: the span over which its links had no matched sample at all; e.g. 21600 (6 h). */
  readonly neverMatchesWindowSeconds: number;
}

export const DEFAULT_DETECTOR_HEALTH_RULE: DetectorHealthRule = {
  silentMinSeconds: 900,
  silentUnseenMinSeconds: 300,
  silentMinExpected: 10,
  silentMaxSpanSeconds: 6 * 3600,
  batteryLowVolts: 11.5,
  batteryHorizonHours: 48,
  batteryTrendHours: 6,
  batteryClearMarginVolts: 0.2,
  clockSkewSeconds: 30,
  clockSkewWindowSeconds: 3600,
  neverMatchesWindowSeconds: 6 * 3600,
};

/** Fills in the defaults and refuses values that cannot work, naming the field. */
export function resolveDetectorHealthRule(rule: Partial<DetectorHealthRule> = {}): DetectorHealthRule {
  const resolved = { ...DEFAULT_DETECTOR_HEALTH_RULE, ...rule };
  for (const [name, value] of Object.entries(resolved)) {
    const zeroAllowed = name === 'batteryClearMarginVolts' || name === 'batteryLowVolts';
    if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
      throw new RangeError(
        `DetectorHealthRule.${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${value}`,
      );
    }
  }
  return resolved;
}

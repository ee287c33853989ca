import { describe, expect, it } from 'vitest';
import type { TravelTimeEstimate } from '../estimator/travel-time-estimate';
import { parseDetectorId } from '../ids/detector-id';
import { NANOS_PER_SECOND, type UnixNanos } from '../time';
import type { Alert } from './alert';
import { alertId } from './alert-id';
import { judgeBattery, type BatteryReading } from './detector-health-battery';
import { estimateClockSkew, tripExcesses } from './detector-health-clock-skew';
import { judgeDetector, type DetectorFacts } from './detector-health-judge';
import { neverMatches } from './detector-health-never-matches';
import { DEFAULT_DETECTOR_HEALTH_RULE, resolveDetectorHealthRule } from './detector-health-rule';
import { expectedDevices, silenceReferences } from './detector-health-silence';

const d = parseDetectorId('d');
const SECOND = NANOS_PER_SECOND;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;
const DAY = 24n * HOUR;
const NOW: UnixNanos = 1_765_000_000n * SECOND;
const rule = DEFAULT_DETECTOR_HEALTH_RULE;
const subject = { kind: 'detector', detectorId: d } as const;

function facts(overrides: Partial<DetectorFacts> = {}): DetectorFacts {
  return { detectorId: d, now: NOW, lastSeen: NOW - MINUTE, battery: [], ...overrides };
}

/** Readings every hour over the last `hours`, starting at `volts` and changing by `perHour`. */
function readings(hours: number, volts: number, perHour: number): BatteryReading[] {
  return Array.from({ length: hours + 1 }, (_, index) => ({
    time: NOW - BigInt(hours - index) * HOUR,
    volts: Math.round((volts + perHour * index) * 1000) / 1000,
  }));
}

/** A link's trips of the window, `excess` seconds over typical give or take a second. */
function trips(excess: number, count = 20): number[] {
  return Array.from({ length: count }, (_, index) => excess + (index % 3) - 1);
}

describe('silenceReferences', () => {
  it('compares a silence with the same time of day on earlier days when no earlier week is kept', () => {
    const lastSeen = NOW - 2n * HOUR;
    const references = silenceReferences(lastSeen, NOW, NOW - 7n * DAY, rule);
    expect(references?.basis).toBe('days');
    expect(references?.spans).toHaveLength(7);
    expect(references?.spans[0]).toEqual({ after: lastSeen - DAY, before: NOW - DAY });
    // And the 2 h before the silence: a Saturday morning compared with the weekdays before
    // it is held to its own quiet, not to their commuters.
    expect(references?.spans[6]).toEqual({ after: lastSeen + 1n - 2n * HOUR, before: lastSeen + 1n });
  });

  it('prefers earlier weeks, keeps references out of the silence, and falls back to the recent hours', () => {
    expect(silenceReferences(NOW - HOUR, NOW, NOW - 30n * DAY, rule)).toMatchObject({
      basis: 'weeks',
      spans: [
        { after: NOW - HOUR - 7n * DAY, before: NOW - 7n * DAY },
        { after: NOW - HOUR - 14n * DAY, before: NOW - 14n * DAY },
        { after: NOW - HOUR - 21n * DAY, before: NOW - 21n * DAY },
        { after: NOW - HOUR - 28n * DAY, before: NOW - 28n * DAY },
        // Today before the silence: how busy the road is now.
        { after: NOW - 2n * HOUR + 1n, before: NOW - HOUR + 1n },
      ],
    });
    // Silent for 3 days: only days 3..6 back end before the last sighting; spans are capped at 6 h.
    const long = silenceReferences(NOW - 3n * DAY, NOW, NOW - 7n * DAY, rule);
    expect(long?.spans.map((span) => span.before)).toEqual([
      NOW - 3n * DAY,
      NOW - 4n * DAY,
      NOW - 5n * DAY,
      NOW - 6n * DAY,
      NOW - 3n * DAY + 1n,
    ]);
    expect(long?.spans[0]).toEqual({ after: NOW - 3n * DAY - 6n * HOUR, before: NOW - 3n * DAY });
    expect(silenceReferences(NOW - HOUR, NOW, NOW - 12n * HOUR, rule)).toEqual({
      basis: 'recent',
      spans: [{ after: NOW - 2n * HOUR + 1n, before: NOW - HOUR + 1n }],
    });
  });

  it('leaves gaps shorter than silentMinSeconds alone', () => {
    expect(silenceReferences(NOW - 14n * MINUTE, NOW, NOW - 7n * DAY, rule)).toBeUndefined();
  });

  it('expects the fewest of the reference counts', () => {
    expect(expectedDevices([3, 40, 12])).toBe(3);
    // Four earlier weeks, one a holiday: the quiet one is what a silence must beat.
    expect(expectedDevices([30, 32, 6, 28])).toBe(6);
    expect(expectedDevices([])).toBe(0);
  });
});

describe('judgeBattery', () => {
  it('is low below the threshold, and falling when the trend reaches it within 48 h', () => {
    expect(judgeBattery(readings(10, 11.6, -0.02), NOW, rule)).toMatchObject({
      latestVolts: 11.4,
      low: 'below',
    });
    const falling = judgeBattery(readings(30, 12.8, -0.02), NOW, rule);
    expect(falling.low).toBe('falling');
    expect(falling.voltsPerDay).toBeCloseTo(-0.48, 6);
    expect(falling.hoursToLow).toBeCloseTo(35, 6);
    const slow = judgeBattery(readings(30, 12.75, -0.005), NOW, rule);
    expect(slow.low).toBeUndefined();
    expect(slow.recovered).toBe(true);
  });

  it('has no trend without a day of readings before the trend span, and ignores readings after now', () => {
    expect(judgeBattery(readings(20, 12.6, -0.02), NOW, rule)).toEqual({
      latestVolts: 12.2,
      recovered: true,
    });
    expect(judgeBattery(readings(1, 12, -0.5), NOW, rule)).toEqual({ latestVolts: 11.5, recovered: false });
    expect(judgeBattery([{ time: NOW - 30n * HOUR, volts: 11 }], NOW, rule)).toEqual({ recovered: false });
    expect(judgeBattery([{ time: NOW + HOUR, volts: 11 }], NOW, rule)).toEqual({ recovered: false });
  });

  it('reads a daily swing as no trend, from start-up on, at any hour', () => {
    const swing = solarReadings(3n * DAY);
    for (let at = swing[0]!.time + HOUR; at <= NOW; at += HOUR) {
      const judged = judgeBattery(swing, at, rule);
      expect(judged.low).toBeUndefined();
      if (judged.voltsPerDay !== undefined) expect(Math.abs(judged.voltsPerDay)).toBeLessThan(0.05);
    }
  });

  it('sees a drain under the swing within a day, well before the pack is low', () => {
    const drainFrom = NOW - 20n * HOUR;
    const judged = judgeBattery(solarReadings(3n * DAY, { from: drainFrom, voltsPerDay: 1 }), NOW, rule);
    expect(judged.low).toBe('falling');
    expect(judged.latestVolts).toBeGreaterThan(12);
    expect(judged.voltsPerDay).toBeLessThan(-0.3);
  });
});

/**
 * Reports every 5 minutes over `span` up to NOW of a healthy solar-charged pack (12.9 V ±
 * 0.15 V a day, lowest at 03:00, a little noise), or of one draining from `drain.from`.
 */
function solarReadings(span: bigint, drain?: { from: UnixNanos; voltsPerDay: number }): BatteryReading[] {
  const step = 5n * MINUTE;
  const healthy = (time: UnixNanos) =>
    12.9 - 0.15 * Math.cos((2 * Math.PI * (Number(time % DAY) / 1e9 - 3 * 3600)) / 86_400);
  const result: BatteryReading[] = [];
  for (let time = NOW - span, index = 0; time <= NOW; time += step, index += 1) {
    const noise = 0.02 * Math.sin(index * 12.9898) * Math.cos(index * 78.233);
    const volts =
      drain !== undefined && time >= drain.from
        ? healthy(drain.from) - (drain.voltsPerDay * Number(time - drain.from)) / Number(DAY)
        : healthy(time);
    result.push({ time, volts: Math.round((volts + noise) * 1000) / 1000 });
  }
  return result;
}

describe('tripExcesses', () => {
  it('measures each trip against the typical of the estimate whose window holds its arrival', () => {
    const estimate = (minutesBefore: bigint, typicalSeconds?: number): TravelTimeEstimate => ({
      source: parseDetectorId('x'),
      destination: d,
      intervalEnd: NOW - minutesBefore * MINUTE,
      windowSeconds: 900,
      validSamples: 0,
      totalSamples: 0,
      status: 'insufficient_data',
      ...(typicalSeconds === undefined ? {} : { typicalSeconds }),
    });
    const trip = (arrival: UnixNanos, travelSeconds: number) => ({
      deviceId: 'device',
      sourceTime: arrival - BigInt(travelSeconds) * SECOND,
      destinationTime: arrival,
      travelSeconds,
    });
    // A 45 s trip on a 75 s link (a clock 30 s ahead at its source) counts though no car is that fast.
    const excesses = tripExcesses(
      [
        trip(NOW - 2n * MINUTE, 70),
        trip(NOW - 3n * MINUTE, 130),
        trip(NOW - 150n * SECOND, 45),
        trip(NOW, 99),
      ],
      [estimate(2n, 100), estimate(1n), estimate(0n, 75), estimate(3n, 90)],
    );
    // Arrivals at −3 min (window of −2 min: 100), −150 s (−2 min: 100), −2 min (the next with a typical: 75); none after now.
    expect(excesses).toEqual([30, -55, -5]);
  });
});

describe('estimateClockSkew', () => {
  it('reads a clock running ahead from links in longer and links out shorter, by the smaller side', () => {
    const skew = estimateClockSkew([trips(45)], [trips(-35), trips(-40)], 10);
    expect(skew).toEqual({
      offsetSeconds: 37.5,
      inExcessSeconds: 45,
      outExcessSeconds: -37.5,
      linksIn: 1,
      linksOut: 2,
    });
    expect(estimateClockSkew([trips(-40)], [trips(36)], 10)?.offsetSeconds).toBe(-36);
  });

  it('sees no skew in congestion (both sides longer), with one side only, or too few estimates', () => {
    expect(estimateClockSkew([trips(80)], [trips(20)], 10)).toBeUndefined();
    expect(estimateClockSkew([trips(80)], [], 10)).toBeUndefined();
    expect(estimateClockSkew([trips(45, 5)], [trips(-35)], 10)).toBeUndefined();
  });

  it('sees no skew in an incident on one side: a long link in against a slightly short link out', () => {
    // The queue of an incident past the detector: +90 s in, while the link out runs a little under typical.
    expect(estimateClockSkew([trips(90)], [trips(-6)], 10)).toBeUndefined();
    expect(estimateClockSkew([trips(90)], [trips(-40)], 10)).toBeUndefined();
  });

  it('needs every link on a side to point the same way', () => {
    expect(estimateClockSkew([trips(40)], [trips(-40), trips(10)], 10)).toBeUndefined();
    expect(estimateClockSkew([trips(40), trips(-3)], [trips(-40)], 10)).toBeUndefined();
  });
});

describe('neverMatches', () => {
  it('needs sightings, links that match nothing, and neighbours that match', () => {
    expect(neverMatches({ sightings: 50, ownLinks: [0, 0], neighbourLinks: 300 }, 10)).toBe(true);
    expect(neverMatches({ sightings: 50, ownLinks: [0, 1], neighbourLinks: 300 }, 10)).toBe(false);
    expect(neverMatches({ sightings: 5, ownLinks: [0, 0], neighbourLinks: 300 }, 10)).toBe(false);
    expect(neverMatches({ sightings: 50, ownLinks: [0, 0], neighbourLinks: 0 }, 10)).toBe(false);
    expect(neverMatches({ sightings: 50, ownLinks: [], neighbourLinks: 300 }, 10)).toBe(false);
  });
});

describe('judgeDetector', () => {
  it('says a healthy detector is healthy', () => {
    expect(judgeDetector(facts({ battery: readings(30, 12.8, 0) }), [], rule)).toEqual({
      health: { detectorId: d, checkedAt: NOW, lastSeen: NOW - MINUTE, problems: [], batteryVoltsPerDay: 0 },
      changes: [],
    });
  });

  it('raises a silence that the references expected traffic in, from its last sighting, and clears it when heard', () => {
    const lastSeen = NOW - 40n * MINUTE;
    const silent = judgeDetector(
      facts({
        lastSeen,
        silence: { references: { basis: 'days', counts: [30, 25, 14, 41, 28, 33] }, passedUnseen: 0 },
      }),
      [],
      rule,
    );
    const raised: Alert = {
      id: alertId('detector_silent', subject, lastSeen),
      kind: 'detector_silent',
      severity: 'warning',
      subject,
      start: lastSeen,
      updated: NOW,
      evidence:
        'Detector d has sent no sighting for 40 min, where 14 devices were expected in the last 40 min (fewest of the same time of day on earlier days and the span before the silence), and 0 devices passed it seen by its neighbours on both sides.',
      figures: { silent_seconds: 2400, expected_devices: 14, reference_spans: 6, passed_unseen: 0 },
    };
    expect(silent).toEqual({
      health: { detectorId: d, checkedAt: NOW, lastSeen, problems: ['detector_silent'] },
      changes: [{ change: 'raised', alert: raised }],
    });
    // Still silent: nothing changes. Heard again: cleared at that sighting.
    expect(judgeDetector(facts({ lastSeen }), [raised], rule).changes).toEqual([]);
    const heard = judgeDetector(facts({ lastSeen: NOW - 10n * SECOND }), [raised], rule);
    expect(heard.changes).toEqual([
      {
        change: 'cleared',
        alert: {
          ...raised,
          end: NOW - 10n * SECOND,
          evidence: 'Detector d is heard again.',
          figures: { silent_seconds: 2390 },
        },
      },
    ]);
    expect(heard.health.problems).toEqual([]);
  });

  it('lets a quiet night pass: fewer expected devices than silentMinExpected', () => {
    const quiet = facts({
      lastSeen: NOW - 3n * HOUR,
      silence: { references: { basis: 'days', counts: [2, 6, 3, 0, 9, 4] }, passedUnseen: 2 },
    });
    expect(judgeDetector(quiet, [], rule).changes).toEqual([]);
  });

  it('raises a silence that 3 devices passed unseen after 5 min, before any expectation is judged', () => {
    // The outage of the products benchmark: D08's last sighting 10:58:53, the third device
    // seen by D07 and then D09 at 11:07:29.
    const missed = facts({ lastSeen: NOW - 8n * MINUTE, silence: { passedUnseen: 3 } });
    expect(judgeDetector(missed, [], rule).changes).toEqual([
      {
        change: 'raised',
        alert: {
          id: alertId('detector_silent', subject, NOW - 8n * MINUTE),
          kind: 'detector_silent',
          severity: 'warning',
          subject,
          start: NOW - 8n * MINUTE,
          updated: NOW,
          evidence:
            'Detector d has sent no sighting for 8 min and 3 devices passed it seen by its neighbours on both sides.',
          figures: { silent_seconds: 480, passed_unseen: 3 },
        },
      },
    ]);
    // Too short a silence (an upload on its way), or too few missed: nothing yet.
    const early = facts({ lastSeen: NOW - 4n * MINUTE, silence: { passedUnseen: 5 } });
    expect(judgeDetector(early, [], rule).changes).toEqual([]);
    const fewer = facts({ lastSeen: NOW - 14n * MINUTE, silence: { passedUnseen: 2 } });
    expect(judgeDetector(fewer, [], rule).changes).toEqual([]);
    // However busy the references, a silence shorter than silentMinSeconds needs the missed devices.
    const busy = facts({
      lastSeen: NOW - 14n * MINUTE,
      silence: { references: { basis: 'weeks', counts: [40, 52] }, passedUnseen: 0 },
    });
    expect(judgeDetector(busy, [], rule).changes).toEqual([]);
    const later = facts({
      lastSeen: NOW - 16n * MINUTE,
      silence: { references: { basis: 'weeks', counts: [4, 6, 5, 7] }, passedUnseen: 3 },
    });
    expect(judgeDetector(later, [], rule).changes[0]?.alert.figures).toEqual({
      silent_seconds: 960,
      expected_devices: 4,
      reference_spans: 4,
      passed_unseen: 3,
    });
  });

  it('raises a falling battery as a warning, makes it critical below the threshold, and clears it once charged', () => {
    const falling = judgeDetector(facts({ battery: readings(30, 12.8, -0.02) }), [], rule);
    expect(falling.changes).toHaveLength(1);
    const raised = falling.changes[0]!.alert;
    expect(raised).toMatchObject({
      id: alertId('battery_low', subject, NOW),
      kind: 'battery_low',
      severity: 'warning',
      evidence: "Detector d's battery reads 12.2 V and falls 0.48 V a day: 11.5 V in about 35 h.",
      figures: { volts: 12.2, volts_per_day: -0.48, hours_to_low: 35, low_volts: 11.5 },
    });
    expect(falling.health.batteryVoltsPerDay).toBe(-0.48);

    const below = judgeDetector(facts({ battery: readings(10, 11.6, -0.02) }), [raised], rule);
    expect(below.changes.map(({ change, alert }) => `${change} ${alert.severity} ${alert.id}`)).toEqual([
      `updated critical ${raised.id}`,
    ]);
    const charged = judgeDetector(
      facts({ battery: readings(10, 13.2, 0.01) }),
      [below.changes[0]!.alert],
      rule,
    );
    expect(charged.changes).toMatchObject([
      { change: 'cleared', alert: { id: raised.id, end: NOW, severity: 'critical' } },
    ]);
  });

  it('raises a clock skew of 30 s or more and clears it below half of that', () => {
    const skewed = judgeDetector(
      facts({ clockSkew: estimateClockSkew([trips(45)], [trips(-35)], 10) }),
      [],
      rule,
    );
    expect(skewed.health).toMatchObject({ clockSkewSeconds: 35, problems: ['clock_skew'] });
    expect(skewed.changes[0]?.alert).toMatchObject({
      kind: 'clock_skew',
      evidence:
        "Detector d's clock seems 35 s ahead: trips into it take 45 s and trips out of it -35 s against typical.",
      figures: {
        offset_seconds: 35,
        in_excess_seconds: 45,
        out_excess_seconds: -35,
        links_in: 1,
        links_out: 1,
      },
    });
    const open = skewed.changes[0]!.alert;
    const smaller = estimateClockSkew([trips(20)], [trips(-20)], 10);
    expect(judgeDetector(facts({ clockSkew: smaller }), [open], rule).changes).toEqual([]);
    const fixed = estimateClockSkew([trips(5)], [trips(-5)], 10);
    expect(judgeDetector(facts({ clockSkew: fixed }), [open], rule).changes[0]?.change).toBe('cleared');
  });

  it('raises never_matches and clears it once a link matches', () => {
    const lonely = judgeDetector(
      facts({ matches: { sightings: 400, ownLinks: [0, 0], neighbourLinks: 900 } }),
      [],
      rule,
    );
    expect(lonely.changes[0]?.alert).toMatchObject({
      kind: 'never_matches',
      evidence:
        'Detector d sent 400 sightings in the last 6 h but none matched on its 2 links, while its neighbours matched 900.',
    });
    const open = lonely.changes[0]!.alert;
    const matched = judgeDetector(
      facts({ matches: { sightings: 400, ownLinks: [0, 3], neighbourLinks: 900 } }),
      [open],
      rule,
    );
    expect(matched.changes[0]).toMatchObject({
      change: 'cleared',
      alert: { figures: { links: 2, matched_samples: 3 } },
    });
  });

  it('refuses thresholds that cannot work, naming them', () => {
    expect(resolveDetectorHealthRule({ silentMinExpected: 20 }).silentMinExpected).toBe(20);
    expect(() => resolveDetectorHealthRule({ clockSkewSeconds: 0 })).toThrow(
      new RangeError('DetectorHealthRule.clockSkewSeconds must be a positive number, got 0'),
    );
    expect(() => resolveDetectorHealthRule({ batteryLowVolts: Number.NaN })).toThrow('batteryLowVolts');
  });
});

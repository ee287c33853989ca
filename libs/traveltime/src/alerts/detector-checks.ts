import {
  BATTERY_PAIR_TOLERANCE_SECONDS,
  estimateClockSkew,
  judgeDetector,
  linkSamples,
  NANOS_PER_SECOND,
  silenceReferences,
  type Alert,
  type AlertChange,
  type AlertKind,
  type ClockSkewJudgement,
  type DetectorFacts,
  type DetectorHealth,
  type DetectorHealthRule,
  type DetectorId,
  type DetectorLink,
  type EstimatorConfig,
  type MatchCounts,
  type Sighting,
  type SilenceReferences,
  type TravelTimeEstimate,
  type UnixNanos,
  tripExcesses,
} from '@message-bus/domain';
import type { Repository, TimeRange } from '@message-bus/repository';

export interface DetectorCheckRound {
  readonly now: UnixNanos;
  /** The newest interval end due at `now` (its estimates are written): the clock skew is judged as of one at or before it. */
  readonly lastDue: UnixNanos;
  readonly links: readonly DetectorLink[];
}

/** What a check found; storing it is the caller's: the alert changes first, then the health that lists them. */
export interface DetectorCheckReport {
  readonly health: readonly DetectorHealth[];
  readonly changes: readonly AlertChange[];
  /** Open alerts by kind after the changes (every kind, congestion included). */
  readonly openByKind: ReadonlyMap<AlertKind, number>;
}

/** Sightings counted in one reference span at most: far above any threshold, so a busy hour costs a bounded read. */
const MAX_COUNTED_SIGHTINGS = 100_000;

/**
 * Trips a link needs in the clock skew window to be judged: enough for a median that a
 * few trips with a stop on the way do not move, few enough for a quiet evening hour.
 */
const MIN_SKEW_TRIPS_PER_LINK = 10;

/**
 * How often the clock skew is judged, in worker time: as of every interval end that is a
 * multiple of this (every 10 minutes at the default minute's interval). Judging it reads
 * every linked detector's sightings over the skew window (an hour and more), while a skew
 * builds up over tens of minutes and each judgement's window shares 5/6 of the last
 * one's: judging it every check would read that hour 60 times an hour to learn little.
 * Ten minutes add at most that to the time a drifting clock takes to be seen (about half
 * a window after its offset reaches the threshold, see `estimateClockSkew`): 30 s of
 * skew is still found within the hour.
 */
const CLOCK_SKEW_CHECK_SECONDS = 600;

/**
 * How far back from now a silence's neighbours' sightings are read for devices passing
 * it unseen: a silence that devices pass unseen alerts within minutes of them, so the
 * last hour holds the evidence; one that does not alert (a quiet night) lasts hours, and
 * reading all of it on every check would cost ever more.
 */
const PASSED_UNSEEN_READ_SECONDS = 3600;

/** The clock skews judged as of `at`, by detector; a detector without one was not judged (see `estimateClockSkew`). */
interface ClockSkews {
  readonly at: UnixNanos;
  readonly byDetector: ReadonlyMap<DetectorId, ClockSkewJudgement>;
}

/**
 * The detector checks: for every detector with coordinates, reads what `judgeDetector`
 * needs (its newest sighting, the devices seen in its silence's references, its status
 * reports, its links' estimates) and judges it. One worker runs them (the first member
 * by name, as for late sightings), every `detectorCheckSeconds`.
 *
 * The clock skew is the exception: it is judged as of the newest due interval end on
 * the `CLOCK_SKEW_CHECK_SECONDS` grid, once per grid point, and the checks in between
 * judge by that same judgement (an open alert stays open, the health keeps its offset).
 * It depends on the store's data and that instant only, never on when or where it ran:
 * a worker taking over the checks mid-way judges the same instant again, and from the
 * same data agrees.
 */
export class DetectorChecks {
  private lastCheck: UnixNanos | undefined;
  private clockSkews: ClockSkews | undefined;

  constructor(
    private readonly repository: Repository,
    private readonly rule: DetectorHealthRule,
    private readonly options: {
      readonly checkSeconds: number;
      readonly intervalSeconds: number;
      readonly sightingRetentionSeconds: number;
      /** The worker's estimator settings: the clock skew check matches trips as it does. */
      readonly estimatorConfig: EstimatorConfig;
    },
  ) {}

  /** Whether a check is due at `now`. */
  due(now: UnixNanos): boolean {
    return (
      this.lastCheck === undefined ||
      now - this.lastCheck >= BigInt(this.options.checkSeconds) * NANOS_PER_SECOND
    );
  }

  async check(round: DetectorCheckRound): Promise<DetectorCheckReport> {
    const { repository, rule } = this;
    const { now, links } = round;
    const [detectors, open, recentByLink, clockSkews] = await Promise.all([
      repository.detectors.listCoordinates(),
      repository.alerts.list({ openOnly: true }),
      this.estimatesByLink(links, now - seconds(rule.clockSkewWindowSeconds), now),
      this.clockSkewsAsOf(this.clockSkewInstant(round.lastDue), links),
    ]);
    this.clockSkews = clockSkews;
    const openByDetector = new Map<DetectorId, Alert[]>();
    for (const alert of open) {
      if (alert.subject.kind !== 'detector') continue;
      const list = openByDetector.get(alert.subject.detectorId);
      if (list === undefined) openByDetector.set(alert.subject.detectorId, [alert]);
      else list.push(alert);
    }
    const health: DetectorHealth[] = [];
    const changes: AlertChange[] = [];
    for (const { detectorId } of detectors) {
      const detectorOpen = openByDetector.get(detectorId) ?? [];
      const clockSkew = clockSkews.byDetector.get(detectorId);
      const facts = await this.factsOf(detectorId, now, links, recentByLink, clockSkew, detectorOpen);
      const judged = judgeDetector(facts, detectorOpen, rule);
      health.push(judged.health);
      changes.push(...judged.changes);
    }
    this.lastCheck = now;
    return { health, changes, openByKind: openCounts(open, changes) };
  }

  private async factsOf(
    detectorId: DetectorId,
    now: UnixNanos,
    links: readonly DetectorLink[],
    recentByLink: ReadonlyMap<string, readonly TravelTimeEstimate[]>,
    clockSkew: ClockSkewJudgement | undefined,
    open: readonly Alert[],
  ): Promise<DetectorFacts> {
    const { repository, rule } = this;
    const lastSeen = await this.edgeSighting(detectorId, 'newest_first');
    const silentOpen = open.some((alert) => alert.kind === 'detector_silent');
    const judgeSilence =
      lastSeen !== undefined &&
      !silentOpen &&
      now - lastSeen >= seconds(Math.min(rule.silentUnseenMinSeconds, rule.silentMinSeconds));
    const references = judgeSilence ? await this.silenceReferences(detectorId, lastSeen, now) : undefined;
    const referenceCounts =
      references === undefined
        ? undefined
        : await Promise.all(references.spans.map((span) => this.countDevices(detectorId, span)));
    // The trend compares each report of its span with the one a day before (`judgeBattery`).
    const batteryReadSeconds = rule.batteryTrendHours * 3600 + 86_400 + BATTERY_PAIR_TOLERANCE_SECONDS;
    const statuses = await repository.detectors.listStatus({
      detectorId,
      range: { after: now - seconds(batteryReadSeconds), before: now + 1n },
      order: 'oldest_first',
    });

    const inLinks = links.filter((link) => link.destination === detectorId);
    const outLinks = links.filter((link) => link.source === detectorId);
    const matches = await this.matchCounts(detectorId, now, [...inLinks, ...outLinks], links, recentByLink);
    const passedUnseen = judgeSilence ? await this.passedUnseen(lastSeen, now, inLinks, outLinks) : undefined;

    return {
      detectorId,
      now,
      ...(lastSeen === undefined ? {} : { lastSeen }),
      ...(passedUnseen === undefined
        ? {}
        : {
            silence: {
              ...(references === undefined || referenceCounts === undefined
                ? {}
                : { references: { basis: references.basis, counts: referenceCounts } }),
              passedUnseen,
            },
          }),
      battery: statuses.map((status) => ({ time: status.time, volts: status.batteryVoltage })),
      ...(clockSkew === undefined ? {} : { clockSkew }),
      matches,
    };
  }

  /**
   * The never-matches counts. Its links' matches of the last hour (`recentByLink`) settle
   * it when any is above zero: nothing to raise, and an open alert clears. Only when all
   * are zero are its and its neighbours' links read over the whole window, and its
   * sightings counted only when the rest of the test holds.
   */
  private async matchCounts(
    detectorId: DetectorId,
    now: UnixNanos,
    ownLinks: readonly DetectorLink[],
    links: readonly DetectorLink[],
    recentByLink: ReadonlyMap<string, readonly TravelTimeEstimate[]>,
  ): Promise<MatchCounts> {
    const recentMatched = ownLinks.map((link) => matchedOn(recentByLink, link));
    if (recentMatched.some((count) => count > 0)) {
      return { sightings: 0, ownLinks: recentMatched, neighbourLinks: 0 };
    }
    const { rule } = this;
    const neighbours = new Set(
      ownLinks.map((link) => (link.source === detectorId ? link.destination : link.source)),
    );
    const neighbourLinks = links.filter(
      (link) =>
        link.source !== detectorId &&
        link.destination !== detectorId &&
        (neighbours.has(link.source) || neighbours.has(link.destination)),
    );
    const since = now - seconds(rule.neverMatchesWindowSeconds);
    const windowByLink = await this.estimatesByLink([...ownLinks, ...neighbourLinks], since, now);
    const ownMatched = ownLinks.map((link) => matchedOn(windowByLink, link));
    const neighbourMatched = neighbourLinks.reduce((sum, link) => sum + matchedOn(windowByLink, link), 0);
    const sightings =
      ownMatched.every((count) => count === 0) && neighbourMatched > 0
        ? await this.countSightings(detectorId, { after: since, before: now + 1n }, rule.silentMinExpected)
        : 0;
    return { sightings, ownLinks: ownMatched, neighbourLinks: neighbourMatched };
  }

  /**
   * The clock skew instant of a check whose newest due interval end is `lastDue`: the
   * newest interval end at or before it that is a multiple (in unix time) of
   * `CLOCK_SKEW_CHECK_SECONDS` rounded to whole intervals, at least one.
   */
  private clockSkewInstant(lastDue: UnixNanos): UnixNanos {
    const { intervalSeconds } = this.options;
    const intervals = Math.max(1, Math.round(CLOCK_SKEW_CHECK_SECONDS / intervalSeconds));
    const every = seconds(intervalSeconds) * BigInt(intervals);
    return lastDue - (((lastDue % every) + every) % every);
  }

  /**
   * The clock skews of the detectors with links both in and out, as of `at`: those judged
   * for `at` already when there are, else judged from the store. The links are those of
   * the check that judges them; one linked later waits for the next instant.
   */
  private async clockSkewsAsOf(at: UnixNanos, links: readonly DetectorLink[]): Promise<ClockSkews> {
    if (this.clockSkews?.at === at) return this.clockSkews;
    const [sightings, estimates] = await Promise.all([
      this.skewSightings(links, at),
      this.estimatesByLink(links, at - seconds(this.rule.clockSkewWindowSeconds), at),
    ]);
    const trips = (link: DetectorLink) => this.tripExcesses(link, at, estimates, sightings);
    const byDetector = new Map<DetectorId, ClockSkewJudgement>();
    for (const detectorId of new Set(links.map((link) => link.destination))) {
      const inLinks = links.filter((link) => link.destination === detectorId);
      const outLinks = links.filter((link) => link.source === detectorId);
      if (outLinks.length === 0) continue;
      const judged = estimateClockSkew(inLinks.map(trips), outLinks.map(trips), MIN_SKEW_TRIPS_PER_LINK);
      if (judged !== undefined) byDetector.set(detectorId, judged);
    }
    return { at, byDetector };
  }

  /**
   * The sightings the clock skew check matches, by detector: those of every linked
   * detector over the skew window ending at `at`, plus the longest link's max_seconds and
   * a pass gap before it (the source passes of the window's first trips).
   */
  private async skewSightings(
    links: readonly DetectorLink[],
    at: UnixNanos,
  ): Promise<Map<DetectorId, Sighting[]>> {
    const byDetector = new Map<DetectorId, Sighting[]>();
    if (links.length === 0) return byDetector;
    const { rule } = this;
    const lookback =
      rule.clockSkewWindowSeconds +
      Math.max(...links.map((link) => link.maxSeconds)) +
      this.options.estimatorConfig.passGapSeconds;
    for await (const page of this.repository.events.listPages({
      detectorIds: [...new Set(links.flatMap((link) => [link.source, link.destination]))],
      range: { after: at - seconds(lookback), before: at + 1n },
      limitPerDetector: MAX_COUNTED_SIGHTINGS,
    })) {
      for (const sighting of page) {
        const list = byDetector.get(sighting.detectorId);
        if (list === undefined) byDetector.set(sighting.detectorId, [sighting]);
        else list.push(sighting);
      }
    }
    return byDetector;
  }

  /** A link's trips arriving in the skew window ending at `at`, matched as the estimator does but unfiltered, as excesses over typical. */
  private tripExcesses(
    link: DetectorLink,
    at: UnixNanos,
    estimatesByLink: ReadonlyMap<string, readonly TravelTimeEstimate[]>,
    sightings: ReadonlyMap<DetectorId, readonly Sighting[]>,
  ): number[] {
    const { samples } = linkSamples(
      {
        link,
        source: sightings.get(link.source) ?? [],
        destination: sightings.get(link.destination) ?? [],
        intervalEnd: at,
      },
      { ...this.options.estimatorConfig, windowSeconds: this.rule.clockSkewWindowSeconds, historySeconds: 0 },
    );
    return tripExcesses(samples, estimatesByLink.get(linkKey(link.source, link.destination)) ?? []);
  }

  /** The links' estimates with interval ends in (after, until], by link. */
  private async estimatesByLink(
    links: readonly DetectorLink[],
    after: UnixNanos,
    until: UnixNanos,
  ): Promise<Map<string, TravelTimeEstimate[]>> {
    const byLink = new Map<string, TravelTimeEstimate[]>();
    if (links.length === 0) return byLink;
    const estimates = await this.repository.travelTimes.list({
      links: links.map(({ source, destination }) => ({ source, destination })),
      range: { after: after + 1n, before: until + 1n },
    });
    for (const estimate of estimates) {
      const key = linkKey(estimate.source, estimate.destination);
      const list = byLink.get(key);
      if (list === undefined) byLink.set(key, [estimate]);
      else list.push(estimate);
    }
    return byLink;
  }

  /**
   * What a silence since `lastSeen` is compared with, over the sightings kept: within the
   * retention and from the detector's first stored sighting on, so a young store (or a
   * new detector) compares with the hours before the silence rather than with empty days.
   */
  private async silenceReferences(
    detectorId: DetectorId,
    lastSeen: UnixNanos,
    now: UnixNanos,
  ): Promise<SilenceReferences | undefined> {
    // Not silent long enough to judge: spare the read.
    if (now - lastSeen < seconds(this.rule.silentMinSeconds)) return undefined;
    const retained = now - seconds(this.options.sightingRetentionSeconds);
    const first = (await this.edgeSighting(detectorId, 'oldest_first', retained)) ?? retained;
    return silenceReferences(lastSeen, now, first > retained ? first : retained, this.rule);
  }

  /** The time of the detector's newest or oldest stored sighting (from `after` on). */
  private async edgeSighting(
    detectorId: DetectorId,
    order: 'newest_first' | 'oldest_first',
    after?: UnixNanos,
  ): Promise<UnixNanos | undefined> {
    for await (const sighting of this.repository.events.list({
      detectorIds: [detectorId],
      order,
      limitPerDetector: 1,
      ...(after === undefined ? {} : { range: { after } }),
    })) {
      return sighting.time;
    }
    return undefined;
  }

  /**
   * Devices that passed a detector unheard since `lastSeen` without it seeing them: seen
   * after `lastSeen` (within the last `PASSED_UNSEEN_READ_SECONDS`) at a detector with a
   * link into it, and later at one its links lead to. Assumes the road between those
   * passes the detector (its links say so); a device missed by a working detector is
   * rare, so a few of them mean a fault.
   */
  private async passedUnseen(
    lastSeen: UnixNanos,
    now: UnixNanos,
    inLinks: readonly DetectorLink[],
    outLinks: readonly DetectorLink[],
  ): Promise<number> {
    if (inLinks.length === 0 || outLinks.length === 0) return 0;
    const readFrom = now - seconds(PASSED_UNSEEN_READ_SECONDS);
    const range = { after: (lastSeen > readFrom ? lastSeen : readFrom) + 1n, before: now + 1n };
    const enteredAt = new Map<string, UnixNanos>();
    for await (const page of this.repository.events.listPages({
      detectorIds: inLinks.map((link) => link.source),
      range,
      limitPerDetector: MAX_COUNTED_SIGHTINGS,
    })) {
      for (const sighting of page) {
        const earliest = enteredAt.get(sighting.deviceId);
        if (earliest === undefined || sighting.time < earliest)
          enteredAt.set(sighting.deviceId, sighting.time);
      }
    }
    if (enteredAt.size === 0) return 0;
    const passed = new Set<string>();
    for await (const page of this.repository.events.listPages({
      detectorIds: outLinks.map((link) => link.destination),
      range,
      limitPerDetector: MAX_COUNTED_SIGHTINGS,
    })) {
      for (const sighting of page) {
        const entered = enteredAt.get(sighting.deviceId);
        if (entered !== undefined && sighting.time > entered) passed.add(sighting.deviceId);
      }
    }
    return passed.size;
  }

  /**
   * The distinct devices (pseudonyms) the detector saw in `range`: the independent events
   * a silence is judged by, as one device passing sends a clump of sightings.
   */
  private async countDevices(detectorId: DetectorId, range: TimeRange): Promise<number> {
    const devices = new Set<string>();
    for await (const page of this.repository.events.listPages({
      detectorIds: [detectorId],
      range,
      limitPerDetector: MAX_COUNTED_SIGHTINGS,
    })) {
      for (const sighting of page) devices.add(sighting.deviceId);
    }
    return devices.size;
  }

  private async countSightings(detectorId: DetectorId, range: TimeRange, limit: number): Promise<number> {
    let count = 0;
    for await (const page of this.repository.events.listPages({
      detectorIds: [detectorId],
      range,
      limitPerDetector: limit,
    })) {
      count += page.length;
    }
    return count;
  }
}

function seconds(value: number): bigint {
  return BigInt(Math.round(value)) * NANOS_PER_SECOND;
}

/** Matched samples (`totalSamples`) of a link's estimates in `byLink`. */
function matchedOn(byLink: ReadonlyMap<string, readonly TravelTimeEstimate[]>, link: DetectorLink): number {
  return (byLink.get(linkKey(link.source, link.destination)) ?? []).reduce(
    (sum, estimate) => sum + estimate.totalSamples,
    0,
  );
}

function linkKey(source: DetectorId, destination: DetectorId): string {
  return `${source}>${destination}`;
}

/** Open alerts by kind: those listed, plus raised, minus cleared. */
function openCounts(open: readonly Alert[], changes: readonly AlertChange[]): Map<AlertKind, number> {
  const ids = new Map<string, AlertKind>(open.map((alert) => [alert.id, alert.kind]));
  for (const { change, alert } of changes) {
    if (change === 'cleared') ids.delete(alert.id);
    else ids.set(alert.id, alert.kind);
  }
  const counts = new Map<AlertKind, number>();
  for (const kind of ids.values()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

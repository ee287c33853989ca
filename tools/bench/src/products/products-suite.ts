import {
  DEFAULT_CONGESTION_ALERT_RULE,
  NANOS_PER_SECOND,
  type Alert,
  type Sighting,
  type TypicalProfile,
  type UnixNanos,
} from '@message-bus/domain';
import { machineInfo } from '../machine';
import type { BenchReport, ExtraTable } from '../report';
import { ProductsSite } from './products-site';
import {
  scoreCongestionAlerts,
  scoreDetectorAlerts,
  scoreOriginDestination,
  scoreProfiles,
  scoreRoutes,
  TARGETS,
} from './products-scoring';
import { HOUR, productsPlan, SEED, simulateTraffic, STATUS_EVERY_SECONDS } from './products-workload';

export interface ProductsSuiteOptions {
  /** One history week and the first 12 hours of the live week: checks the pipeline end to end. */
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

interface ProductsSizes {
  readonly historyWeeks: number;
  readonly liveHours: number;
  /** Worker rounds in the history weeks: each writes the intervals due since the last. */
  readonly historyRoundSeconds: number;
  /** Worker rounds in the live span: every interval, as a deployed worker runs. */
  readonly liveRoundSeconds: number;
}

const fullSizes: ProductsSizes = {
  historyWeeks: 4,
  liveHours: 5 * 24,
  historyRoundSeconds: 3600,
  liveRoundSeconds: 60,
};
const quickSizes: ProductsSizes = { ...fullSizes, historyWeeks: 1, liveHours: 12 };

/**
 * Issue 18's must-show figures: the real travel-time worker over a real embedded
 * store, fed simulated sightings and status reports in simulated time (normal history
 * weeks, then a live span with incidents and detector faults), scored against the
 * simulator's ground truth.
 */
export async function runProductsSuite(options: ProductsSuiteOptions): Promise<BenchReport> {
  const startedAt = new Date();
  const sizes = options.quick ? quickSizes : fullSizes;
  const plan = productsPlan(sizes.historyWeeks, sizes.liveHours);
  options.log(`simulating ${sizes.historyWeeks} week(s) of history and ${sizes.liveHours} h live`);
  const traffic = simulateTraffic(plan);
  const liveEnd = plan.liveStart + BigInt(sizes.liveHours) * HOUR;
  const site = await ProductsSite.open(plan.scenario, plan.routes, plan.historyStart, traffic, {});
  try {
    const historyClock = Date.now();
    await site.advance(plan.liveStart, sizes.historyRoundSeconds, async (current) => {
      if (current.now % (24n * HOUR) < BigInt(sizes.historyRoundSeconds) * NANOS_PER_SECOND) {
        options.log(`history: ${new Date(Number(current.now / 1_000_000n)).toISOString().slice(0, 10)}`);
      }
    });
    const historySeconds = (Date.now() - historyClock) / 1000;
    const profiles = await storedProfiles(site, plan);
    options.log(`live: ${sizes.liveHours} h at one round every ${sizes.liveRoundSeconds} s`);
    const liveClock = Date.now();
    await site.advance(liveEnd, sizes.liveRoundSeconds);
    const liveSeconds = (Date.now() - liveClock) / 1000;

    const alerts = await site.repository.alerts.list();
    const routeEstimates = await site.repository.routeTravelTimes.list({
      routes: plan.routes.map((route) => route.name),
      range: { after: plan.liveStart, before: liveEnd + 1n },
    });
    const odRange = { after: plan.liveStart + 6n * HOUR, before: plan.liveStart + 10n * HOUR };
    const stored: Sighting[] = [];
    for await (const page of site.repository.events.listPages({
      detectorIds: plan.scenario.detectors.map((detector) => detector.id),
      range: odRange,
      order: 'oldest_first',
    })) {
      stored.push(...page);
    }

    const routes = scoreRoutes(plan, traffic, routeEstimates);
    const congestion = scoreCongestionAlerts(plan, alerts, site.raisedAt);
    const detectors = scoreDetectorAlerts(plan, alerts, site.raisedAt);
    const profileScore = scoreProfiles(plan, traffic.normalTruth, profiles);
    const od = scoreOriginDestination(plan, traffic, stored, odRange);
    return {
      suite: 'products',
      title: 'Traffic products (issue 18): the real worker against simulated ground truth',
      mode: options.quick ? 'smoke' : 'full',
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: machineInfo({}),
      settings: {
        seed: SEED,
        historyWeeks: sizes.historyWeeks,
        liveHours: sizes.liveHours,
        historyRoundSeconds: sizes.historyRoundSeconds,
        liveRoundSeconds: sizes.liveRoundSeconds,
        statusEverySeconds: STATUS_EVERY_SECONDS,
        detectors: plan.scenario.detectors.length,
        links: plan.scenario.links.length,
        routes: plan.routes.length,
        incidents: plan.disruptions.incidents?.length ?? 0,
        sightings: traffic.sightings.length,
        statusReports: traffic.statuses.length,
        workerRounds: site.rounds,
        historyWallSeconds: Math.round(historySeconds),
        liveWallSeconds: Math.round(liveSeconds),
        alerts: alerts.length,
      },
      results: [],
      ratios: [],
      tables: [
        targetsTable(routes.scores, congestion, detectors, profileScore.overall, od),
        routesTable(routes.scores, routes.skipped),
        incidentsTable(congestion),
        detectorsTable(detectors),
        profilesTable(profileScore.targets),
      ],
      notes: [
        `Traffic: @message-bus/simulation's corridor with weekend traffic (seed ${SEED}; 12 detectors, 14 links, 5 % of vehicles detected, 15 % of traversals stopping), two routes (D01→D12 and D04→D09). ${sizes.historyWeeks} normal week(s) from ${iso(plan.historyStart)} (a holiday in the second), then ${sizes.liveHours} h from ${iso(plan.liveStart)} with ${plan.disruptions.incidents?.length ?? 0} incidents (×2.5–3 on one segment for 40–50 min, the queue growing upstream at 4 m/s), D08 silent 11:00–13:00, D07's clock drifting 20 s/h 16:00–20:00 and D06's battery losing 1 V/day from 00:00 on the first live day.`,
        `The worker (TravelTimeWorker.runOnce, default options, interval ${60} s) runs in simulated time over KvRepository on lmdb in RAM (/dev/shm where present: the run awaits thousands of durable commits and on a disk their fsyncs set its pace; speed is not measured here). History rounds run every ${sizes.historyRoundSeconds / 60} min, each writing the minute intervals due since the last (same estimates, fewer rounds: a live round every minute for weeks took too long to run); live rounds run every ${sizes.liveRoundSeconds} s, so alert times are those a deployed worker would have. Sightings and status reports are stored just before the round they are due for.`,
        'Routes: every ok route estimate with a median in the live span against the true end-to-end time of a vehicle reaching the last detector at the interval end; intervals while a route detector is silent or its clock drifts (and an hour after) are left out.',
        "Congestion alerts: a link or route is truly congested by an incident when its true travel time is ≥ 1.5× (the raise ratio) what it would have been for ≥ 5 minutes of arrivals; an alert is right when it overlaps such a span of its target; delay is from the first arrival truly 1.5× slower (no sensor sees a trip before it ends), with the delay from the queue reaching the target's road beside it. Alerts on a faulty detector's links during the fault are counted apart.",
        'Detector faults: outage from its start; clock skew from when the true offset reaches 30 s; battery from when the true voltage crosses 11.5 V (negative: warned before, by the trend). False alerts: any detector alert in the normal weeks, and in the live span any not of a fault.',
        "Typical profiles: read at the end of the history weeks; each bin against the median true travel time over the bin's minutes in a normal week.",
        `Origin–destination: domain's originDestination on the stored (pseudonymised) sightings of ${iso(odRange.after)}–${iso(odRange.before)} against the trips the simulated vehicles made.`,
      ],
    };
  } finally {
    await site.close();
  }
}

async function storedProfiles(
  site: ProductsSite,
  plan: ReturnType<typeof productsPlan>,
): Promise<TypicalProfile[]> {
  const targets = [
    ...plan.scenario.links.map((link) => ({
      kind: 'link' as const,
      source: link.source,
      destination: link.destination,
    })),
    ...plan.routes.map((route) => ({ kind: 'route' as const, route: route.name })),
  ];
  const profiles: TypicalProfile[] = [];
  for (const target of targets) {
    const profile = await site.repository.profiles.get(target);
    if (profile !== undefined) profiles.push(profile);
  }
  return profiles;
}

function targetsTable(
  routes: ReturnType<typeof scoreRoutes>['scores'],
  congestion: ReturnType<typeof scoreCongestionAlerts>,
  detectors: ReturnType<typeof scoreDetectorAlerts>,
  profile: ReturnType<typeof scoreProfiles>['overall'],
  od: ReturnType<typeof scoreOriginDestination>,
): ExtraTable {
  const row = (label: string, value: string, target: string, met: boolean): string[] => [
    label,
    value,
    target,
    met ? 'PASS' : 'MISSED',
  ];
  const rows: string[][] = routes.map((score) =>
    row(
      `route ${score.route}, ${score.method} (${pct(score.share)} of intervals)`,
      score.medianApe === undefined ? '—' : pct(score.medianApe),
      `≤ ${pct(TARGETS.routeMedianApe)} median APE`,
      score.medianApe !== undefined && score.medianApe <= TARGETS.routeMedianApe,
    ),
  );
  rows.push(
    row(
      'congestion alerts: precision',
      ratio(congestion.precision),
      `≥ ${TARGETS.alertPrecision}`,
      congestion.precision >= TARGETS.alertPrecision,
    ),
    row(
      'congestion alerts: recall',
      ratio(congestion.recall),
      `≥ ${TARGETS.alertRecall}`,
      congestion.recall >= TARGETS.alertRecall,
    ),
    row(
      `congestion alerts: median detection delay after true ${DEFAULT_CONGESTION_ALERT_RULE.raiseRatio}× (max ${minutes(congestion.maxDelayMinutes)}; after the queue reaches the road: median ${minutes(congestion.medianDelayFromOnsetMinutes)}, max ${minutes(congestion.maxDelayFromOnsetMinutes)})`,
      minutes(congestion.medianDelayMinutes),
      `≤ ${TARGETS.alertDelayMinutes} min`,
      congestion.medianDelayMinutes !== undefined &&
        congestion.medianDelayMinutes <= TARGETS.alertDelayMinutes,
    ),
    row(
      'congestion alerts: one alert per incident (no flapping)',
      pct(congestion.singleAlertShare),
      '100 %',
      congestion.singleAlertShare === 1,
    ),
  );
  for (const fault of detectors.faults) {
    const limit = fault.fault.includes('silent')
      ? TARGETS.outageMinutes
      : fault.fault.includes('clock')
        ? TARGETS.clockSkewMinutes
        : undefined;
    rows.push(
      limit === undefined
        ? [
            `detector: ${fault.fault}`,
            minutes(fault.delayMinutes),
            'raised (no target)',
            fault.alertAt === undefined ? 'MISSED' : 'PASS',
          ]
        : row(
            `detector: ${fault.fault}`,
            minutes(fault.delayMinutes),
            `≤ ${limit} min`,
            fault.delayMinutes !== undefined && fault.delayMinutes <= limit,
          ),
    );
  }
  rows.push(
    row(
      'false detector alerts over the normal week(s)',
      String(detectors.falseInHistory.length),
      '0',
      detectors.falseInHistory.length === 0,
    ),
    row(
      'typical profile: median APE over every bin',
      profile.medianApe === undefined ? '—' : pct(profile.medianApe),
      `≤ ${pct(TARGETS.profileMedianApe)}`,
      profile.medianApe !== undefined && profile.medianApe <= TARGETS.profileMedianApe,
    ),
    row(
      `origin–destination: cells equal to the truth (${od.trips} trips, truth ${od.truthTrips})`,
      `${od.equalCells} of ${od.truthCells}`,
      'all, and single-detector trips',
      od.equalCells === od.truthCells && od.singleDetectorTrips === od.truthSingleDetectorTrips,
    ),
  );
  return { title: 'issue 18 targets', columns: ['value', 'target', ''], rows };
}

function routesTable(scores: ReturnType<typeof scoreRoutes>['scores'], skipped: number): ExtraTable {
  return {
    title: `Route travel times (${skipped} intervals with a faulty detector left out)`,
    columns: ['intervals', 'share', 'median APE', 'p90 APE'],
    rows: scores.map((score) => [
      `${score.route}, ${score.method}`,
      String(score.intervals),
      pct(score.share),
      score.medianApe === undefined ? '—' : pct(score.medianApe),
      score.p90Ape === undefined ? '—' : pct(score.p90Ape),
    ]),
  };
}

function incidentsTable(congestion: ReturnType<typeof scoreCongestionAlerts>): ExtraTable {
  return {
    title: `Congestion alerts: ${congestion.alerts} raised (${congestion.truePositives} right), ${congestion.excludedFaultAlerts} on faulty detectors apart; ${congestion.detected} of ${congestion.congested} truly congested targets alerted`,
    columns: ['onset', 'true 1.5×', 'delay', 'from onset', 'alerts'],
    rows: [
      ...congestion.pairs.map((pair) => [
        pair.target,
        iso(pair.onset),
        iso(pair.from),
        minutes(pair.delayMinutes),
        minutes(pair.delayFromOnsetMinutes),
        String(pair.alerts),
      ]),
      ...congestion.wrong.map((alert) => [
        `wrong: ${alert.target}`,
        iso(alert.start),
        '—',
        `raised ${iso(alert.raisedAt)}`,
        '—',
        '—',
      ]),
    ],
  };
}

function detectorsTable(detectors: ReturnType<typeof scoreDetectorAlerts>): ExtraTable {
  const falseRow = (alert: Alert): string[] => [
    `false: ${alert.kind} ${alert.subject.kind === 'detector' ? alert.subject.detectorId : ''}`,
    iso(alert.start),
    '—',
    '—',
  ];
  return {
    title: `Detector alerts (${detectors.falseInLive.length} false in the live span)`,
    columns: ['truth', 'alert', 'delay'],
    rows: [
      ...detectors.faults.map((fault) => [
        fault.fault,
        iso(fault.truthAt),
        fault.alertAt === undefined ? 'none' : iso(fault.alertAt),
        minutes(fault.delayMinutes),
      ]),
      ...[...detectors.falseInHistory, ...detectors.falseInLive].map(falseRow),
    ],
  };
}

function profilesTable(targets: ReturnType<typeof scoreProfiles>['targets']): ExtraTable {
  return {
    title: 'Typical profiles after the history weeks, against the truth of a normal week',
    columns: ['bins', 'median APE', 'p90 APE', 'within 5 %'],
    rows: targets.map((score) => [
      score.target,
      String(score.bins),
      score.medianApe === undefined ? '—' : pct(score.medianApe),
      score.p90Ape === undefined ? '—' : pct(score.p90Ape),
      pct(score.within5Percent),
    ]),
  };
}

function iso(at: UnixNanos): string {
  return new Date(Number(at / 1_000_000n)).toISOString().slice(0, 16).replace('T', ' ');
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function ratio(value: number): string {
  return value.toFixed(3);
}

function minutes(value: number | undefined): string {
  return value === undefined ? 'none' : `${value.toFixed(1)} min`;
}

import { levelColour } from '@message-bus/dashboard-web/levels';
import { parseDetectorId, type DetectorId, type DetectorStatus } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { simulate, type Disruptions } from '@message-bus/simulation';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardContext, launchChromium, rgbOf, saveScreenshot } from './support/browser';
import { INTERVAL_SECONDS, startDashboardServer, STORE_PREFIX, type DashboardServer } from './support/dashboard-server';
import { registerScenario, sendAsTimeComes, sendSightings, sendStatusReports } from './support/feed';
import { linkTravelTimes, listOpenAlerts, millisOfTimestamp } from './support/grpc';
import { PAGE_TIMEOUT_MS } from './support/pages';
import { busyCorridor, freeFlowSeconds, nanosOfMillis } from './support/roads';
import { storeFreeFlowProfiles } from './support/typical-profiles';

const MINUTE = 60_000;
const INCIDENT_LINK = { source: parseDetectorId('D02'), destination: parseDetectorId('D03') };
/** A detector whose battery falls towards the low threshold: a warning alert beside the congestion one. */
const DRAINING_DETECTOR = parseDetectorId('D01');
/** The workers' default congestion rule: 3 of the newest 5 intervals at 1.5× typical or more. */
const RULE = { windowIntervals: 5, raiseIntervals: 3, raiseRatio: 1.5, minValidSamples: 3, maxSpread: 1.3 };
/** A path's level on the map, and its stroke. */
interface DrawnLink {
  readonly level: string | undefined;
  readonly stroke: string;
}

/**
 * An incident (3× free flow) on D02 → D03 that the link's estimates show within about
 * two minutes, not after half of a 15-minute window: D03 was silent for the 12 minutes
 * before the test (the simulator's outage), so the window then holds three minutes of
 * free-flowing trips (the map shows them free while the page loads), and from 40 s on
 * the trips D03 sees are the jam's, sent as their time comes. The workers judge
 * congestion live on those estimates.
 */
describe('an incident in the simulation, live on the dashboard (cqserver, Chromium)', () => {
  const road = busyCorridor(3, false);
  let server: DashboardServer;
  let live: { stop: () => Promise<void> } | undefined;
  let browser: Browser;
  let page: Page;
  let incidentSeenFrom: number;
  let incidentOnset: number;

  beforeAll(async () => {
    server = await startDashboardServer({
      prepare: (dataDir) => storeFreeFlowProfiles(dataDir, STORE_PREFIX, [...freeFlowSeconds(road).values()]),
    });
    const start = Date.now();
    incidentOnset = start - 6 * MINUTE;
    incidentSeenFrom = start + 40_000;
    const disruptions: Disruptions = {
      incidents: [
        {
          from: INCIDENT_LINK.source,
          to: INCIDENT_LINK.destination,
          onset: nanosOfMillis(incidentOnset),
          end: nanosOfMillis(start + 60 * MINUTE),
          factor: 3,
          // The queue stays on its segment for the test's minutes: D01 → D02 keeps flowing.
          upstreamMetersPerSecond: 0.05,
        },
      ],
      outages: [
        {
          detectorId: INCIDENT_LINK.destination,
          from: nanosOfMillis(start - 12 * MINUTE),
          until: nanosOfMillis(incidentSeenFrom),
        },
      ],
    };
    const simulation = simulate(road, {
      seed: 7,
      start: nanosOfMillis(start - 40 * MINUTE),
      durationSeconds: 48 * 60,
      disruptions,
    });
    await registerScenario(server.grpc, road);
    await sendStatusReports(server.grpc, drainingBattery(DRAINING_DETECTOR, start));
    const now = nanosOfMillis(Date.now());
    await sendSightings(
      server.grpc,
      simulation.sightings.filter((sighting) => sighting.time <= now),
    );
    live = sendAsTimeComes(
      server.grpc,
      simulation.sightings.filter((sighting) => sighting.time > now),
      () => nanosOfMillis(Date.now()),
    );
    browser = await launchChromium();
    page = await (await dashboardContext(browser, server.url)).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await live?.stop();
    await server?.stop();
  });

  it("turns the link's colour and raises a congestion alert in the feed", async () => {
    const drawn = (levels: readonly string[]) =>
      page.waitForFunction(
        ([{ source, destination }, wanted]) => {
          const path = document.querySelector<SVGPathElement>(
            `path[data-link-source="${source}"][data-link-destination="${destination}"]`,
          );
          return wanted.includes(path?.dataset['level'] ?? '')
            ? { level: path!.dataset['level'], stroke: getComputedStyle(path!).stroke }
            : undefined;
        },
        [INCIDENT_LINK, levels] as const,
        { timeout: 150_000 },
      );
    await page.goto(`${server.url}/#/map`);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: 90_000 });
    const before = (await (await drawn(['free'])).jsonValue()) as DrawnLink;
    expect(before.stroke).toBe(rgbOf(levelColour('free')));

    // 3× free flow is severe; heavy (from 1.6×) while the window still holds a few free trips.
    const after = (await (await drawn(['heavy', 'severe'])).jsonValue()) as DrawnLink;
    expect(after.stroke).toBe(rgbOf(levelColour(after.level as 'heavy' | 'severe')));
    await saveScreenshot(page, 'map-incident');

    await page.click('nav a[href="#/alerts"]');
    const row = await page.waitForSelector('table.alerts tr[data-kind="congestion"]', { timeout: 150_000 });
    const shown = {
      id: await row.getAttribute('data-alert-id'),
      severity: await row.getAttribute('data-severity'),
      open: await row.getAttribute('data-open'),
    };
    await saveScreenshot(page, 'alerts');

    const alerts = (await listOpenAlerts(server.grpc)).filter(
      (alert) => alert.kind === query.AlertKind.ALERT_KIND_CONGESTION,
    );
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert!.subject).toEqual({
      $case: 'link',
      value: { sourceDetectorId: INCIDENT_LINK.source, destDetectorId: INCIDENT_LINK.destination },
    });
    expect(shown).toEqual({
      id: alert!.id,
      severity: query.AlertSeverity[alert!.severity].replace('ALERT_SEVERITY_', '').toLowerCase(),
      open: 'true',
    });

    await page.click(`table.alerts tr[data-alert-id="${alert!.id}"] a.show-on-map`);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: 90_000 });
    expect(new URL(page.url()).hash.startsWith('#/map')).toBe(true);

    // On data time: the alert starts at the first congested interval of the first window
    // of estimates that met the rule, or within one interval of it; and not before the
    // incident's trips reached the data.
    const estimates = await linkTravelTimes(
      server.grpc,
      INCIDENT_LINK,
      incidentSeenFrom - MINUTE,
      millisOfTimestamp(alert!.updated) + 1,
    );
    const effect = firstRaisableWindowStart(estimates);
    expect(effect).toBeDefined();
    const alertStart = millisOfTimestamp(alert!.start);
    expect(Math.abs(alertStart - effect!)).toBeLessThanOrEqual(INTERVAL_SECONDS * 1000);
    expect(alertStart).toBeGreaterThanOrEqual(incidentSeenFrom);
    expect(incidentSeenFrom).toBeGreaterThan(incidentOnset);
  });
  it('filters the alert feed by least severity and by kind', async () => {
    await page.click('nav a[href="#/alerts"]');
    // The health worker checks every minute; the test before took longer than that.
    const batteryRow = 'table.alerts tr[data-kind="battery_low"]';
    const congestionRow = 'table.alerts tr[data-kind="congestion"]';
    await page.waitForSelector(batteryRow, { timeout: 150_000 });
    await page.waitForSelector(congestionRow, { timeout: PAGE_TIMEOUT_MS });
    // A falling trend above the threshold is a warning (below it, critical).
    expect(await page.getAttribute(batteryRow, 'data-severity')).toBe('warning');
    const shownRows = () =>
      page.$$eval('table.alerts tr[data-alert-id]', (rows) =>
        rows.map((row) => ({
          kind: (row as HTMLElement).dataset['kind'],
          severity: (row as HTMLElement).dataset['severity'],
        })),
      );

    await page.selectOption('select#severity', 'critical');
    await page.waitForSelector(batteryRow, { state: 'detached', timeout: PAGE_TIMEOUT_MS });
    expect((await shownRows()).every((row) => row.severity === 'critical')).toBe(true);
    await page.selectOption('select#severity', 'warning');
    await page.waitForSelector(batteryRow, { timeout: PAGE_TIMEOUT_MS });
    expect(await page.getAttribute(batteryRow, 'data-severity')).toBe('warning');

    await page.selectOption('select#kind', 'congestion');
    await page.waitForSelector(batteryRow, { state: 'detached', timeout: PAGE_TIMEOUT_MS });
    await page.waitForSelector(congestionRow, { timeout: PAGE_TIMEOUT_MS });
    expect(new Set((await shownRows()).map((row) => row.kind))).toEqual(new Set(['congestion']));
    // The congestion alert is shown at its own least severity too (it only ever rises).
    const congestionSeverity = (await page.getAttribute(congestionRow, 'data-severity'))!;
    await page.selectOption('select#severity', congestionSeverity);
    await page.waitForSelector(congestionRow, { timeout: PAGE_TIMEOUT_MS });

    await page.selectOption('select#severity', 'all');
    await page.selectOption('select#kind', 'battery_low');
    await page.waitForSelector(congestionRow, { state: 'detached', timeout: PAGE_TIMEOUT_MS });
    await page.waitForSelector(batteryRow, { timeout: PAGE_TIMEOUT_MS });
    expect(await shownRows()).toEqual([{ kind: 'battery_low', severity: 'warning' }]);
    await saveScreenshot(page, 'alerts-filtered');
  });
});

/**
 * Status reports of `detectorId` every half hour over the last 3 hours before `nowMillis`
 * at 12.0 V, and the same times a day before at 12.6 V: a fall of 0.6 V a day, 11.5 V
 * (the default threshold) in about 20 hours, within the 48-hour horizon.
 */
function drainingBattery(detectorId: DetectorId, nowMillis: number): DetectorStatus[] {
  const day = 24 * 60 * MINUTE;
  const times = Array.from({ length: 7 }, (_, index) => nowMillis - (6 - index) * 30 * MINUTE);
  const report = (millis: number, batteryVoltage: number): DetectorStatus => ({
    detectorId,
    time: nanosOfMillis(millis),
    batteryVoltage,
    activeRadios: ['wifi'],
    detectionCounts: {},
  });
  return [...times.map((millis) => report(millis - day, 12.6)), ...times.map((millis) => report(millis, 12.0))];
}

/**
 * The interval end of the first congested estimate of the first window of
 * `RULE.windowIntervals` estimates holding `RULE.raiseIntervals` congested ones, where a
 * congested estimate is `ok`, has enough valid samples that agree (p85 ≤ 1.3 × p15) and
 * is at least 1.5× its typical time; undefined when no window did.
 */
function firstRaisableWindowStart(estimates: readonly query.TravelTimeEstimate[]): number | undefined {
  const congested = estimates.map(
    (estimate) =>
      estimate.status === query.EstimateStatus.ESTIMATE_STATUS_OK &&
      Number(estimate.validSamples) >= RULE.minValidSamples &&
      estimate.p15Seconds !== undefined &&
      estimate.p85Seconds !== undefined &&
      estimate.p85Seconds <= RULE.maxSpread * estimate.p15Seconds &&
      (estimate.ratioToTypical ?? 0) >= RULE.raiseRatio,
  );
  for (let newest = 0; newest < estimates.length; newest += 1) {
    const window = congested.slice(Math.max(0, newest - RULE.windowIntervals + 1), newest + 1);
    if (window.filter(Boolean).length < RULE.raiseIntervals) continue;
    const first = Math.max(0, newest - RULE.windowIntervals + 1) + window.indexOf(true);
    return millisOfTimestamp(estimates[first]!.intervalEnd);
  }
  return undefined;
}

import type { LinkView, NetworkSnapshot, RouteView, Series } from '@message-bus/dashboard-web';
import { levelColour } from '@message-bus/dashboard-web/levels';
import { query } from '@message-bus/proto';
import type { Scenario } from '@message-bus/simulation';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardContext, launchChromium, rgbOf, saveScreenshot } from './support/browser';
import type { DashboardServer } from './support/dashboard-server';
import { linkTravelTimes, listDetectors, millisOfTimestamp } from './support/grpc';
import { clickLink, evaluateUntil, PAGE_TIMEOUT_MS } from './support/pages';
import { startSimulatedNetwork, type SimulatedNetwork } from './support/simulated-network';

/** Jams on three of the five segments (index → travel time over free flow): a map with every level. */
const JAMS = { 1: 1.45, 2: 1.8, 3: 2.6 };
const ROUTE = { name: 'east-end', detectors: ['D04', 'D05', 'D06'] };
/** A link in a jam, off the route (the route is drawn over its links), whose chart the test opens. */
const CHART_LINK = { source: 'D02', destination: 'D03' };

describe('the dashboard of a simulated motorway (cqserver, Chromium)', () => {
  let simulated: SimulatedNetwork;
  let server: DashboardServer;
  let scenario: Scenario;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    simulated = await startSimulatedNetwork({
      detectorCount: 6,
      jams: JAMS,
      routes: [ROUTE],
      historyMinutes: 25,
      liveMinutes: 15,
      seed: 19,
      intervalSeconds: 10,
    });
    ({ server, scenario } = simulated);
    browser = await launchChromium();
    context = await dashboardContext(browser, server.url);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await simulated?.stop();
  });

  it('draws every link in the colour of the level the API gives it', async () => {
    await page.goto(`${server.url}/#/map`);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    // Estimates change every interval: compare the map with an /api/network read at the
    // same moment, again until both agree (a change between the two reads is not a miss).
    const { network, links, routes } = await evaluateUntil(
      page,
      async () => {
        const network = (await (await fetch('/api/network')).json()) as NetworkSnapshot;
        const links = [...document.querySelectorAll<SVGPathElement>('path[data-link-source]')].map((path) => ({
          source: path.dataset['linkSource'],
          destination: path.dataset['linkDestination'],
          level: path.dataset['level'],
          stroke: getComputedStyle(path).stroke,
        }));
        const routes = [...document.querySelectorAll<SVGPathElement>('path[data-route]')].map(
          (path) => path.dataset['route'],
        );
        const agree =
          links.length === network.links.length &&
          network.links.every((link) =>
            links.some(
              (path) =>
                path.source === link.source &&
                path.destination === link.destination &&
                path.level === (link.latest?.level ?? 'unknown'),
            ),
          );
        return agree ? { network, links, routes } : undefined;
      },
      'the map to draw every link in the level /api/network gives it',
    );
    await saveScreenshot(page, 'map');
    // Without --dashboard_tile_url the links lie on a plain background.
    expect(await page.locator('.leaflet-tile').count()).toBe(0);

    const byLink = (a: { source?: string; destination?: string }, b: { source?: string; destination?: string }) =>
      `${a.source}→${a.destination}`.localeCompare(`${b.source}→${b.destination}`);
    expect(network.links.map(({ source, destination }) => ({ source, destination })).sort(byLink)).toEqual(
      scenario.links.map(({ source, destination }) => ({ source, destination })).sort(byLink),
    );
    expect(links.sort(byLink)).toEqual(
      [...network.links].sort(byLink).map((link: LinkView) => {
        const level = link.latest?.level ?? 'unknown';
        return { source: link.source, destination: link.destination, level, stroke: rgbOf(levelColour(level)) };
      }),
    );
    expect(routes).toEqual(network.routes.map((route: RouteView) => route.name));
    // The simulated road as the API sees it: free where it flows, severe in the 2.6× jam.
    const levelOf = (source: string, destination: string) =>
      network.links.find((link) => link.source === source && link.destination === destination)?.latest?.level;
    expect(levelOf('D01', 'D02')).toBe('free');
    expect(levelOf('D05', 'D06')).toBe('free');
    expect(levelOf('D04', 'D05')).toBe('severe');
  });

  it("clicking a link opens its chart, whose points are the link's GetTravelTimes", async () => {
    const seriesAnswer = page.waitForResponse((response) => response.url().includes('/api/series?'), {
      timeout: PAGE_TIMEOUT_MS,
    });
    await clickLink(page, CHART_LINK.source, CHART_LINK.destination);
    const series = (await (await seriesAnswer).json()) as Series;
    await page.waitForSelector('#detail[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    const hash = new URL(page.url()).hash;
    expect(hash.startsWith('#/link?')).toBe(true);
    const params = new URLSearchParams(hash.slice('#/link?'.length));
    expect([params.get('source'), params.get('destination')]).toEqual([CHART_LINK.source, CHART_LINK.destination]);
    const title = await page.textContent('h1');
    expect(title).toContain(CHART_LINK.source);
    expect(title).toContain(CHART_LINK.destination);
    await saveScreenshot(page, 'link');

    // The page's points up to the newest estimate its series had (live ones may follow),
    // against GetTravelTimes over the same range read now.
    const newest = series.estimates.at(-1)?.intervalEnd;
    expect(newest).toBeDefined();
    const rows = (
      await page.$$eval(
        'table.points tr[data-interval-end]',
        (elements, names) =>
          elements.map((row) =>
            Object.fromEntries(
              names.flatMap((name) => {
                const value = (row as HTMLElement).dataset[name];
                return value === undefined ? [] : [[name, value]];
              }),
            ),
          ),
        POINT_ATTRIBUTES,
      )
    ).filter((row) => Date.parse(row['intervalEnd']!) <= Date.parse(newest!));
    const estimates = await linkTravelTimes(
      server.grpc,
      CHART_LINK,
      Date.parse(series.after),
      Date.parse(newest!) + 1,
    );
    expect(estimates.length).toBeGreaterThan(100);
    expect(rows).toEqual(estimates.map(pointAttributes));
    // The jam is on the chart: the newest median is well over the first ones (free flow).
    const medians = estimates.flatMap((estimate) => estimate.medianSeconds ?? []);
    expect(medians.at(-1)!).toBeGreaterThan(medians[0]! * 1.2);
  });

  it("the link's CSV download holds the table's points", async () => {
    // Still on the link's page the test before opened.
    await page.waitForSelector('#detail[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    const href = await page.getAttribute('a#csv', 'href');
    expect(href).not.toBeNull();
    const download = new URL(href!, page.url());
    expect(download.pathname).toBe('/api/series.csv');
    expect([download.searchParams.get('source'), download.searchParams.get('destination')]).toEqual([
      CHART_LINK.source,
      CHART_LINK.destination,
    ]);
    const answer = await page.request.get(download.href);
    expect(answer.status()).toBe(200);
    const [header, ...lines] = (await answer.text()).trimEnd().split('\n');
    const columns = header!.split(',');
    expect(columns).toEqual(expect.arrayContaining(['intervalEnd', 'medianSeconds']));
    const csvPoints = lines.map((line) => {
      const cells = line.split(',');
      const cell = (name: string) => cells[columns.indexOf(name)];
      return { intervalEnd: Date.parse(cell('intervalEnd')!), medianSeconds: optionalNumber(cell('medianSeconds')) };
    });
    expect(csvPoints.length).toBeGreaterThan(100);

    const tablePoints = await page.$$eval('table.points tr[data-interval-end]', (rows) =>
      rows.map((row) => ({
        intervalEnd: (row as HTMLElement).dataset['intervalEnd']!,
        medianSeconds: (row as HTMLElement).dataset['medianSeconds'],
      })),
    );
    // Live points may have reached the table or the CSV alone at the newest end: compare
    // the range both hold.
    const newestOfBoth = Math.min(csvPoints.at(-1)!.intervalEnd, Date.parse(tablePoints.at(-1)!.intervalEnd));
    expect(csvPoints.filter((point) => point.intervalEnd <= newestOfBoth)).toEqual(
      tablePoints
        .map((point) => ({ intervalEnd: Date.parse(point.intervalEnd), medianSeconds: optionalNumber(point.medianSeconds) }))
        .filter((point) => point.intervalEnd <= newestOfBoth),
    );
  });

  it("a route's page names the route and draws its series", async () => {
    await page.goto(`${server.url}/#/route?name=${ROUTE.name}`);
    await page.waitForSelector('#detail[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    expect(await page.textContent('h1')).toContain(ROUTE.name);
    await saveScreenshot(page, 'route');
  });

  it('the detector table matches ListDetectors', async () => {
    await page.click('nav a[href="#/detectors"]');
    const detectors = await listDetectors(server.grpc);
    expect(detectors).toHaveLength(6);
    await page.waitForFunction(
      (count) => document.querySelectorAll('table.detectors tr[data-detector-id]').length === count,
      detectors.length,
      { timeout: PAGE_TIMEOUT_MS },
    );
    const rows = await page.$$eval('table.detectors tr[data-detector-id]', (elements) =>
      elements.map((row) => ({
        id: (row as HTMLElement).dataset['detectorId']!,
        cells: Object.fromEntries(
          [...row.querySelectorAll<HTMLElement>('td[data-col]')].map((cell) => [
            cell.dataset['col']!,
            cell.textContent?.trim() ?? '',
          ]),
        ),
      })),
    );
    expect(rows.map((row) => row.id).sort()).toEqual(detectors.map((detector) => detector.loc!.detectorId).sort());
    for (const detector of detectors) {
      const row = rows.find((each) => each.id === detector.loc!.detectorId)!;
      const status = detector.latestStatus!;
      expect(row.cells['id']).toBe(detector.loc!.detectorId);
      expect(Number(row.cells['count']!.replace(/\D/g, ''))).toBe(
        Object.values(status.detectionCount).reduce((sum, count) => sum + Number(count), 0),
      );
      // However many decimals the page shows, they are the reported voltage's.
      const shown = /\d+(\.(\d+))?/.exec(row.cells['battery']!);
      expect(shown).not.toBeNull();
      const decimals = shown![2]?.length ?? 0;
      expect(Math.abs(Number(shown![0]) - status.batteryVoltage)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-9);
    }

    const shownIds = () =>
      page.$$eval('table.detectors tr[data-detector-id]', (elements) =>
        elements.map((row) => (row as HTMLElement).dataset['detectorId']!),
      );
    await page.click('th[data-sort="id"]');
    const once = await shownIds();
    const ascending = [...once].sort();
    expect([ascending, [...ascending].reverse()]).toContainEqual(once);
    await page.click('th[data-sort="id"]');
    await page.waitForFunction(
      (first) => document.querySelector('table.detectors tr[data-detector-id]')?.getAttribute('data-detector-id') !== first,
      once[0],
      { timeout: PAGE_TIMEOUT_MS },
    );
    expect(await shownIds()).toEqual([...once].reverse());

    await page.click('table.detectors tr[data-detector-id="D03"]');
    await page.waitForSelector('#sightings[data-detector-id="D03"]', { timeout: PAGE_TIMEOUT_MS });
    await saveScreenshot(page, 'detectors');
  });
});

/** The data attributes of a `table.points` row (libs/dashboard-web/README.md), as dataset names. */
const POINT_ATTRIBUTES = [
  'intervalEnd',
  'medianSeconds',
  'p15Seconds',
  'p85Seconds',
  'validSamples',
  'totalSamples',
  'status',
];

/** A `table.points` row's data attributes (dataset names) as the page must write them for `estimate`. */
function pointAttributes(estimate: query.TravelTimeEstimate): Record<string, string> {
  const optional = (name: string, value: number | undefined) => (value === undefined ? {} : { [name]: String(value) });
  return {
    intervalEnd: new Date(millisOfTimestamp(estimate.intervalEnd)).toISOString(),
    ...optional('medianSeconds', estimate.medianSeconds),
    ...optional('p15Seconds', estimate.p15Seconds),
    ...optional('p85Seconds', estimate.p85Seconds),
    validSamples: String(estimate.validSamples),
    totalSamples: String(estimate.totalSamples),
    status: query.EstimateStatus[estimate.status].replace('ESTIMATE_STATUS_', '').toLowerCase(),
  };
}

/** A CSV cell or data attribute as a number; an empty or absent one as undefined. */
function optionalNumber(text: string | undefined): number | undefined {
  return text === undefined || text === '' ? undefined : Number(text);
}

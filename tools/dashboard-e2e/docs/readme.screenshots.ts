import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardContext, launchChromium } from '../src/support/browser';
import { clickLink, PAGE_TIMEOUT_MS } from '../src/support/pages';
import { startSimulatedNetwork, type SimulatedNetwork } from '../src/support/simulated-network';

const imagesDir = resolve(__dirname, '../../../docs/images');
/** A twelve-detector motorway with jams building towards its middle. */
const JAMS = { 3: 1.4, 4: 1.7, 5: 2.4, 6: 1.9, 8: 1.35 };
const ROUTE = { name: 'north-exit', detectors: ['D09', 'D10', 'D11', 'D12'] };
const CHART_LINK = { source: 'D06', destination: 'D07' };

describe('the README screenshots of the dashboard', () => {
  let network: SimulatedNetwork | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    network = await startSimulatedNetwork({
      detectorCount: 12,
      jams: JAMS,
      routes: [ROUTE],
      historyMinutes: 30,
      liveMinutes: 10,
      seed: 2026,
      intervalSeconds: 10,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await network?.stop();
  });

  it('writes docs/images/dashboard-map.png and dashboard-link.png', async () => {
    const { url } = network!.server;
    const page = await (await dashboardContext(browser!, url)).newPage();
    await page.goto(`${url}/#/map`);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    await page.screenshot({ path: resolve(imagesDir, 'dashboard-map.png') });

    await clickLink(page, CHART_LINK.source, CHART_LINK.destination);
    await page.waitForSelector('#detail[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    await page.screenshot({ path: resolve(imagesDir, 'dashboard-link.png') });
    expect(new URL(page.url()).hash).toBe(`#/link?source=${CHART_LINK.source}&destination=${CHART_LINK.destination}`);
  });
});

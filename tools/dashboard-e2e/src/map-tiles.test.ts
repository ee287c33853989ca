import { coordinatesToDegrees } from '@message-bus/domain';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardContext, launchChromium, saveScreenshot } from './support/browser';
import { startDashboardServer, type DashboardServer } from './support/dashboard-server';
import { registerScenario } from './support/feed';
import { PAGE_TIMEOUT_MS } from './support/pages';
import { busyCorridor } from './support/roads';

/** A valid 1×1 PNG, the answer to every tile request. */
const ONE_PIXEL_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const ATTRIBUTION = 'Tiles of the dashboard-e2e tile server';
const TILE_PATH = /^\/(\d+)\/(\d+)\/(\d+)\.png$/;

interface TileServer {
  readonly origin: string;
  /** Every path requested so far, in order. */
  readonly paths: readonly string[];
  stop(): Promise<void>;
}

/** A tile server on loopback answering every request with the 1×1 PNG and recording its path. */
async function startTileServer(): Promise<TileServer> {
  const png = Buffer.from(ONE_PIXEL_PNG_BASE64, 'base64');
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    paths.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
    response.end(png);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    paths,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The x/y of the web-mercator tile at `zoom` holding a point, as Leaflet numbers them. */
function tileOf(latitude: number, longitude: number, zoom: number): { x: number; y: number } {
  const scale = 2 ** zoom;
  const radians = (latitude * Math.PI) / 180;
  return {
    x: Math.floor(((longitude + 180) / 360) * scale),
    y: Math.floor(((1 - Math.log(Math.tan(radians) + 1 / Math.cos(radians)) / Math.PI) / 2) * scale),
  };
}

describe('the map on a configured tile server (cqserver, Chromium)', () => {
  const road = busyCorridor(3, false);
  let tiles: TileServer;
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  const consoleMessages: string[] = [];

  beforeAll(async () => {
    tiles = await startTileServer();
    server = await startDashboardServer({
      args: [`--dashboard_tile_url=${tiles.origin}/{z}/{x}/{y}.png`, `--dashboard_tile_attribution=${ATTRIBUTION}`],
    });
    await registerScenario(server.grpc, road);
    browser = await launchChromium();
    page = await (await dashboardContext(browser, server.url, [tiles.origin])).newPage();
    page.on('console', (message) => consoleMessages.push(message.text()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await tiles?.stop();
  });

  it('lays the tiles of the fitted zoom under the links, with their attribution', async () => {
    await page.goto(`${server.url}/#/map`);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    await page.waitForSelector('img.leaflet-tile.leaflet-tile-loaded', { timeout: PAGE_TIMEOUT_MS });
    const shownTiles = await page.$$eval('img.leaflet-tile', (images) =>
      images.map((image) => new URL((image as HTMLImageElement).src)),
    );
    expect(shownTiles.length).toBeGreaterThan(0);
    expect(new Set(shownTiles.map((url) => url.origin))).toEqual(new Set([tiles.origin]));
    const shownZooms = new Set(shownTiles.map((url) => Number(TILE_PATH.exec(url.pathname)?.[1])));
    expect(shownZooms.size).toBe(1);
    const [zoom] = shownZooms;
    // Three detectors 2 km apart fit a 1280-pixel map only well past the initial world view.
    expect(zoom).toBeGreaterThanOrEqual(10);

    expect(tiles.paths.length).toBeGreaterThan(0);
    for (const path of tiles.paths) expect(path).toMatch(TILE_PATH);
    const requested = new Set(tiles.paths);
    for (const detector of road.detectors) {
      const { latitude, longitude } = coordinatesToDegrees(detector.coordinates);
      const { x, y } = tileOf(latitude, longitude, zoom!);
      expect(requested).toContain(`/${zoom}/${x}/${y}.png`);
    }

    expect(await page.textContent('.leaflet-control-attribution')).toContain(ATTRIBUTION);
    expect(consoleMessages.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
    await saveScreenshot(page, 'map-tiles');
  });
});

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const workspaceRoot = resolve(__dirname, '../../../..');
/** Where each page's screenshot is kept, beside the test reports CI collects. */
export const SCREENSHOT_DIR = join(workspaceRoot, 'tmp/test-results/dashboard');

/** Debian's chromium (the `chromium` package; .ci/run installs it), headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
}

/**
 * A fresh browser context (its own cookies) in UTC, 1280×800, that reaches only `origin`
 * and the `alsoAllowed` origins (a test's own tile server): anything else (a map tile
 * server) is refused, so a test never depends on the network.
 */
export async function dashboardContext(
  browser: Browser,
  origin: string,
  alsoAllowed: readonly string[] = [],
): Promise<BrowserContext> {
  const context = await browser.newContext({ timezoneId: 'UTC', locale: 'en-GB', viewport: { width: 1280, height: 800 } });
  const allowed = [origin, ...alsoAllowed];
  await context.route('**/*', (route) =>
    allowed.includes(new URL(route.request().url()).origin) ? route.continue() : route.abort('blockedbyclient'),
  );
  return context;
}

/** Saves the page as `<name>.png` under SCREENSHOT_DIR. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** `#rrggbb` as the `rgb(r, g, b)` a computed style gives. */
export function rgbOf(hex: string): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255})`;
}

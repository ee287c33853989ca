import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardContext, launchChromium, saveScreenshot } from './support/browser';
import { startDashboardServer, type DashboardServer } from './support/dashboard-server';
import { PAGE_TIMEOUT_MS } from './support/pages';

/** Every API route of the contract (libs/dashboard-web/src/api.ts) a session guards. */
const API_ROUTES = [
  '/api/network',
  '/api/stream',
  '/api/series?source=D01&destination=D02',
  '/api/series.csv?source=D01&destination=D02',
  '/api/alerts',
  '/api/detectors',
  '/api/detectors/D01/sightings',
];

describe('dashboard login, with tokens on the query service and the dashboard (cqserver, Chromium)', () => {
  // Fresh each run, so a token found in a page can only have come from this server.
  const queryToken = randomBytes(24).toString('hex');
  const dashboardToken = randomBytes(24).toString('hex');
  let server: DashboardServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every text answer the browser received: pages, scripts, styles, JSON. */
  const bodies: { url: string; text: string }[] = [];

  beforeAll(async () => {
    server = await startDashboardServer({
      args: [`--query_token=${queryToken}`, `--dashboard_query_token=${queryToken}`, `--dashboard_token=${dashboardToken}`],
      grpcToken: queryToken,
    });
    browser = await launchChromium();
    context = await dashboardContext(browser, server.url);
    page = await context.newPage();
    page.on('response', (response) => void keepBody(response, bodies));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('sends pages to /login and answers the API 401 without a session', async () => {
    await page.goto(`${server.url}/#/map`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.waitForSelector('form input[name="token"]', { timeout: PAGE_TIMEOUT_MS });
    await saveScreenshot(page, 'login');

    const front = await context.request.get(`${server.url}/`, { maxRedirects: 0 });
    expect([front.status(), front.headers()['location']]).toEqual([303, '/login']);
    for (const route of API_ROUTES) {
      const answer = await context.request.get(`${server.url}${route}`, { maxRedirects: 0 });
      expect([route, answer.status()]).toEqual([route, 401]);
    }
    // Probes need no session.
    expect((await context.request.get(`${server.url}/healthz`)).status()).toBe(200);
  });

  it('refuses a wrong token, lets the right one in, and ends the session on logout', async () => {
    const wrong = await submitToken(page, `${dashboardToken}x`);
    expect(wrong.status()).toBe(401);
    await page.waitForSelector('[role="alert"]', { state: 'visible', timeout: PAGE_TIMEOUT_MS });
    expect(new URL(page.url()).pathname).toBe('/login');
    expect((await context.request.get(`${server.url}/api/network`)).status()).toBe(401);
    // The query token is no dashboard login either.
    expect((await submitToken(page, queryToken)).status()).toBe(401);

    const right = await submitToken(page, dashboardToken);
    expect(right.status()).toBe(303);
    await page.waitForSelector('#map[data-ready="true"]', { timeout: PAGE_TIMEOUT_MS });
    expect(new URL(page.url()).pathname).toBe('/');
    const network = await context.request.get(`${server.url}/api/network`);
    expect(network.status()).toBe(200);
    expect(await network.json()).toMatchObject({ links: [], detectors: [], alerts: [] });
    await page.click('nav a[href="#/alerts"]');
    await page.waitForSelector('table.alerts', { timeout: PAGE_TIMEOUT_MS });
    await page.click('nav a[href="#/detectors"]');
    await page.waitForSelector('table.detectors', { timeout: PAGE_TIMEOUT_MS });

    const cookies = await context.cookies();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) {
      expect(cookie.value).not.toContain(dashboardToken);
      expect(cookie.value).not.toContain(queryToken);
      expect(cookie.httpOnly).toBe(true);
    }

    const loggedOut = await context.request.post(`${server.url}/logout`, { maxRedirects: 0 });
    expect([loggedOut.status(), loggedOut.headers()['location']]).toEqual([303, '/login']);
    expect((await context.request.get(`${server.url}/api/network`)).status()).toBe(401);
  });

  it('never puts a token in a page, script, style or API answer', () => {
    const read = new Set(bodies.map((body) => new URL(body.url).pathname.split('/')[1]));
    // What was read: the login page, the app's page (at /), its assets and the API.
    expect(['login', '', 'assets', 'api'].filter((first) => !read.has(first))).toEqual([]);
    for (const body of bodies) {
      expect([body.url, body.text.includes(dashboardToken)]).toEqual([body.url, false]);
      expect([body.url, body.text.includes(queryToken)]).toEqual([body.url, false]);
    }
  });
});

/** Types `token` into the login form, submits it and resolves with the answer to the POST. */
async function submitToken(page: Page, token: string): Promise<Response> {
  await page.fill('form input[name="token"]', token);
  const answer = page.waitForResponse(
    (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/login',
    { timeout: PAGE_TIMEOUT_MS },
  );
  await page.press('form input[name="token"]', 'Enter');
  return answer;
}

/** Keeps the text of an answer the browser read, except the event stream (it never ends). */
async function keepBody(response: Response, bodies: { url: string; text: string }[]): Promise<void> {
  const type = response.headers()['content-type'] ?? '';
  if (type.startsWith('text/event-stream') || response.status() === 303) return;
  try {
    bodies.push({ url: response.url(), text: await response.text() });
  } catch {
    // A page navigated away before its answer was read: nothing of it reached the page.
  }
}

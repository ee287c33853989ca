import type { StreamEvent } from '@message-bus/dashboard-web';
import type { Browser } from 'playwright-core';
import type { Trial } from '../measure';
import type { PageServer } from './page-server';
import { estimate, syntheticNetwork } from './synthetic-network';

/** How long the bench waits for a page before it gives up on the run. */
const PAGE_TIMEOUT_MS = 120_000;

/**
 * Records in the page, on the page's own clock (ms since navigation began), when the map
 * says it is ready, and when `window.benchUpdatedCount` links carry the level `severe`.
 */
const RECORDER = `
  window.benchMarks = {};
  new MutationObserver(() => {
    const marks = window.benchMarks;
    if (marks.ready === undefined && document.querySelector('#map[data-ready="true"]')) marks.ready = performance.now();
    if (window.benchUpdatedCount !== undefined && marks.updated === undefined &&
        document.querySelectorAll('path[data-link-source][data-level="severe"]').length >= window.benchUpdatedCount) {
      marks.updated = performance.now();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready', 'data-level'] });
`;

interface Marks {
  ready?: number;
  updated?: number;
}

/**
 * First render: a fresh browser context (nothing cached) opens `#/map` of a network of
 * `links` links and `detectors` detectors; timed from navigation start to
 * `#map[data-ready="true"]`, on the page's clock. The time is the round's; the trial's
 * own wall time (browser start-up) is not what is reported.
 */
export function firstRenderTrial(
  id: string,
  browser: Browser,
  server: PageServer,
  size: { readonly links: number; readonly detectors: number },
  record: (id: string, ms: number) => void,
): Trial {
  return {
    id,
    prepare: async () => async () => {
      server.setNetwork(syntheticNetwork(size.detectors, size.links, new Date()));
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        await context.addInitScript(RECORDER);
        const page = await context.newPage();
        await page.goto(`${server.url}/#/map`);
        await page.waitForFunction(() => (globalThis as unknown as { benchMarks: Marks }).benchMarks.ready !== undefined, undefined, {
          timeout: PAGE_TIMEOUT_MS,
        });
        record(id, await page.evaluate(() => (globalThis as unknown as { benchMarks: Marks }).benchMarks.ready!));
      } finally {
        await context.close();
      }
    },
  };
}

/**
 * Live updates: the map of `links` links (none `severe`) is open; `updates` link
 * estimates arrive in one burst on its event stream, each making its link `severe`;
 * timed from the burst's send to the last of those links drawn `severe`, on the page's
 * clock (the send is asked for from the page, so both ends are the page's).
 */
export function liveBurstTrial(
  id: string,
  browser: Browser,
  server: PageServer,
  size: { readonly links: number; readonly detectors: number; readonly updates: number },
  record: (id: string, ms: number) => void,
): Trial {
  return {
    id,
    prepare: async () => {
      const network = syntheticNetwork(size.detectors, size.links, new Date());
      const calm = {
        ...network,
        links: network.links.map((link) => ({ ...link, latest: estimate(network.generatedAt, 'free', 60) })),
      };
      server.setNetwork(calm);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript(RECORDER);
      const page = await context.newPage();
      await page.exposeFunction('benchSendBurst', () => {
        const intervalEnd = new Date().toISOString();
        const events: StreamEvent[] = calm.links.slice(0, size.updates).map((link) => ({
          type: 'link',
          source: link.source,
          destination: link.destination,
          estimate: estimate(intervalEnd, 'severe', 200),
        }));
        server.broadcast(events);
      });
      const streamOpen = server.nextStream();
      await page.goto(`${server.url}/#/map`);
      await page.waitForFunction(() => (globalThis as unknown as { benchMarks: Marks }).benchMarks.ready !== undefined, undefined, {
        timeout: PAGE_TIMEOUT_MS,
      });
      await streamOpen;
      return async () => {
        try {
          const ms = await page.evaluate(async (updates) => {
            const bench = globalThis as unknown as {
              benchMarks: Marks;
              benchUpdatedCount: number;
              benchSendBurst: () => Promise<void>;
            };
            bench.benchUpdatedCount = updates;
            const sent = performance.now();
            await bench.benchSendBurst();
            await new Promise<void>((resolve) => {
              const check = () => (bench.benchMarks.updated === undefined ? setTimeout(check, 5) : resolve());
              check();
            });
            return bench.benchMarks.updated! - sent;
          }, size.updates);
          record(id, ms);
        } finally {
          await context.close();
        }
      };
    },
  };
}

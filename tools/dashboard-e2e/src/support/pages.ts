import type { Page } from 'playwright-core';

/** How long a test waits for the page to show what the server has: long, for a loaded CI machine. */
export const PAGE_TIMEOUT_MS = 90_000;

/**
 * Clicks the drawn link `source` → `destination` where it is on top: the first point along
 * its path (from the middle outwards) that the path itself receives, since a route or a
 * skip link may be drawn over part of it.
 */
export async function clickLink(page: Page, source: string, destination: string): Promise<void> {
  const point = await page.evaluate(
    ([linkSource, linkDestination]) => {
      const path = document.querySelector<SVGPathElement>(
        `path[data-link-source="${linkSource}"][data-link-destination="${linkDestination}"]`,
      );
      const matrix = path?.getScreenCTM();
      if (!path || !matrix) return undefined;
      const length = path.getTotalLength();
      for (const share of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
        const at = path.getPointAtLength(length * share);
        const x = at.x * matrix.a + at.y * matrix.c + matrix.e;
        const y = at.x * matrix.b + at.y * matrix.d + matrix.f;
        if (document.elementFromPoint(x, y) === path) return { x, y };
      }
      return undefined;
    },
    [source, destination] as const,
  );
  if (point === undefined) throw new Error(`link ${source} → ${destination} is not drawn where it can be clicked`);
  await page.mouse.click(point.x, point.y);
}

/**
 * Runs `read` in the page (awaiting what it returns) once a second until it gives a value,
 * and returns that value; fails after `PAGE_TIMEOUT_MS`. For conditions the page must
 * fetch to judge: `page.waitForFunction` takes a returned promise itself as the truthy
 * answer, without awaiting it.
 */
export async function evaluateUntil<T>(page: Page, read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + PAGE_TIMEOUT_MS;
  for (;;) {
    const value = await page.evaluate(read);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${PAGE_TIMEOUT_MS} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 1000));
  }
}

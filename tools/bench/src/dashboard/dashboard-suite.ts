import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { installedVersion, machineInfo } from '../machine';
import { measureInterleaved, type TimedRun } from '../measure';
import { speedRatio, toResultRow, type BenchReport, type ResultRow, type ResultSpec } from '../report';
import { bundleSizes } from './bundle-size';
import { startPageServer } from './page-server';
import { firstRenderTrial, liveBurstTrial } from './render-trials';

/** run.mjs runs the bundle from the workspace root. */
const webRoot = resolve('libs/dashboard-web/dist');
const KIB = 1024;

interface DashboardSizes {
  readonly links: number;
  readonly detectors: number;
  readonly updates: number;
  readonly rounds: number;
  readonly warmupRounds: number;
}

const FULL: DashboardSizes = { links: 500, detectors: 300, updates: 500, rounds: 5, warmupRounds: 1 };
const SMOKE: DashboardSizes = { links: 20, detectors: 30, updates: 20, rounds: 1, warmupRounds: 0 };

/**
 * The dashboard's pages in Debian's headless Chromium: the built bundle's size, the map's
 * first render of a large network against an empty one's, and a burst of live link
 * updates against a single update on the same page. Times are the page's own clock.
 */
export async function runDashboardSuite(options: {
  readonly smoke: boolean;
  readonly rounds: number | undefined;
  readonly log: (line: string) => void;
}): Promise<BenchReport> {
  const sizes = options.smoke ? SMOKE : { ...FULL, rounds: options.rounds ?? FULL.rounds };
  const startedAt = new Date();
  const bundle = await bundleSizes(webRoot);
  const server = await startPageServer(webRoot);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
  try {
    const specs: ResultSpec[] = [
      spec('render.empty', 'first render of #/map', 'empty network (baseline)', 1),
      spec('render.large', 'first render of #/map', `${sizes.links} links, ${sizes.detectors} detectors`, 1),
      spec('live.one', 'live link updates, applied', `1 update, ${sizes.links}-link map (baseline)`, 1),
      spec('live.burst', 'live link updates, applied', `${sizes.updates} updates at once, ${sizes.links}-link map`, 1),
    ];
    const latest = new Map<string, number>();
    const record = (id: string, ms: number) => latest.set(id, ms);
    const trials = [
      firstRenderTrial('render.empty', browser, server, { links: 0, detectors: 0 }, record),
      firstRenderTrial('render.large', browser, server, sizes, record),
      liveBurstTrial('live.one', browser, server, { ...sizes, updates: 1 }, record),
      liveBurstTrial('live.burst', browser, server, sizes, record),
    ];
    const pageRuns = new Map<string, TimedRun[]>(trials.map((trial) => [trial.id, []]));
    await measureInterleaved(trials, {
      rounds: sizes.rounds,
      warmupRounds: sizes.warmupRounds,
      onRun: ({ trialId, round, warmup, cpuSeconds }) => {
        const ms = latest.get(trialId)!;
        if (!warmup) pageRuns.get(trialId)!.push({ seconds: ms / 1000, cpuSeconds });
        options.log(`${trialId} round ${round}${warmup ? ' (warm-up)' : ''}: ${ms.toFixed(1)} ms`);
      },
    });
    const rows = new Map<string, ResultRow>(specs.map((each) => [each.id, toResultRow(each, pageRuns.get(each.id)!)]));
    const row = (id: string) => rows.get(id)!;
    return {
      suite: 'dashboard',
      title: 'Dashboard pages in headless Chromium',
      mode: options.smoke ? 'smoke' : 'full',
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: machineInfo({ chromium: browser.version(), 'playwright-core': installedVersion('playwright-core') }),
      settings: {
        rounds: sizes.rounds,
        warmupRounds: sizes.warmupRounds,
        links: sizes.links,
        detectors: sizes.detectors,
        updates: sizes.updates,
        ...Object.fromEntries(
          bundle.flatMap((size) => [
            [`bundle.${size.kind}.rawBytes`, size.rawBytes],
            [`bundle.${size.kind}.gzipBytes`, size.gzipBytes],
          ]),
        ),
      },
      results: [...rows.values()],
      ratios: [
        speedRatio(
          'render.large-vs-empty',
          `first render, ${sizes.links} links vs an empty network`,
          row('render.large'),
          row('render.empty'),
        ),
        speedRatio(
          'live.burst-vs-one',
          `${sizes.updates} live updates vs 1, same map`,
          row('live.burst'),
          row('live.one'),
        ),
      ],
      tables: [
        {
          title: 'bundle size (libs/dashboard-web/dist)',
          columns: ['files', 'raw KiB', 'gzip KiB'],
          rows: bundle.map((size) => [
            size.kind,
            String(size.files),
            (size.rawBytes / KIB).toFixed(1),
            (size.gzipBytes / KIB).toFixed(1),
          ]),
        },
      ],
      notes: [
        'The pages are the built libs/dashboard-web/dist, served with /api/network and /api/stream answered from memory (a grid of detectors, links between neighbours): the page’s work, not the query service’s.',
        'First render: a fresh browser context (nothing cached) from navigation start to #map[data-ready="true"], by performance.now() in the page.',
        'Live updates: from the page asking for the burst to the last updated link drawn with its new level (a MutationObserver on data-level), in the page.',
        'Ratios are speeds: 0.5× means it takes twice the baseline’s time.',
        'Client CPU is the bench driver’s (this Node process, which serves the pages), not the browser’s.',
        'Bundle sizes: every .js and .css file of dist; gzip at zlib’s default level, as a server compresses them.',
      ],
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

function spec(id: string, group: string, label: string, events: number): ResultSpec {
  return { id, group, label, events, unit: 'ms' };
}

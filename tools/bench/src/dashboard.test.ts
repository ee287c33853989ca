import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from './report';

const runner = join(__dirname, '..', 'run.mjs');

describe('node tools/bench/run.mjs dashboard --smoke', () => {
  let outDir: string;
  let report: BenchReport;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-dashboard-smoke-'));
    // The bench:test target builds cqserver, and with it the pages, first.
    await promisify(execFile)(process.execPath, [runner, 'dashboard', '--smoke', '--skip-build', '--out-dir', outDir], {
      timeout: 110_000,
    });
    report = JSON.parse(await readFile(join(outDir, 'dashboard.json'), 'utf8')) as BenchReport;
  }, 120_000);

  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it('reports both renders, both update bursts, their ratios and the bundle size', () => {
    expect(report.results.map((row) => row.id)).toEqual(['render.empty', 'render.large', 'live.one', 'live.burst']);
    for (const row of report.results) {
      expect(row.rounds).toHaveLength(1);
      expect(row.median).toBeGreaterThan(0);
    }
    expect(report.ratios.map((ratio) => ratio.id)).toEqual(['render.large-vs-empty', 'live.burst-vs-one']);
    for (const ratio of report.ratios) expect(Number.isFinite(ratio.value) && ratio.value > 0).toBe(true);
    for (const kind of ['js', 'css']) {
      expect(report.settings[`bundle.${kind}.rawBytes`]).toBeGreaterThan(report.settings[`bundle.${kind}.gzipBytes`] as number);
      expect(report.settings[`bundle.${kind}.gzipBytes`]).toBeGreaterThan(0);
    }
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from './report';

const runner = join(__dirname, '..', 'run.mjs');

/** Finite and above zero: something was measured. */
const measured = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;

describe('npm run bench:traveltime -- --smoke', () => {
  let outDir: string;
  let stdout: string;
  let report: BenchReport;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-traveltime-smoke-'));
    ({ stdout } = await promisify(execFile)(
      process.execPath,
      [runner, 'traveltime', '--smoke', '--out-dir', outDir],
      // Generous: on a loaded machine (CI runs other suites beside it) it takes several times longer.
      { timeout: 240_000 },
    ));
    report = JSON.parse(await readFile(join(outDir, 'traveltime.json'), 'utf8')) as BenchReport;
  }, 250_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('scores our estimator and both baselines against the truth, each on intervals it published', () => {
    expect(report.suite).toBe('traveltime');
    expect(report.mode).toBe('smoke');
    const rows = report.accuracy?.rows ?? [];
    expect(rows.map((row) => row.id)).toEqual([
      'accuracy.ours',
      'accuracy.iqr-mean',
      'accuracy.plain-median',
    ]);
    for (const row of rows) {
      expect(row.intervals, row.id).toBeGreaterThan(100);
      expect([row.medianApe, row.p90Ape, row.meanApe].every(measured), row.id).toBe(true);
      expect(row.medianApe, row.id).toBeLessThanOrEqual(row.p90Ape);
      expect(row.within10Percent, row.id).toBeGreaterThan(0);
      expect(row.within10Percent, row.id).toBeLessThanOrEqual(1);
    }
  });

  it('compares the errors, with the issue target of half the IQR-filtered mean MAPE', () => {
    const ratios = report.accuracy?.ratios ?? [];
    const rows = new Map((report.accuracy?.rows ?? []).map((row) => [row.id, row]));
    const targets = Object.fromEntries(
      ratios.filter((r) => r.target !== undefined).map((r) => [r.id, r.target]),
    );
    expect(targets).toEqual({ 'accuracy.ours-vs-iqr-mean.meanApe': 2 });
    expect(ratios).toHaveLength(6);
    for (const ratio of ratios) {
      const metric = ratio.id.split('.').pop() as 'medianApe' | 'p90Ape' | 'meanApe';
      expect(ratio.value, ratio.id).toBeCloseTo(rows.get(ratio.to)![metric] / rows.get(ratio.of)![metric], 9);
    }
  });

  it('scores the short links of the urban grid and both measures, with issue 15 targets marked', () => {
    const tables = new Map((report.tables ?? []).map((table) => [table.title.split(':')[0], table]));
    expect([...tables.keys()]).toEqual([
      'short links',
      'measure',
      'issue 15 targets (short links and the corridor)',
      'short-link limits',
      'Late data (issue 15)',
      'Intervals with ≥ 3 devices truly seen at both ends, after the import',
      'issue 15 targets (late data)',
    ]);
    expect(tables.get('short links')?.rows.map((row) => row[0])).toEqual([
      'estimateLink: median of the adaptively filtered samples',
      'baseline: mean within 75 % of the IQR of the previous 15 samples',
      'baseline: plain median of the window',
    ]);
    expect(tables.get('measure')?.columns).toEqual(['middle-middle', 'first-first', 'last-first']);
    const targets = tables.get('issue 15 targets (short links and the corridor)')?.rows ?? [];
    expect(targets).toHaveLength(4);
    for (const row of targets) expect(['met', 'MISSED']).toContain(row[3]);
    expect(report.settings['shortLinks.links']).toBe(48);
  });

  it("ends an import and a late upload with the live run's estimates, byte for byte", () => {
    const tables = new Map((report.tables ?? []).map((table) => [table.title.split(':')[0], table]));
    const runs = tables.get('Late data (issue 15)')?.rows ?? [];
    expect(runs.map((row) => row[2])).toEqual(['—', '100 %', '100 %']);
    for (const row of runs) expect(Number(row[1]), row[0]).toBeGreaterThanOrEqual(14 * 60);
    // Deterministic (seeded traffic, simulated time): every late-data target holds in every run.
    const targets = tables.get('issue 15 targets (late data)')?.rows ?? [];
    expect(targets.map((row) => row[3])).toEqual(['met', 'met', 'met', 'met']);
    expect(report.settings['recompute.lateAffectedIntervals']).toBeGreaterThan(0);
    expect(report.settings['recompute.scoredIntervals']).toBeGreaterThan(100);
  });

  it('measures throughput in matched samples per second on a 100-link network, with the input size', () => {
    expect(report.results.map((row) => row.id)).toEqual(['throughput.ours', 'throughput.plain-median']);
    for (const row of report.results) {
      expect(row.unit, row.id).toBe('samples/s');
      expect(row.rounds, row.id).toHaveLength(1);
      expect([row.events, row.median, ...row.rounds].every(measured), row.id).toBe(true);
      expect(row.events, row.id).toBe(report.settings['throughput.matchedSamples']);
    }
    expect(report.settings['throughput.links']).toBe(100);
    expect(report.ratios.map((ratio) => ratio.id)).toEqual(['throughput.ours-vs-plain-median']);
  });

  it('prints the table on stdout and writes the same results as Markdown', async () => {
    const markdown = await readFile(join(outDir, 'traveltime.md'), 'utf8');
    expect(markdown).toMatch(/^# Travel-time estimation/);
    for (const text of [stdout, markdown]) {
      expect(text).toContain('SMOKE RUN');
      expect(text).toContain('baseline: mean within 75 % of the IQR of the previous 15 samples');
      expect(text).toContain('median APE: ours vs iqr-mean');
      expect(text).toMatch(/100-link network \([\d,]+ matched samples, 6,000 estimates\)/);
    }
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport, ExtraTable } from './report';

const runner = join(__dirname, '..', 'run.mjs');

/** A cell as a fraction: "2.4 %" → 0.024. */
const percent = (cell: string | undefined): number => Number((cell ?? '').replace(' %', '')) / 100;

describe('npm run bench:products -- --smoke', () => {
  let outDir: string;
  let stdout: string;
  let report: BenchReport;
  let tables: Map<string, ExtraTable>;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-products-smoke-'));
    ({ stdout } = await promisify(execFile)(
      process.execPath,
      [runner, 'products', '--smoke', '--out-dir', outDir],
      // A simulated week and half a day through the real worker: about 4 minutes alone,
      // over 15 at load 30 on 2 cores (a CI run beside three benches).
      { timeout: 2_400_000 },
    ));
    report = JSON.parse(await readFile(join(outDir, 'products.json'), 'utf8')) as BenchReport;
    tables = new Map((report.tables ?? []).map((table) => [table.title.split(/[:(]/)[0]!.trim(), table]));
  }, 2_410_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('runs a week of history and half a day live through the worker, in simulated time', () => {
    expect(report.suite).toBe('products');
    expect(report.mode).toBe('smoke');
    expect(report.settings.historyWeeks).toBe(1);
    expect(report.settings.liveHours).toBe(12);
    // 168 hourly history rounds and 720 live ones, at least.
    expect(report.settings.workerRounds).toBeGreaterThanOrEqual(168 + 720);
    expect([...tables.keys()]).toEqual([
      'issue 18 targets',
      'Route travel times',
      'Congestion alerts',
      'Detector alerts',
      'Typical profiles after the history weeks, against the truth of a normal week',
    ]);
    for (const row of tables.get('issue 18 targets')?.rows ?? [])
      expect(['PASS', 'MISSED']).toContain(row[3]);
  });

  it('counts the same origin–destination trips from the stored sightings as the vehicles made', () => {
    const od = tables.get('issue 18 targets')?.rows.find((row) => row[0]?.startsWith('origin–destination'));
    const [equal, of] = (od?.[1] ?? '').split(' of ');
    expect(Number(equal)).toBeGreaterThan(5);
    expect(equal).toBe(of);
    expect(od?.[3]).toBe('PASS');
  });

  it('estimates both routes as the sum of their links within 5 % of the truth, and builds profiles', () => {
    const routes = tables.get('Route travel times')?.rows ?? [];
    expect(routes.map((row) => row[0])).toEqual([
      'corridor-east, matched',
      'corridor-east, sum_of_links',
      'middle-east, matched',
      'middle-east, sum_of_links',
    ]);
    for (const row of routes.filter((candidate) => candidate[0]?.endsWith('sum_of_links'))) {
      expect(Number(row[1]), row[0]).toBeGreaterThan(10);
      expect(percent(row[3]), row[0]).toBeLessThanOrEqual(0.05);
    }
    const profiles =
      tables.get('Typical profiles after the history weeks, against the truth of a normal week')?.rows ?? [];
    // Every link and both routes have a profile after a week; links within 5 % of the truth in the median bin.
    expect(profiles).toHaveLength(16);
    for (const row of profiles.filter((candidate) => candidate[0]?.startsWith('link:'))) {
      expect(Number(row[1]), row[0]).toBeGreaterThan(400);
      expect(percent(row[2]), row[0]).toBeLessThanOrEqual(0.05);
    }
  });

  it("alerts on the incident's own link within 15 minutes of its onset", () => {
    const own = tables.get('Congestion alerts')?.rows.find((row) => row[0] === 'link:D09>D10');
    expect(own?.[1]).toBe('2026-11-30 10:00');
    // Columns: onset, first truly 1.5× slower arrival, delay from it, delay from onset, alerts.
    expect(own?.[2]).toBe('2026-11-30 10:02');
    const [delay, fromOnset] = [own?.[3], own?.[4]].map((cell) => Number((cell ?? '').replace(' min', '')));
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(fromOnset).toBeGreaterThan(delay as number);
    expect(fromOnset).toBeLessThanOrEqual(15);
  });

  it('prints the targets on stdout and writes the same tables as Markdown', async () => {
    const markdown = await readFile(join(outDir, 'products.md'), 'utf8');
    expect(markdown).toMatch(/^# Traffic products \(issue 18\)/);
    for (const text of [stdout, markdown]) {
      expect(text).toContain('SMOKE RUN');
      expect(text).toContain('issue 18 targets');
      expect(text).toContain('congestion alerts: precision');
    }
  });
});

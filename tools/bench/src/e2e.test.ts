import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { E2eReport } from './e2e/e2e-suite';

const runner = join(__dirname, '..', 'run.mjs');

const shapes = ['unary-1.c1', 'unary-1.c64', 'unary-100.c8', 'stream-100'];
const ingestRows = ['etcd', 'embedded'].flatMap((store) => shapes.map((shape) => `ingest.${store}.${shape}`));
const expectedRows = [
  ...ingestRows,
  'baseline.etcd.raw',
  'baseline.etcd.one-put',
  'baseline.lmdb.raw',
  'get-events.etcd',
  'get-events.embedded',
  'get-events.etcd.raw-range',
  'worker.etcd',
  'worker.embedded',
  'ceiling.noop-grpc.unary-1.c64',
];
const expectedTargets = {
  'stream.etcd-vs-raw-etcd3': ['at least', 0.6],
  'stream.etcd-vs-one-put': ['at least', 30],
  'unary-100.c8.etcd-vs-raw-etcd3': ['at least', 0.5],
  'unary-1.c64.etcd-vs-one-put': ['at least', 20],
  'stream.embedded.sightings-per-second': ['at least', 100_000],
  'get-events.etcd-time-vs-raw-range': ['at most', 1.5],
  'server.peak-rss': ['at most', 250],
};

/** Finite and above zero: something was measured. */
const measured = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;

describe('npm run bench:e2e -- --smoke', () => {
  let outDir: string;
  let stdout: string;
  let report: E2eReport;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-e2e-smoke-'));
    // The test target depends on cqserver:build, so the suite need not build it again.
    ({ stdout } = await promisify(execFile)(
      process.execPath,
      [runner, 'e2e', '--smoke', '--skip-build', '--out-dir', outDir],
      // Generous: on a loaded machine (CI runs other suites beside it) it takes several times longer.
      { timeout: 300_000 },
    ));
    report = JSON.parse(await readFile(join(outDir, 'e2e.json'), 'utf8')) as E2eReport;
  }, 310_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('stores exactly the sightings the cqservers acknowledged, on etcd and on the embedded store', () => {
    expect(report.counts.map((count) => count.store).sort()).toEqual(['embedded', 'etcd']);
    for (const { store, sent, stored } of report.counts) {
      // Every shape's sightings once, plus the GetEvents detector-hour of 1,000.
      expect(sent, store).toBe(20 + 256 + 800 + 2_000 + 1_000);
      expect(stored, store).toBe(sent);
    }
  });

  it('writes a result for every shape, baseline, read and worker interval, each measured once', () => {
    expect(report.suite).toBe('e2e');
    expect(report.mode).toBe('smoke');
    expect(report.results.map((row) => row.id).sort()).toEqual([...expectedRows].sort());
    for (const row of report.results) {
      expect(row.rounds, row.id).toHaveLength(1);
      expect([row.events, row.median, row.min, row.max, ...row.rounds].every(measured), row.id).toBe(true);
      expect(row.unit, row.id).toBe(/^(ingest|baseline|ceiling)\./.test(row.id) ? 'events/s' : 'ms');
    }
    expect(report.results.find((row) => row.id === 'worker.etcd')?.events).toBe(100);
  });

  it('reports p50/p99 latency, server CPU and peak RSS of every shape the load generator ran', () => {
    expect(report.latency.map((row) => row.id).sort()).toEqual(
      [...ingestRows, 'get-events.etcd', 'get-events.embedded', 'ceiling.noop-grpc.unary-1.c64'].sort(),
    );
    for (const row of report.latency) {
      expect(row.calls, row.id).toBeGreaterThan(0);
      expect(measured(row.p50Ms) && row.p99Ms >= row.p50Ms, row.id).toBe(true);
      expect(row.serverPeakRssBytes, row.id).toBeGreaterThan(10 * 2 ** 20);
      expect(row.serverPeakAnonBytes, row.id).toBeGreaterThan(10 * 2 ** 20);
      expect(row.serverPeakAnonBytes, row.id).toBeLessThanOrEqual(row.serverPeakRssBytes);
      expect(Number.isFinite(row.serverCpuMicrosPerSighting), row.id).toBe(true);
    }
    const calls = Object.fromEntries(report.latency.map((row) => [row.id, row.calls]));
    expect(calls).toMatchObject({
      'ingest.etcd.unary-1.c1': 20,
      'ingest.etcd.unary-1.c64': 256,
      'ingest.etcd.unary-100.c8': 8,
      'ingest.etcd.stream-100': 2,
      'get-events.embedded': 1,
      'ceiling.noop-grpc.unary-1.c64': 256,
    });
  });

  it('rates against baselines of the same run and checks every issue 8 target', () => {
    const resultIds = new Set(report.results.map((row) => row.id));
    for (const ratio of report.ratios) {
      expect(measured(ratio.value), ratio.id).toBe(true);
      expect(resultIds.has(ratio.of) && resultIds.has(ratio.to), ratio.id).toBe(true);
    }
    expect(
      Object.fromEntries(report.targets.map((check) => [check.id, [check.comparison, check.target]])),
    ).toEqual(expectedTargets);
    for (const check of report.targets) {
      expect(measured(check.value), check.id).toBe(true);
      expect(check.met, check.id).toBe(
        check.comparison === 'at least' ? check.value >= check.target : check.value <= check.target,
      );
    }
  });

  it('prints the table on stdout and writes the same results as Markdown', async () => {
    const markdown = await readFile(join(outDir, 'e2e.md'), 'utf8');
    for (const text of [stdout, markdown]) {
      expect(text).toContain('SMOKE RUN');
      expect(text).toContain('issue 8 targets');
      expect(text).toContain('baseline: one etcd put per sighting, awaited in turn (original)');
      expect(text).toContain('sightings acknowledged vs stored at the end');
    }
    expect(markdown).toMatch(/^# End-to-end benchmark/);
  });
});

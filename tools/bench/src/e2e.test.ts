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
/** The native (Go) client's rows, when `go` is on PATH (and MESSAGE_BUS_BENCH_NO_NATIVE is not 1). */
const nativeIngestRows = ['etcd', 'embedded', 'one-put'].flatMap((server) =>
  shapes.map((shape) => `ingest.native.${server}.${shape}`),
);
const nativeWorkersRows = ['etcd', 'embedded'].flatMap((store) =>
  [1, 2].map((workers) => `ingest.native.${store}.workers-${workers}.unary-1.c64`),
);
const nativeGetEventsRows = [10, 100].flatMap((limit) =>
  ['etcd', 'embedded', 'one-put'].map((server) => `get-events.native.L${limit}.${server}`),
);
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
      // Generous: on a loaded machine (CI runs other suites beside it) it takes several times longer;
      // where `go` is on PATH the native rows add a build and five servers.
      { timeout: 540_000 },
    ));
    report = JSON.parse(await readFile(join(outDir, 'e2e.json'), 'utf8')) as E2eReport;
  }, 550_000);

  const nativeRan = () => report.native.status === 'ran';
  const nativeRows = () =>
    nativeRan()
      ? [
          ...nativeIngestRows,
          ...(report.native.workers === 'ran' ? nativeWorkersRows : []),
          ...nativeGetEventsRows,
        ]
      : [];

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('stores exactly the sightings the cqservers acknowledged, on etcd and on the embedded store', () => {
    expect(report.counts.map((count) => count.store).sort()).toEqual(['embedded', 'etcd']);
    for (const { store, sent, stored } of report.counts) {
      // Every shape's sightings once, plus the GetEvents detector-hour of 1,000; and the native client's.
      const native = nativeRan() ? 20 + 256 + 800 + 2_000 + 500 : 0;
      expect(report.native.acknowledgedBySuiteServers[store], store).toBe(native);
      expect(sent, store).toBe(20 + 256 + 800 + 2_000 + 1_000 + native);
      expect(stored, store).toBe(sent);
    }
  });

  it('writes a result for every shape, baseline, read and worker interval, each measured once', () => {
    expect(report.suite).toBe('e2e');
    expect(report.mode).toBe('smoke');
    expect(report.results.map((row) => row.id).sort()).toEqual([...expectedRows, ...nativeRows()].sort());
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

  it('runs the native rows where go is, each server counted, or says why it skipped them', () => {
    if (!nativeRan()) {
      expect(report.native.status).toMatch(/MESSAGE_BUS_BENCH_NO_NATIVE=1|`go` is not on PATH/);
      expect(report.notes.some((note) => note.startsWith('Native (Go) rows skipped'))).toBe(true);
      expect([report.native.latency, report.native.targets, report.native.counts]).toEqual([[], [], []]);
      return;
    }
    expect(report.native.latency.map((row) => row.id).sort()).toEqual([...nativeRows()].sort());
    for (const row of report.native.latency) {
      expect(row.calls, row.id).toBeGreaterThan(0);
      expect(measured(row.p50Ms) && row.p99Ms >= row.p50Ms, row.id).toBe(true);
      expect(row.serverPeakRssBytes.length, row.id).toBeGreaterThanOrEqual(1);
      expect(row.serverPeakRssBytes.every(measured), row.id).toBe(true);
      expect(row.serverPeakRssSumBytes, row.id).toBe(row.serverPeakRssBytes.reduce((a, b) => a + b, 0));
    }
    const workers = report.native.latency.filter((row) => row.id.includes('.workers-2.'));
    for (const row of workers) expect(row.serverPeakRssBytes.length, row.id).toBeGreaterThanOrEqual(2);
    // Every ingest row and the GetEvents history, on each server: acknowledged equals stored.
    expect(report.native.counts).toHaveLength(
      nativeRows().filter((id) => id.startsWith('ingest.')).length + 3,
    );
    for (const count of report.native.counts) {
      expect(count.acknowledged, count.id).toBeGreaterThan(0);
      expect(count.stored, count.id).toBe(count.acknowledged);
    }
    for (const check of report.native.targets) {
      expect(measured(check.value), check.id).toBe(true);
    }
    expect(report.native.targets.map((check) => check.id)).toContain('native.unary-1.c1.etcd-p50-vs-one-put');
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

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from './report';

const runner = join(__dirname, '..', 'run.mjs');

const appendRows = [1, 100, 10_000].flatMap((batch) => [
  `append.etcd.repository.batch-${batch}`,
  `append.etcd.raw.batch-${batch}`,
  `append.lmdb.repository.batch-${batch}`,
  `append.lmdb.raw.batch-${batch}`,
]);
/** The newest-first reads of issue 22, at the smoke run's limits. */
const newestFirstReads = ['day', 'bursts', 'sparse', 'middle'].flatMap((shape) =>
  [10, 100].map((limit) => `newest.${shape}.L${limit}`),
);
const expectedRows = [
  ...appendRows,
  ...newestFirstReads.flatMap((read) =>
    ['etcd.repository', 'etcd.original', 'lmdb.repository', 'lmdb.raw'].map(
      (contender) => `${read}.${contender}`,
    ),
  ),
  'append.etcd.one-put-per-event',
  'append.etcd.raw-encoding.batch-10000',
  'append.etcd.raw-encoding-leases.batch-10000',
  'append.lmdb.raw-encoding.batch-10000',
  'append.lmdb.raw-sync.batch-10000',
  'list.etcd.repository',
  'list.etcd.raw',
  'list.lmdb.repository',
  'list.lmdb.raw',
  'pseudonymise.pseudonymiser',
  'pseudonymise.create-hmac',
  'ulid.writer',
  'ulid.library',
  'ulid.reader',
  'ulid.library-reader',
];
const expectedRatios = [
  ...[1, 100, 10_000].flatMap((batch) => [
    `append.etcd.repository-vs-raw.batch-${batch}`,
    `append.etcd.repository-vs-one-put.batch-${batch}`,
    `append.lmdb.repository-vs-raw.batch-${batch}`,
  ]),
  'append.etcd.repository-vs-raw-encoding-leases.batch-10000',
  'append.lmdb.repository-vs-raw-encoding.batch-10000',
  'list.etcd.repository-vs-raw',
  'list.lmdb.repository-vs-raw',
  'pseudonymise.pseudonymiser-vs-create-hmac',
  'ulid.writer-vs-library',
  'ulid.reader-vs-library',
  ...newestFirstReads.flatMap((read) => [`${read}.etcd-vs-original`, `${read}.lmdb-vs-raw`]),
];

/** Finite and above zero: something was measured. */
const measured = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;

describe('npm run bench:store -- --smoke', () => {
  let outDir: string;
  let stdout: string;
  let report: BenchReport;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-store-smoke-'));
    ({ stdout } = await promisify(execFile)(
      process.execPath,
      [runner, 'store', '--smoke', '--out-dir', outDir],
      {
        timeout: 50_000,
      },
    ));
    report = JSON.parse(await readFile(join(outDir, 'store.json'), 'utf8')) as BenchReport;
  }, 60_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('writes a result for every trial, each measured once with finite positive numbers', () => {
    expect(report.suite).toBe('store');
    expect(report.mode).toBe('smoke');
    expect(report.results.map((row) => row.id).sort()).toEqual([...expectedRows].sort());
    for (const row of report.results) {
      expect(row.rounds, row.id).toHaveLength(1);
      expect([row.events, row.median, row.min, row.max, ...row.rounds].every(measured), row.id).toBe(true);
      const timed = row.id.startsWith('list.') || row.id.startsWith('newest.');
      expect(row.unit, row.id).toBe(timed ? 'ms' : 'events/s');
      expect(Number.isFinite(row.clientCpuMicrosPerEvent) && row.clientCpuMicrosPerEvent >= 0, row.id).toBe(
        true,
      );
    }
  });

  it('writes every ratio against a baseline of the same run, with the issue targets at batch 10,000', () => {
    expect(report.ratios.map((ratio) => ratio.id).sort()).toEqual([...expectedRatios].sort());
    const resultIds = new Set(report.results.map((row) => row.id));
    for (const ratio of report.ratios) {
      expect(measured(ratio.value), ratio.id).toBe(true);
      expect(resultIds.has(ratio.of) && resultIds.has(ratio.to), ratio.id).toBe(true);
    }
    const targets = Object.fromEntries(
      report.ratios.filter((r) => r.target !== undefined).map((r) => [r.id, r.target]),
    );
    expect(targets).toEqual({
      'append.etcd.repository-vs-raw.batch-10000': 0.8,
      'append.etcd.repository-vs-one-put.batch-10000': 20,
      'append.lmdb.repository-vs-raw.batch-10000': 0.7,
      'append.lmdb.repository-vs-raw-encoding.batch-10000': 0.9,
      ...Object.fromEntries(
        newestFirstReads.flatMap((read) => [
          [`${read}.etcd-vs-original`, 1],
          [`${read}.lmdb-vs-raw`, 1 / 1.2],
        ]),
      ),
    });
  });

  it('records the machine and the input sizes', () => {
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.software['etcd']).toMatch(/^3\.\d+\.\d+/);
    expect(report.machine.software['lmdb']).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.settings).toMatchObject({ rounds: 1, warmupRounds: 0, listEvents: 200 });
    expect(report.settings['eventKeyBytes']).toBeGreaterThan(80);
    // The range requests of each newest-first read on etcd: at least one each.
    for (const read of newestFirstReads) {
      expect(report.settings[read.replace(/^newest\./, 'roundTrips.')], read).toBeGreaterThan(0);
    }
  });

  it('prints the table on stdout and writes the same results as Markdown', async () => {
    const markdown = await readFile(join(outDir, 'store.md'), 'utf8');
    for (const text of [stdout, markdown]) {
      expect(text).toContain('SMOKE RUN');
      expect(text).toContain('etcd repository vs raw etcd3, batch of 10,000 events');
      expect(text).toContain('etcd: one put per event, awaited in turn (original)');
    }
    expect(markdown).toMatch(/^# Storage benchmark/);
  });
});

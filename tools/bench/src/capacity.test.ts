import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityReport } from './capacity/capacity-suite';
import { bytesPerSighting, marginalBytesPerSighting } from './capacity/footprint';

const runner = join(__dirname, '..', 'run.mjs');

const expectedRows = [
  'ingest.single.cqserver.stream-100',
  'ingest.single.raw-etcd3',
  'ingest.cluster.cqserver.stream-100',
  'ingest.cluster.cqserver.unary-100.c8',
  'ingest.cluster.raw-etcd3',
  'ingest.embedded.cqserver.stream-100',
  'ingest.embedded.cqserver.unary-100.c8',
  'ingest.embedded.raw-lmdb',
];
const expectedRatios = [
  'ingest.cluster.cqserver-vs-raw-etcd3',
  'ingest.replication.raw-etcd3',
  'ingest.replication.cqserver',
  'ingest.embedded.cqserver-vs-raw-lmdb',
];

/** Finite and above zero: something was measured. */
const measured = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;

describe('node tools/bench/run.mjs capacity --smoke', () => {
  let outDir: string;
  let stdout: string;
  let report: CapacityReport;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-capacity-smoke-'));
    ({ stdout } = await promisify(execFile)(
      process.execPath,
      [runner, 'capacity', '--smoke', '--out-dir', outDir],
      // About 10 s alone and 26 s on a loaded 2-core machine; generous beyond that.
      { timeout: 110_000 },
    ));
    report = JSON.parse(await readFile(join(outDir, 'capacity.json'), 'utf8')) as CapacityReport;
  }, 120_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('finds every sighting it wrote stored, in every store', () => {
    expect(report.counts.length).toBeGreaterThanOrEqual(10);
    for (const count of report.counts) {
      expect(count.written, count.what).toBeGreaterThan(0);
      expect(count.stored, count.what).toBe(count.written);
    }
  });

  it('measures a sighting at 100–500 bytes in etcd and in lmdb, growing about linearly', () => {
    for (const store of ['etcd', 'lmdb'] as const) {
      const footprint = report.footprint[store];
      expect(
        footprint.points.map((point) => point.sightings),
        store,
      ).toEqual([2_000, 4_000]);
      for (const point of footprint.points) {
        expect(point.storedKeys, store).toBe(point.sightings);
        expect(point.usedBytes, store).toBeLessThanOrEqual(point.fileBytes);
        // A key of about 90 bytes and a value of 44 cannot take less than 100 bytes, nor 5× that.
        const perSighting = bytesPerSighting(footprint, point);
        expect(perSighting, store).toBeGreaterThan(100);
        expect(perSighting, store).toBeLessThan(500);
      }
      const [smaller, larger] = footprint.points;
      // Page granularity at these tiny sizes allows a wide band; the full run shows it tight.
      const slope = marginalBytesPerSighting(smaller!, larger!);
      expect(slope / bytesPerSighting(footprint, smaller!), store).toBeGreaterThan(0.5);
      expect(slope / bytesPerSighting(footprint, smaller!), store).toBeLessThan(2);
    }
    expect(report.settings['eventKeyBytes']).toBeGreaterThan(80);
  });

  it('writes a sustained ingest row for every contender and the ratios between them', () => {
    expect(report.suite).toBe('capacity');
    expect(report.mode).toBe('smoke');
    expect(report.results.map((row) => row.id).sort()).toEqual([...expectedRows].sort());
    for (const row of report.results) {
      expect(row.unit, row.id).toBe('events/s');
      expect(row.rounds, row.id).toHaveLength(1);
      expect([row.events, row.median, ...row.rounds].every(measured), row.id).toBe(true);
    }
    expect(report.ratios.map((ratio) => ratio.id).sort()).toEqual([...expectedRatios].sort());
    for (const ratio of report.ratios) expect(measured(ratio.value), ratio.id).toBe(true);
    expect(report.settings['clusterClientMember']).toMatch(/^member-[0-2] \(a follower\)$/);
    expect(report.machine.software['etcd']).toMatch(/^3\.\d+\.\d+/);
  });

  it('prints the capacity model from the measured bytes, on stdout and in Markdown', async () => {
    const markdown = await readFile(join(outDir, 'capacity.md'), 'utf8');
    expect(markdown).toMatch(/^# Capacity: /);
    for (const text of [stdout, markdown]) {
      expect(text).toContain('SMOKE RUN');
      expect(text).toContain('Capacity model');
      expect(text).toMatch(/5,000 detectors/);
      expect(text).toContain('3 members: cqserver, StreamEventLog, logs of 100');
    }
  });
});

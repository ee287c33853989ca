import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StarvationRow } from './starvation/starvation-report';

const runner = join(__dirname, '..', 'run.mjs');

/** What starvation.json holds that this test reads. */
interface StarvationJson {
  readonly probeCount: number;
  readonly streamOutcomes: Record<string, number>;
  readonly getEventsOutcomes: Record<string, number>;
  readonly exitCode: number | null;
  readonly rows: StarvationRow[];
}

describe('npm run bench:starvation -- --smoke', () => {
  let outDir: string;
  let stdout: string;
  let report: StarvationJson;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-starvation-smoke-'));
    // The bench:test target builds cqserver first.
    ({ stdout } = await promisify(execFile)(
      process.execPath,
      [runner, 'starvation', '--smoke', '--skip-build', '--out-dir', outDir],
      { timeout: 80_000 },
    ));
    report = JSON.parse(await readFile(join(outDir, 'starvation.json'), 'utf8')) as StarvationJson;
  }, 90_000);

  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it('reports every target row, and every call of the burst as ended', () => {
    expect(report.rows.map((row) => row.measure)).toEqual([
      'health Check p99 (p50, max)',
      'CreateEventLog p99 (p50, max)',
      'server event-loop delay p99 (max), its own measure',
      'server CPU idle after the burst',
      'SIGTERM to exit (exit code)',
    ]);
    expect(report.probeCount).toBeGreaterThan(0);
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    expect(sum(report.streamOutcomes)).toBe(50);
    expect(sum(report.getEventsOutcomes)).toBe(2);
    expect(report.exitCode).toBe(0);
    expect(stdout).toContain('| health Check p99');
  });
});

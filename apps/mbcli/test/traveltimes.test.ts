import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { writeSteadyCorridor } from './steady-corridor';

interface TravelTimeRow {
  link: string;
  intervalEnd: string;
  medianSeconds: number | null;
  p15Seconds: number | null;
  p85Seconds: number | null;
  validSamples: number;
  totalSamples: number;
  speedKmh: number | null;
  status: string;
}

describe('traveltimes after a simulated hour of the corridor', () => {
  let server: CqserverProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbcli-traveltimes-'));
    // A short interval and no lag, so the worker estimates within seconds of the traffic.
    server = await CqserverProcess.start(['--traveltime.interval=2s', '--traveltime.lag=0s']);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('traffic --scenario corridor --speed 600, then traveltimes shows an estimate for every corridor link', async () => {
    const traffic = await mbcli([
      'traffic',
      '--scenario',
      writeSteadyCorridor(dir),
      '--speed',
      '600',
      '--duration',
      '3600',
      ...server.hostFlags(),
    ]);
    expect(traffic.error).toBeUndefined();
    expect(traffic.stdout).toMatch(
      /^corridor: 12 detectors and 14 links registered; sending \d+ sightings at 600x$/m,
    );
    expect(traffic.stdout).toMatch(
      /^sent \d+ sightings in [\d.]+s \([\d.]+\/s\): wifi \d+, bluetooth \d+, mobile \d+$/m,
    );

    const links = await mbcliJson<{ source: string; destination: string }[]>([
      'links',
      'list',
      ...server.hostFlags(),
    ]);
    const corridorLinks = links.map((link) => `${link.source}:${link.destination}`).sort();
    expect(corridorLinks).toHaveLength(14);

    // Estimates made while the traffic was still streaming saw only part of it: wait for
    // one per link whose window ends after all of it was sent.
    const trafficSent = Date.now();
    const current = (row: TravelTimeRow) => Date.parse(row.intervalEnd) >= trafficSent;
    let rows: TravelTimeRow[] = [];
    for (let attempt = 0; attempt < 60; attempt += 1) {
      rows = await mbcliJson<TravelTimeRow[]>(['traveltimes', ...server.hostFlags()]);
      if (rows.length >= corridorLinks.length && rows.every(current)) break;
      await new Promise((done) => setTimeout(done, 1000));
    }
    expect(rows.every(current)).toBe(true);
    expect(rows.map((row) => row.link).sort()).toEqual(corridorLinks);
    // A window without valid samples has a null median (never a left-out one).
    for (const row of rows) expect(row).toHaveProperty('medianSeconds');
    const measured = rows.filter((row) => row.medianSeconds !== null);
    expect(measured.length).toBeGreaterThan(0);
    for (const row of measured) {
      // Corridor segments are 1.8–3.2 km at 100–120 km/h: a minute or two, more for skip links and jams.
      expect(row.medianSeconds).toBeGreaterThan(30);
      expect(row.medianSeconds).toBeLessThan(1800);
      expect(row.p15Seconds!).toBeLessThanOrEqual(row.medianSeconds!);
      expect(row.p85Seconds!).toBeGreaterThanOrEqual(row.medianSeconds!);
      expect(row.validSamples).toBeLessThanOrEqual(row.totalSamples);
    }

    const table = await mbcli(['traveltimes', ...server.hostFlags()]);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^LINK\s+MEDIAN\s+P15–P85\s+SAMPLES\s+SPEED\s+LEVEL\s+VS TYPICAL\s+STATUS\s+AGE$/,
    );
    expect(lines).toHaveLength(2 + corridorLinks.length);
    const first = measured[0]!;
    const [source, destination] = first.link.split(':');
    expect(lines.find((line) => line.startsWith(`${source} → ${destination} `))).toContain(
      `${first.validSamples}/${first.totalSamples}`,
    );

    const watched = await mbcli([
      'traveltimes',
      '--watch',
      '--interval',
      '1',
      '--refreshes',
      '2',
      '--json',
      ...server.hostFlags(),
    ]);
    const refreshes = watched.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TravelTimeRow[]);
    expect(refreshes).toHaveLength(2);
    for (const refresh of refreshes) expect(refresh.map((row) => row.link).sort()).toEqual(corridorLinks);
  }, 80_000);
});

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { sendSighting } from './send-sighting';

/** A day the server keeps: the collector refuses sightings older than its retention (168 h). */
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

interface EventRow {
  detector: string;
  device: string;
  time: string;
  unixNanos: string;
}

interface TrafficSummary {
  sent: number;
  perKind: { wifi: number; bluetooth: number; mobile: number };
}

describe('traffic and events against a real cqserver', () => {
  let server: CqserverProcess;
  beforeAll(async () => {
    server = await CqserverProcess.start();
  });
  afterAll(() => server?.stop());

  it("traffic with the original's flags sends --count random sightings that events lists newest first", async () => {
    const before = Date.now();
    const summary = await mbcliJson<TrafficSummary>([
      'traffic',
      '--detector_ids',
      'e1',
      '--device_ids',
      'dev-1,dev-2',
      '--rate',
      '0.01',
      '--count',
      '3',
      ...server.hostFlags(),
    ]);
    expect(summary).toMatchObject({ sent: 3, perKind: { wifi: 0, bluetooth: 3, mobile: 0 } });

    const rows = await mbcliJson<EventRow[]>([
      'events',
      '--detector_ids',
      'e1',
      '--event_limit',
      '10',
      ...server.hostFlags(),
    ]);
    expect(rows).toHaveLength(3);
    const nanos = rows.map((row) => BigInt(row.unixNanos));
    expect([...nanos].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(nanos);
    for (const row of rows) {
      expect(row.detector).toBe('e1');
      // The server stores pseudonyms: the raw ids sent never come back.
      expect(['dev-1', 'dev-2']).not.toContain(row.device);
      expect(Date.parse(row.time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(row.time)).toBeLessThanOrEqual(Date.now());
    }

    const table = await mbcli([
      'events',
      '--detector_ids',
      'e1',
      '--event_limit',
      '10',
      ...server.hostFlags(),
    ]);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^DETECTOR\s+DEVICE\s+TIME$/);
    expect(lines.slice(2)).toEqual(
      // The table shows milliseconds; the JSON is exact, with nine fractional digits.
      rows.map((row) =>
        expect.stringMatching(new RegExp(`^e1\\s+${row.device}\\s+${row.time.replace(/\d{6}Z$/, 'Z')}$`)),
      ),
    );
  });

  it('events accepts repeated --detector_ids as the original, and --after/--before bound the range', async () => {
    await sendSighting(server, 'r1', 'dev-9', Date.parse(`${yesterday}T08:00:00Z`));
    await sendSighting(server, 'r2', 'dev-9', Date.parse(`${yesterday}T08:10:00Z`));
    const both = await mbcliJson<EventRow[]>([
      'events',
      '--detector_ids',
      'r1',
      '--detector_ids',
      'r2',
      '--event_limit',
      '5',
      '--after',
      `${yesterday}T07:00:00Z`,
      '--before',
      `${yesterday}T09:00:00Z`,
      ...server.hostFlags(),
    ]);
    expect(both.map((row) => [row.detector, row.time])).toEqual([
      ['r2', `${yesterday}T08:10:00.000000000Z`],
      ['r1', `${yesterday}T08:00:00.000000000Z`],
    ]);
    const later = await mbcliJson<EventRow[]>([
      'events',
      '--detector_ids',
      'r1,r2',
      '--after',
      `${yesterday}T08:05:00Z`,
      '--before',
      `${yesterday}T09:00:00Z`,
      ...server.hostFlags(),
    ]);
    expect(later.map((row) => row.detector)).toEqual(['r2']);
  });

  it('events --follow replays stored sightings, then prints live ones as JSON lines', async () => {
    await sendSighting(server, 'f1', 'dev-3', Date.now() - 1000);
    const live = setTimeout(() => void sendSighting(server, 'f1', 'dev-4', Date.now()), 500);
    const { stdout, error } = await mbcli([
      'events',
      '--detector_ids',
      'f1',
      '--event_limit',
      '10',
      '--follow',
      '--stop_after',
      '2',
      '--json',
      ...server.hostFlags(),
    ]);
    clearTimeout(live);
    expect(error).toBeUndefined();
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as EventRow);
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => row.detector)).toEqual(['f1', 'f1']);
    expect(BigInt(rows[1]!.unixNanos)).toBeGreaterThan(BigInt(rows[0]!.unixNanos));
  });

  it('traffic --scenario corridor --backfill registers the road and streams its sightings', async () => {
    const summary = await mbcliJson<TrafficSummary>([
      'traffic',
      '--scenario',
      'corridor',
      '--backfill',
      '--duration',
      '900',
      '--start',
      `${yesterday}T07:00:00Z`,
      ...server.hostFlags(),
    ]);
    const { wifi, bluetooth, mobile } = summary.perKind;
    expect(summary.sent).toBeGreaterThan(0);
    expect(wifi + bluetooth + mobile).toBe(summary.sent);
    expect(wifi).toBeGreaterThan(0);
    expect(bluetooth).toBeGreaterThan(0);

    const links = await mbcliJson<unknown[]>(['links', 'list', ...server.hostFlags()]);
    expect(links.length).toBeGreaterThanOrEqual(14);
    const detectors = await mbcliJson<{ id: string; latitude: number }[]>([
      'detectors',
      'list',
      ...server.hostFlags(),
    ]);
    expect(
      detectors.filter((detector) => detector.latitude > 51 && detector.latitude < 53).length,
    ).toBeGreaterThanOrEqual(12);
  });

  it('bad flag values fail in one line naming the flag', async () => {
    const after = await mbcli(['events', '--after', 'yesterday', ...server.hostFlags()]);
    expect(after.error?.oclif?.exit).toBe(2);
    expect(after.stderr.trim()).toBe(
      'mbcli: --after "yesterday" is not a time; give RFC 3339 like 2026-01-30T08:00:00Z, ' +
        'Unix seconds like 1769760000, or a time ago like -1h (or now)',
    );
    const rate = await mbcli(['traffic', '--rate', '0', ...server.hostFlags()]);
    expect(rate.stderr.trim()).toBe(
      'mbcli: --rate 0 is zero; give a duration more than 0, like 90s, 30m or 6h',
    );
    const limit = await mbcli(['events', '--event_limit', 'ten', ...server.hostFlags()]);
    expect(limit.error?.oclif?.exit).toBe(2);
    expect(limit.stderr).toBe(
      'mbcli: Parsing --event_limit: Expected an integer but received: ten; see `mbcli events --help`\n',
    );
    const missing = await mbcli(['links', 'set', '--dest', 'b1', ...server.hostFlags()]);
    expect(missing.stderr).toBe('mbcli: Missing required flag src; see `mbcli links set --help`\n');
    const stopAfter = await mbcli(['events', '--stop_after', '2', ...server.hostFlags()]);
    expect(stopAfter.stderr).toBe(
      'mbcli: --stop_after only applies with --follow; use --event_limit to bound a listing\n',
    );
    const scenario = await mbcli(['traffic', '--scenario', 'motorway', ...server.hostFlags()]);
    expect(scenario.stderr.trim()).toMatch(
      /^mbcli: --scenario "motorway" is neither a built-in scenario \(corridor.*\) nor a readable file$/,
    );
  });
});

describe('an unreachable host', () => {
  it('is one line on stderr with what to try, exit code 2 and no stack trace', async () => {
    const { error, stderr } = await mbcli(['events', '--detector_ids', 'a1', '--query_host', '127.0.0.1:1']);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr).toBe(
      'mbcli: cannot reach the query service at 127.0.0.1:1 (connection refused); check --query_host (or QUERY_HOST) and that the server is running\n',
    );
  });

  it('reads COLLECTOR_HOST, and the real executable exits non-zero with the one line', () => {
    const run = spawnSync(
      process.execPath,
      [resolve(__dirname, '../bin/run.js'), 'links', 'set', '--dest', 'b1', '--src', 'a1'],
      {
        env: { PATH: process.env['PATH'] ?? '', COLLECTOR_HOST: '127.0.0.1:1' },
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'mbcli: cannot reach the collector service at 127.0.0.1:1 (connection refused); check --collector_host (or COLLECTOR_HOST) and that the server is running\n',
    );
  });

  it('shows the stack with --debug', async () => {
    const run = spawnSync(
      process.execPath,
      [resolve(__dirname, '../bin/run.js'), 'links', 'list', '--query_host', '127.0.0.1:1', '--debug'],
      { env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8' },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/\n\s+at /);
  });
});

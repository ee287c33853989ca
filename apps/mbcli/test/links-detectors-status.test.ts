import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';

describe('links, detectors and status against a real cqserver', () => {
  let server: CqserverProcess;
  beforeAll(async () => {
    server = await CqserverProcess.start();
  });
  afterAll(() => server?.stop());

  it('links set stores a link that links list shows, as a table and as JSON', async () => {
    const set = await mbcli([
      'links',
      'set',
      '--dest',
      'b1',
      '--src',
      'a1,a2',
      '--max_seconds',
      '900',
      ...server.hostFlags(),
    ]);
    expect(set.error).toBeUndefined();
    expect(set.stdout).toContain('linked a1, a2 → b1');

    const table = await mbcli(['links', 'list', ...server.hostFlags()]);
    expect(table.stdout).toMatch(/a1\s+b1\s+900/);
    expect(table.stdout).toMatch(/a2\s+b1\s+900/);

    const rows = await mbcliJson(['links', 'list', '--dest', 'b1', ...server.hostFlags()]);
    expect(rows).toEqual([
      { source: 'a1', destination: 'b1', maxSeconds: 900, minSeconds: null },
      { source: 'a2', destination: 'b1', maxSeconds: 900, minSeconds: null },
    ]);
    expect(await mbcliJson(['links', 'list', '--dest', 'nowhere', ...server.hostFlags()])).toEqual([]);
  });

  it('links set, detectors set and status send --json print what they stored, and only that', async () => {
    const link = await mbcli([
      'links',
      'set',
      '--dest',
      'j2',
      '--src',
      'j1',
      '--max_seconds',
      '300',
      '--min_seconds',
      '8',
      '--json',
      ...server.hostFlags(),
    ]);
    expect(link.error).toBeUndefined();
    expect(link.stderr).toBe('');
    // The rows of `links list --json`, by the same names.
    const stored = [{ source: 'j1', destination: 'j2', maxSeconds: 300, minSeconds: 8 }];
    expect(JSON.parse(link.stdout)).toEqual(stored);
    expect(await mbcliJson(['links', 'list', '--dest', 'j2', ...server.hostFlags()])).toEqual(stored);

    const position = await mbcliJson([
      'detectors',
      'set',
      '--id',
      'j1',
      '--lat',
      '52.09073',
      '--lon',
      '5.12142',
      ...server.hostFlags(),
    ]);
    expect(position).toEqual({ id: 'j1', latitude: 52.09073, longitude: 5.12142 });

    const sentAfter = BigInt(Date.now()) * 1_000_000n;
    const report = await mbcliJson<{ time: string; unixNanos: string }>([
      'status',
      'send',
      '--id',
      'j1',
      '--voltage',
      '12.25',
      '--radios',
      'WIFI',
      ...server.hostFlags(),
    ]);
    expect(report).toEqual({
      id: 'j1',
      voltage: 12.25,
      radios: ['wifi'],
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
      unixNanos: expect.stringMatching(/^\d+$/),
    });
    expect(BigInt(report.unixNanos)).toBeGreaterThanOrEqual(sentAfter);
    expect(BigInt(report.unixNanos)).toBe(BigInt(Date.parse(report.time)) * 1_000_000n);
    // detectors list gives the same report time, exactly.
    const listed = await mbcliJson<{ id: string; status: { time: string; unixNanos: string } | null }[]>([
      'detectors',
      'list',
      ...server.hostFlags(),
    ]);
    expect(listed.find((row) => row.id === 'j1')?.status).toMatchObject({
      time: report.time,
      unixNanos: report.unixNanos,
    });
  });

  it('--json keeps errors on stderr with their exit code, and stdout empty', async () => {
    const refused = await mbcli(['links', 'set', '--dest', 'k/1', '--src', 'k0', '--json', ...server.hostFlags()]);
    expect(refused.error?.oclif?.exit).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^mbcli: the collector service at .* rejected the request: dest_detector_id: .*\n$/);
  });

  it('detectors set and status send show up in detectors list', async () => {
    const set = await mbcli([
      'detectors',
      'set',
      '--id',
      'd1',
      '--lat',
      '52.09073',
      '--lon',
      '5.12142',
      ...server.hostFlags(),
    ]);
    expect(set.error).toBeUndefined();
    const sent = await mbcli([
      'status',
      'send',
      '--id',
      'd1',
      '--voltage',
      '12.6',
      '--radios',
      'wifi,bluetooth',
      ...server.hostFlags(),
    ]);
    expect(sent.error).toBeUndefined();

    const rows = await mbcliJson<
      { id: string; latitude: number; longitude: number; status?: { voltage: number; radios: string[] } }[]
    >(['detectors', 'list', ...server.hostFlags()]);
    const d1 = rows.find((row) => row.id === 'd1');
    expect(d1).toMatchObject({
      latitude: 52.09073,
      longitude: 5.12142,
      status: { voltage: 12.6, radios: ['wifi', 'bluetooth'] },
    });

    const table = await mbcli(['detectors', 'list', ...server.hostFlags()]);
    expect(table.stdout).toMatch(/d1\s+52\.09073\s+5\.12142\s+12\.60\s+wifi,bluetooth/);
  });

  it('rejects a bad argument in one line naming the flag, before calling the server', async () => {
    const { error, stderr } = await mbcli([
      'detectors',
      'set',
      '--id',
      'd2',
      '--lat',
      '91',
      '--lon',
      '5',
      ...server.hostFlags(),
    ]);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr.trim()).toBe('mbcli: --lat 91 is not a latitude; give degrees in -90..90');
    const radios = await mbcli([
      'status',
      'send',
      '--id',
      'd2',
      '--voltage',
      '12',
      '--radios',
      'lora',
      ...server.hostFlags(),
    ]);
    expect(radios.stderr.trim()).toBe('mbcli: --radios "lora" is not a radio; use mobile, wifi, bluetooth');
  });

  it("passes the server's INVALID_ARGUMENT on as one line", async () => {
    const { error, stderr } = await mbcli([
      'links',
      'set',
      '--dest',
      'b/1',
      '--src',
      'a1',
      ...server.hostFlags(),
    ]);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^mbcli: the collector service at 127\.0\.0\.1:\d+ rejected the request: dest_detector_id: has U\+002F '\/'.*; correct that argument and retry$/m,
    );
  });

  it('health reports both services SERVING', async () => {
    const reports = await mbcliJson(['health', ...server.hostFlags()]);
    expect(reports).toEqual([
      {
        service: 'collector.CollectorService',
        host: `127.0.0.1:${server.ports.collector}`,
        status: 'SERVING',
        problem: null,
      },
      {
        service: 'query.QueryService',
        host: `127.0.0.1:${server.ports.query}`,
        status: 'SERVING',
        problem: null,
      },
    ]);
  });

  it('health --json of an unreachable service: the reports on stdout, why on stderr, exit code 1', async () => {
    const { stdout, stderr, error } = await mbcli([
      'health',
      '--collector_host',
      `127.0.0.1:${server.ports.collector}`,
      '--query_host',
      '127.0.0.1:1',
      '--json',
    ]);
    expect(error?.oclif?.exit).toBe(1);
    const reports = JSON.parse(stdout) as { service: string; status: string; problem: string | null }[];
    expect(reports.map(({ service, status }) => [service, status])).toEqual([
      ['collector.CollectorService', 'SERVING'],
      ['query.QueryService', 'UNREACHABLE'],
    ]);
    expect(reports[0]!.problem).toBeNull();
    expect(reports[1]!.problem).toMatch(/^cannot reach the query service at 127\.0\.0\.1:1 /);
    expect(stderr).toBe(`mbcli: ${reports[1]!.problem}\n`);
  });
});

describe('a server that requires a bearer token', () => {
  let server: CqserverProcess;
  beforeAll(async () => {
    server = await CqserverProcess.start(['--query_token=s3cret']);
  });
  afterAll(() => server?.stop());

  it('is answered with --token, and a refused token is one line pointing at --token', async () => {
    expect(await mbcliJson(['links', 'list', '--token', 's3cret', ...server.hostFlags()])).toEqual([]);
    const refused = await mbcli(['links', 'list', '--token', 'wrong', ...server.hostFlags()]);
    expect(refused.error?.oclif?.exit).toBe(2);
    expect(refused.stderr).toMatch(
      /^mbcli: the query service at 127\.0\.0\.1:\d+ refused the token \(.+\); pass the right one with --query_token \(or MBCLI_QUERY_TOKEN\), or --token \(or MBCLI_TOKEN\) if both services take the same\n$/,
    );
  });
});

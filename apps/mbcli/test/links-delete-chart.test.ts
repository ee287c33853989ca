import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';

const TOKEN = 's3cret';

/** One straight link, two kilometres at 90 km/h, with steady traffic at every hour of the day. */
const SCENARIO = {
  name: 'chart-test',
  detectors: [
    { id: 'cs1', latitude: 52.0, longitude: 5.0 },
    { id: 'cd1', latitude: 52.018, longitude: 5.0 },
  ],
  segments: [{ from: 'cs1', to: 'cd1', freeFlowKmh: 90 }],
  links: [{ source: 'cs1', destination: 'cd1', maxSeconds: 600 }],
  flows: [{ path: ['cs1', 'cd1'], vehiclesPerHour: 1200 }],
  detection: { share: 0.5 },
};

interface ChartJson {
  source: string;
  destination: string;
  after: string;
  before: string;
  estimates: number;
  segments: {
    start: string;
    end: string;
    points: { intervalEnd: string; intervalEndUnixNanos: string; medianSeconds: number }[];
  }[];
  svgFile: string | null;
}

describe('links delete and traveltimes chart against a real cqserver', () => {
  let server: CqserverProcess;
  let workDir: string;
  let flags: string[];
  beforeAll(async () => {
    // A collector token, so the new DeleteDetectorLink is seen behind the same guard as
    // the other RPCs; a short interval and no lag, so estimates follow the traffic within seconds.
    server = await CqserverProcess.start([
      `--collector_token=${TOKEN}`,
      '--traveltime.interval=2s',
      '--traveltime.lag=0s',
    ]);
    workDir = mkdtempSync(join(tmpdir(), 'mbcli-chart-'));
    flags = [...server.hostFlags(), '--token', TOKEN];
  });
  afterAll(async () => {
    await server?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('links delete removes the link links list showed, and says so in one line when it is gone', async () => {
    expect((await mbcli(['links', 'set', '--dest', 'b1', '--src', 'a1,a2', ...flags])).error).toBeUndefined();
    const listed = await mbcliJson<{ source: string; destination: string }[]>(['links', 'list', ...flags]);
    expect(listed.map((link) => `${link.source}:${link.destination}`)).toEqual(['a1:b1', 'a2:b1']);

    const deleted = await mbcli(['links', 'delete', '--dest', 'b1', '--src', 'a1', ...flags]);
    expect(deleted.error).toBeUndefined();
    expect(deleted.stdout).toBe('deleted link a1 → b1\n');
    const table = await mbcli(['links', 'list', ...flags]);
    expect(table.stdout).toMatch(/a2\s+b1\s+600/);
    expect(table.stdout).not.toMatch(/a1\s+b1/);

    const again = await mbcli(['links', 'delete', '--dest', 'b1', '--src', 'a1', ...flags]);
    expect(again.error?.oclif?.exit).toBe(2);
    expect(again.stderr).toBe('mbcli: there is no link a1 → b1; see `mbcli links list --dest b1`\n');

    expect(await mbcliJson(['links', 'delete', '--dest', 'b1', '--src', 'a2', ...flags])).toEqual({
      source: 'a2',
      destination: 'b1',
    });
    expect(await mbcliJson(['links', 'list', ...flags])).toEqual([]);
  });

  it('links delete refuses a bad id before calling, and a missing token in one line', async () => {
    const badId = await mbcli(['links', 'delete', '--dest', 'b1', '--src', 'a/1', ...flags]);
    expect(badId.error?.oclif?.exit).toBe(2);
    expect(badId.stderr).toBe(
      `mbcli: --src "a/1" has U+002F '/' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'\n`,
    );
    const selfLink = await mbcli(['links', 'delete', '--dest', 'b1', '--src', 'b1', ...flags]);
    expect(selfLink.stderr).toMatch(
      /^mbcli: the collector service at 127\.0\.0\.1:\d+ rejected the request: src_detector_id: is the destination itself \("b1"\); a detector cannot link to itself; correct that argument and retry\n$/,
    );
    const noToken = await mbcli(['links', 'delete', '--dest', 'b1', '--src', 'a1', ...server.hostFlags()]);
    expect(noToken.error?.oclif?.exit).toBe(2);
    expect(noToken.stderr).toMatch(
      /^mbcli: the collector service at 127\.0\.0\.1:\d+ refused the token \(missing bearer token.*\); pass the right one with --collector_token \(or MBCLI_COLLECTOR_TOKEN\), or --token \(or MBCLI_TOKEN\) if both services take the same\n$/,
    );
  });

  it('traveltimes chart draws the estimates of a link in the terminal and as SVG', async () => {
    const scenarioFile = join(workDir, 'scenario.json');
    writeFileSync(scenarioFile, JSON.stringify(SCENARIO));
    // Whole seconds, as the title prints them.
    const after = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString().replace('.000Z', 'Z');
    const traffic = await mbcli([
      'traffic',
      '--scenario',
      scenarioFile,
      '--speed',
      '600',
      '--duration',
      '900',
      ...flags,
    ]);
    expect(traffic.error).toBeUndefined();

    // Wait for an estimate with a median made after all of the traffic was sent.
    const trafficSent = Date.now();
    let latest: { intervalEnd: string; medianSeconds: number | null } | undefined;
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const rows = await mbcliJson<{ link: string; intervalEnd: string; medianSeconds: number | null }[]>([
        'traveltimes',
        ...flags,
      ]);
      latest = rows.find((row) => row.link === 'cs1:cd1');
      if ((latest?.medianSeconds ?? null) !== null && Date.parse(latest!.intervalEnd) >= trafficSent) break;
      await new Promise((done) => setTimeout(done, 1000));
    }
    expect(latest?.medianSeconds ?? null).not.toBeNull();
    // A range that ends with that estimate, so every command below sees the same estimates.
    const before = new Date(Date.parse(latest!.intervalEnd) + 1000).toISOString().replace('.000Z', 'Z');
    const range = ['--link', 'cs1:cd1', '--after', after, '--before', before];

    // The traffic's older sightings arrived late, and the worker recomputes their intervals
    // in the rounds after the live one. Recomputing the range and waiting until that is done
    // leaves estimates made from every sighting, which any later recompute writes unchanged.
    // Only ended intervals can be recomputed, and `before` is a second after the newest one.
    while (Date.now() <= Date.parse(before)) await new Promise((done) => setTimeout(done, 100));
    const recomputed = await mbcli(['traveltimes', 'recompute', ...range, ...flags]);
    expect(recomputed.error, recomputed.stderr).toBeUndefined();
    const withMedian = await estimatesWithMedian(server.ports.query, after, before);
    expect(withMedian.length).toBeGreaterThan(1);
    const chart = await mbcliJson<ChartJson>(['traveltimes', 'chart', ...range, ...flags]);
    expect(chart.segments).toHaveLength(1);
    const [segment] = chart.segments;
    expect(segment!.points.map((point) => [point.intervalEnd, point.medianSeconds])).toEqual(withMedian);
    for (const point of segment!.points) {
      expect(BigInt(point.intervalEndUnixNanos)).toBe(BigInt(Date.parse(point.intervalEnd)) * 1_000_000n);
    }
    expect(chart).toMatchObject({ route: null, routeMethod: null, svgFile: null });

    const text = await mbcli([
      'traveltimes',
      'chart',
      ...range,
      '--width',
      '100',
      '--height',
      '12',
      ...flags,
    ]);
    expect(text.error).toBeUndefined();
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`travel time cs1 → cd1, ${after} – ${before}`);
    const plot = lines.slice(1, 13);
    expect(plot.every((line) => /^ *(\d+:\d\d ┤| │)/.test(line) && [...line].length === 100)).toBe(true);
    expect(plot.some((line) => line.includes('●'))).toBe(true);
    expect(plot.some((line) => line.includes('░'))).toBe(true);
    // The value axis spans every p15..p85 drawn: its labels bracket the medians.
    const tickSeconds = plot.flatMap((line) => {
      const match = /^ *(\d+):(\d\d) ┤/.exec(line);
      return match ? [Number(match[1]) * 60 + Number(match[2])] : [];
    });
    const medians = withMedian.map(([, median]) => median as number);
    expect(tickSeconds.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...tickSeconds)).toBeGreaterThanOrEqual(Math.max(...medians));
    expect(Math.min(...tickSeconds)).toBeLessThanOrEqual(Math.min(...medians));
    expect(lines[13]).toMatch(/^ +└[─┬]+$/);
    expect(lines[14]).toMatch(/\d\d:\d\d(:\d\d)?/);
    // A typical profile needs a day of estimates, so the workers have none to name here (the legend
    // would name its band).
    expect(lines[15]).toMatch(
      /^░ p15–p85 {2}● median {2}(· typical p15–p85 {2})?blank: no estimate {2}\(y m:ss, x UTC\)$/,
    );

    const svgFile = join(workDir, 'chart.svg');
    const drawn = await mbcli(['traveltimes', 'chart', ...range, '--svg', svgFile, ...flags]);
    expect(drawn.stdout).toContain(`wrote ${svgFile}`);
    expect(existsSync(svgFile)).toBe(true);
    const svg = readFileSync(svgFile, 'utf8');
    expect(svg).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
    );
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain(`<title>travel time cs1 → cd1, ${after} – ${before}</title>`);
    const bands = [...svg.matchAll(/<polygon class="band" points="([^"]*)"/g)];
    // The run's median is solid, with dashed pieces where it leans on a thin estimate (the
    // traffic's first and last windows hold few trips); neighbouring pieces share a point.
    const medianPieces = [...svg.matchAll(/<polyline class="median(?:-thin)?" points="([^"]*)"/g)].map(
      (match) => match[1]!.split(' '),
    );
    expect(bands).toHaveLength(1);
    const medianPoints = medianPieces.flatMap((points, index) => (index === 0 ? points : points.slice(1)));
    expect(medianPoints).toHaveLength(withMedian.length);
    expect(medianPoints.every((point) => /^\d+(\.\d)?,\d+(\.\d)?$/.test(point))).toBe(true);
    // The band goes along p85 and back along p15: two vertices per estimate.
    expect(bands[0]![1]!.split(' ')).toHaveLength(2 * withMedian.length);
  }, 90_000);
});

/** [interval end, median] of each of cs1 → cd1's estimates in the range that has a median, asked of the query service directly. */
async function estimatesWithMedian(
  queryPort: number,
  after: string,
  before: string,
): Promise<[string, number][]> {
  const client = new query.QueryServiceClient(`127.0.0.1:${queryPort}`, credentials.createInsecure());
  const seconds = (iso: string) => ({ seconds: BigInt(Date.parse(iso) / 1000), nanos: 0 });
  try {
    const response = await new Promise<query.GetTravelTimesResponse>((resolve, reject) =>
      client.getTravelTimes(
        query.GetTravelTimesRequest.fromPartial({
          links: { selector: { $case: 'link', value: { sourceDetectorId: 'cs1', destDetectorId: 'cd1' } } },
          range: { after: seconds(after), before: seconds(before) },
          limit: 100_000n,
        }),
        new Metadata(),
        (error, answer) => (error ? reject(error) : resolve(answer)),
      ),
    );
    return response.estimates.flatMap((estimate) =>
      estimate.medianSeconds === undefined
        ? []
        : [
            [
              new Date(Number(estimate.intervalEnd!.seconds) * 1000).toISOString().replace('Z', '000000Z'),
              estimate.medianSeconds,
            ] as [string, number],
          ],
    );
  } finally {
    client.close();
  }
}

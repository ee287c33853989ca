import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsvLine } from '../src/lib/csv/csv-fields';
import type { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { poll, ROAD_SCENARIO, STORES, trafficProductsSetup } from './traffic-products-setup';

interface TravelTimeRow {
  link: string;
  source: string;
  destination: string;
  intervalEnd: string;
  medianSeconds: number | null;
  route: string | null;
  routeMethod: string | null;
  typicalSeconds: number | null;
  ratioToTypical: number | null;
  level: string | null;
}

interface OdMatrix {
  detectors: string[];
  cells: { origin: string; destination: string; trips: number; medianSeconds: number | null }[];
  trips: number;
  singleDetectorTrips: number;
}

const setup = trafficProductsSetup();

describe.each(STORES)('traffic products on the %s store', (kind) => {
  let server: CqserverProcess;
  let flags: string[];
  beforeAll(async () => {
    server = await setup.startServer(kind);
    flags = server.hostFlags();
  });
  afterAll(() => server?.stop());

  it('routes set, list and delete; a pair that is not a link is refused in one line', async () => {
    for (const [dest, src] of [
      ['b1', 'a1'],
      ['c1', 'b1'],
    ]) {
      expect((await mbcli(['links', 'set', '--dest', dest!, '--src', src!, ...flags])).error).toBeUndefined();
    }
    const set = await mbcli(['routes', 'set', 'east', '--detectors', 'a1,b1,c1', ...flags]);
    expect(set.error).toBeUndefined();
    expect(set.stdout).toBe('set route east: a1 → b1 → c1\n');
    expect(
      await mbcliJson(['routes', 'set', 'short', '--detectors', 'a1', '--detectors', 'b1', ...flags]),
    ).toEqual({
      name: 'short',
      detectors: ['a1', 'b1'],
    });

    expect(await mbcliJson(['routes', 'list', ...flags])).toEqual([
      { name: 'east', detectors: ['a1', 'b1', 'c1'] },
      { name: 'short', detectors: ['a1', 'b1'] },
    ]);
    const table = (await mbcli(['routes', 'list', ...flags])).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/^ROUTE\s+LINKS\s+DETECTORS$/);
    expect(table.slice(2)).toEqual(['east   2      a1 → b1 → c1', 'short  1      a1 → b1']);

    // a1 → c1 is not a link: the collector's FAILED_PRECONDITION, said as what to do.
    const notLinked = await mbcli(['routes', 'set', 'skip', '--detectors', 'a1,c1', ...flags]);
    expect(notLinked.error?.oclif?.exit).toBe(2);
    expect(notLinked.stderr).toMatch(
      /^mbcli: route skip not set: .*a1.*c1.*; link the pair first with `mbcli links set`, see `mbcli links list`\n$/,
    );
    // Refused before any call: one detector is not a route.
    const tooShort = await mbcli(['routes', 'set', 'one', '--detectors', 'a1', ...flags]);
    expect(tooShort.stderr).toBe('mbcli: --detectors: has 1 detectors; a route has 2 to 51\n');

    const deleted = await mbcli(['routes', 'delete', 'short', ...flags]);
    expect(deleted.stdout).toBe('deleted route short\n');
    const again = await mbcli(['routes', 'delete', 'short', ...flags]);
    expect(again.error?.oclif?.exit).toBe(2);
    expect(again.stderr).toBe('mbcli: there is no route short; see `mbcli routes list`\n');
    expect(await mbcliJson(['routes', 'list', ...flags])).toEqual([
      { name: 'east', detectors: ['a1', 'b1', 'c1'] },
    ]);
  });

  it('od counts the trips of imported sightings between detectors', async () => {
    // Known trips, a minute apart per device: three devices o1 → o2 (60 s), two o1 → o2 → o3
    // (first at o1, last at o3: 120 s), one seen at o2 only.
    const start = Math.floor(Date.now() / 1000) - 1800;
    const mac = (index: number) => `AA:BB:CC:DD:00:${index.toString(16).padStart(2, '0')}`;
    const lines = ['reader_id,device_address,read_time'];
    for (let device = 0; device < 3; device += 1) {
      lines.push(`o1,${mac(device)},${start + device * 60}`, `o2,${mac(device)},${start + device * 60 + 60}`);
    }
    for (let device = 3; device < 5; device += 1) {
      const at = start + device * 60;
      lines.push(`o1,${mac(device)},${at}`, `o2,${mac(device)},${at + 50}`, `o3,${mac(device)},${at + 120}`);
    }
    lines.push(`o2,${mac(9)},${start + 600}`);
    const log = join(setup.workDir(), `od-${kind}.csv`);
    writeFileSync(log, `${lines.join('\n')}\n`);
    const imported = await mbcli(['import', log, '--preset', 'roadside-reader', ...flags]);
    expect(imported.error).toBeUndefined();

    const range = ['--after', String(start - 60), '--before', String(start + 1200)];
    const matrix = await mbcliJson<OdMatrix>(['od', '--detectors', 'o1,o2,o3', ...range, ...flags]);
    expect(matrix).toEqual({
      detectors: ['o1', 'o2', 'o3'],
      cells: [
        { origin: 'o1', destination: 'o2', trips: 3, medianSeconds: 60 },
        { origin: 'o1', destination: 'o3', trips: 2, medianSeconds: 120 },
      ],
      trips: 5,
      singleDetectorTrips: 1,
    });

    const table = (await mbcli(['od', '--detectors', 'o1,o2,o3', ...range, ...flags])).stdout
      .trimEnd()
      .split('\n');
    expect(table).toEqual([
      'ORIGIN \\ DESTINATION  o1  o2         o3',
      '--------------------  --  ---------  ---------',
      'o1                    -   3 (1m00s)  2 (2m00s)',
      'o2                    -   -          -',
      'o3                    -   -          -',
      '5 trips between 3 detectors; 1 seen at one detector only',
    ]);
    const csv = await mbcli(['od', '--detectors', 'o1,o2,o3', ...range, '--csv', ...flags]);
    expect(csv.stdout).toBe(
      // The columns are the fields of the JSON's cells, by the same names.
      'origin,destination,trips,medianSeconds\no1,o2,3,60\no1,o3,2,120\n',
    );
    // A trip gap shorter than the 50 s between o1 and o2 splits the o1 → o2 → o3 trips at o2.
    const split = await mbcliJson<OdMatrix>([
      'od',
      '--detectors',
      'o1,o2,o3',
      ...range,
      '--trip_gap',
      '40',
      ...flags,
    ]);
    expect(split.cells.find((cell) => cell.origin === 'o1' && cell.destination === 'o3')).toBeUndefined();
  });

  it('traveltimes --route shows the route’s estimate and method once the worker ran', async () => {
    const scenarioFile = join(setup.workDir(), `route-${kind}.json`);
    writeFileSync(scenarioFile, JSON.stringify(ROAD_SCENARIO));
    const after = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString().replace('.000Z', 'Z');
    // The route needs its links first; the scenario sets the same links again when it registers.
    for (const [dest, src] of [
      ['rs2', 'rs1'],
      ['rs3', 'rs2'],
    ]) {
      expect((await mbcli(['links', 'set', '--dest', dest!, '--src', src!, ...flags])).error).toBeUndefined();
    }
    expect(
      (await mbcli(['routes', 'set', 'road', '--detectors', 'rs1,rs2,rs3', ...flags])).error,
    ).toBeUndefined();
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

    const trafficSent = Date.now();
    const rows = await poll(
      () => mbcliJson<TravelTimeRow[]>(['traveltimes', '--route', 'road', ...flags]),
      (answer) => (answer[0]?.medianSeconds ?? null) !== null && Date.parse(answer[0]!.intervalEnd) >= trafficSent,
    );
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ route: 'road', source: 'rs1', destination: 'rs3', link: 'rs1:rs3' });
    expect(['matched', 'sum_of_links']).toContain(row!.routeMethod);
    // Two 80 s segments; matching and binning spread it a little.
    expect(row!.medianSeconds).toBeGreaterThan(140);
    expect(row!.medianSeconds).toBeLessThan(200);

    const table = (await mbcli(['traveltimes', '--route', 'road', ...flags])).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(
      /^ROUTE\s+METHOD\s+MEDIAN\s+P15–P85\s+SAMPLES\s+SPEED\s+LEVEL\s+VS TYPICAL\s+STATUS\s+AGE$/,
    );
    expect(table[2]).toMatch(
      new RegExp(`^road \\(rs1 → rs3\\)\\s+${row!.routeMethod!.replace('_', ' ').replace('_', ' ')}\\s`),
    );

    // Every route's latest (east, of the routes test, may have one too), and a route
    // without estimates said in one line.
    const everyRoute = await mbcliJson<TravelTimeRow[]>(['traveltimes', '--routes', ...flags]);
    expect(everyRoute.map((each) => each.route)).toContain('road');
    expect(everyRoute.every((each) => each.route === 'road' || each.route === 'east')).toBe(true);
    expect((await mbcli(['traveltimes', '--route', 'nosuch', ...flags])).stdout).toBe(
      'no travel-time estimate of route nosuch yet (see `mbcli routes list`)\n',
    );

    // Once a typical profile exists the estimate is compared with it: steady traffic is free.
    if (row!.ratioToTypical !== null) {
      expect(row!.ratioToTypical).toBeGreaterThan(0.7);
      expect(row!.ratioToTypical).toBeLessThan(1.3);
      expect(table[2]).toMatch(new RegExp(`\\s${row!.level ?? '-'}\\s+${row!.ratioToTypical.toFixed(2)}x`));
    }

    // The chart of the route, with the typical profile's band once the workers computed one
    // (they need a day of estimates, so not here); without one, no band and no error.
    const before = new Date(Date.parse(row!.intervalEnd) + 1000).toISOString().replace('.000Z', 'Z');
    const chartRange = ['--route', 'road', '--after', after, '--before', before];
    const svgFile = join(setup.workDir(), `route-${kind}.svg`);
    const chart = await mbcli(['traveltimes', 'chart', ...chartRange, '--svg', svgFile, ...flags]);
    expect(chart.error).toBeUndefined();
    const chartLines = chart.stdout.split('\n');
    expect(chartLines[0]).toBe(`travel time route road, ${after} – ${before}`);
    expect(chart.stdout).toContain('●');
    expect(chart.stdout).toContain(`latest estimate: ${row!.routeMethod!.replaceAll('_', ' ')}\n`);
    const chartJson = await mbcliJson<{
      route: string;
      source: string;
      destination: string;
      routeMethod: string;
      typical: { timeZone: string; binMinutes: number; segments: { points: { p15Seconds: number }[] }[] } | null;
    }>(['traveltimes', 'chart', ...chartRange, ...flags]);
    expect(chartJson).toMatchObject({
      route: 'road',
      source: 'rs1',
      destination: 'rs3',
      routeMethod: row!.routeMethod,
    });
    const svg = readFileSync(svgFile, 'utf8');
    const legend = chartLines.find((line) => line.startsWith('░ p15–p85'));
    if (chartJson.typical === null) {
      expect(legend).toBe('░ p15–p85  ● median  blank: no estimate  (y m:ss, x UTC)');
      expect(svg).not.toContain('typical-band');
    } else {
      expect(chartJson.typical).toMatchObject({ timeZone: 'UTC', binMinutes: 15 });
      for (const point of chartJson.typical.segments.flatMap((segment) => segment.points)) {
        expect(point.p15Seconds).toBeGreaterThan(100);
        expect(point.p15Seconds).toBeLessThan(250);
      }
      expect(legend).toBe('░ p15–p85  ● median  · typical p15–p85  blank: no estimate  (y m:ss, x UTC)');
      expect(svg).toContain('<polygon class="typical-band"');
      expect(svg).toContain('>typical p15–p85</text>');
    }

    const csvFile = join(setup.workDir(), `route-${kind}.csv`);
    const exported = await mbcli([
      'export',
      'traveltimes',
      '--route',
      'road',
      '--after',
      after,
      '--before',
      before,
      '--output',
      csvFile,
      ...flags,
    ]);
    expect(exported.error).toBeUndefined();
    expect(exported.stdout).toMatch(/^wrote \d+ estimates of 1 routes to /);
    const [header, ...csvRows] = readFileSync(csvFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => splitCsvLine(line, ','));
    const column = (name: string) => header!.indexOf(name);
    expect(csvRows.length).toBeGreaterThan(0);
    for (const csvRow of csvRows) {
      expect([csvRow[0], csvRow[1], csvRow[column('route')]]).toEqual(['rs1', 'rs3', 'road']);
    }
    expect(csvRows.at(-1)![column('routeMethod')]).toBe(row!.routeMethod);
  }, 150_000);

  it('reliability without a day of history gives the spread, and says why TTI and PTI are missing', async () => {
    const after = new Date(Date.now() - 3600_000).toISOString();
    // A closed range whose newest interval the workers have estimated.
    const before = new Date().toISOString();
    const newest = await poll(
      () => mbcliJson<TravelTimeRow[]>(['traveltimes', '--route', 'road', ...flags]),
      (answer) => answer[0] !== undefined && Date.parse(answer[0].intervalEnd) >= Date.parse(before),
    );
    expect(Date.parse(newest[0]!.intervalEnd)).toBeGreaterThanOrEqual(Date.parse(before));
    const range = ['--after', after, '--before', before];
    // The workers store a typical profile only once a target has a day of estimates
    // (libs/traveltime), so an hour of traffic gives none; GetReliability with a stored
    // profile is tested over gRPC in libs/query, and the table's layout in reliability-rows.
    // The workers catch up on the hour's backlog apart from the newest interval, so an
    // interval may still gain its estimate between the two calls: read both until they
    // agree (a table and JSON that never agree still fail below).
    const readBoth = async () => ({
      table: await mbcli(['reliability', '--route', 'road', ...range, ...flags]),
      json: await mbcli(['reliability', '--route', 'road', ...range, '--json', ...flags]),
    });
    const tableIntervals = (table: string) => table.trimEnd().split('\n')[3]?.split(/\s+/)[6];
    const { table: route, json: asJson } = await poll(readBoth, ({ table, json }) => {
      const figures = json.error === undefined ? (JSON.parse(json.stdout) as Record<string, unknown>) : {};
      return figures['intervals'] === Number(tableIntervals(table.stdout));
    });
    expect(route.error).toBeUndefined();
    const [title, header, , cells, why] = route.stdout.trimEnd().split('\n');
    expect(title).toMatch(/^reliability of route road, /);
    expect(header!.split(/\s+/)).toEqual(['TTI', 'PTI', 'BI', 'MEAN', 'P95', 'FREE', 'FLOW', 'INTERVALS']);
    const [tti, pti, bi, , , freeFlow, intervals] = cells!.split(/\s+/);
    expect([tti, pti, freeFlow]).toEqual(['-', '-', '-']);
    expect(bi).toMatch(/^\d+%$/);
    expect(Number(intervals)).toBeGreaterThan(0);
    expect(why).toBe('no free-flow figure yet (the workers compute it with the typical profile), so no TTI or PTI');
    const figures = JSON.parse(asJson.stdout) as Record<string, unknown>;
    expect(figures).toMatchObject({ route: 'road', intervals: Number(intervals) });
    expect(figures['meanSeconds']).toBeGreaterThan(0);
    expect(figures['p95Seconds']).toBeGreaterThanOrEqual(figures['meanSeconds'] as number);
    // Figures it cannot give yet are null, not left out.
    expect(figures).toMatchObject({ link: null, travelTimeIndex: null, planningTimeIndex: null, freeFlowSeconds: null });
    expect(BigInt(figures['afterUnixNanos'] as string)).toBe(BigInt(Date.parse(figures['after'] as string)) * 1_000_000n);
    // A link that was never set has no estimates.
    const unknown = await mbcli(['reliability', '--link', 'zz1:zz2', '--after', after, ...flags]);
    expect(unknown.error).toBeUndefined();
    expect(unknown.stdout.trimEnd().split('\n').at(-1)).toBe('no estimates with a median in the range');
    const neither = await mbcli(['reliability', '--after', after, ...flags]);
    expect(neither.error?.oclif?.exit).toBe(2);
    expect(neither.stderr).toMatch(/^mbcli: .*--link.*--route.*; see `mbcli reliability --help`\n$/);
  });
});

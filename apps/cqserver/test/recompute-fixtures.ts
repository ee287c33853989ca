import { collector, query } from '@message-bus/proto';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { resolve } from 'node:path';

// Helpers of recompute.e2e.test.ts: constructed traffic whose every estimate is known in
// advance, the estimates read back in a comparable form, and the built mbcli as a process.

export const NANOS_PER_SECOND = 1_000_000_000n;
/** The estimator's window (DEFAULT_ESTIMATOR_CONFIG.windowSeconds): an estimate at T describes samples arriving in [T − 900 s, T). */
export const WINDOW_SECONDS = 900n;
const MIN_VALID_SAMPLES = 3;

/** One device seen once at the source and once, exactly `travelSeconds` later, at the destination. */
export interface Trip {
  readonly device: string;
  /** Unix nanoseconds. */
  readonly atSource: bigint;
  readonly atDestination: bigint;
}

/** A link and the trips over it. */
export interface Traffic {
  readonly source: string;
  readonly destination: string;
  readonly travelSeconds: number;
  readonly trips: readonly Trip[];
}

/**
 * `count` devices, one every `spacingSeconds` from `firstAtSourceSeconds` (unix seconds),
 * each at the destination exactly `travelSeconds` after the source. Device ids are MAC
 * addresses unique to `tag`, so no two scenarios share a device.
 */
export function constructTraffic(options: {
  source: string;
  destination: string;
  tag: number;
  firstAtSourceSeconds: number;
  count: number;
  spacingSeconds: number;
  travelSeconds: number;
}): Traffic {
  const trips: Trip[] = [];
  for (let index = 0; index < options.count; index += 1) {
    const atSource = BigInt(options.firstAtSourceSeconds + index * options.spacingSeconds) * NANOS_PER_SECOND;
    trips.push({
      device: mac(options.tag, index),
      atSource,
      atDestination: atSource + BigInt(options.travelSeconds) * NANOS_PER_SECOND,
    });
  }
  return {
    source: options.source,
    destination: options.destination,
    travelSeconds: options.travelSeconds,
    trips,
  };
}

function mac(tag: number, index: number): string {
  const hex = ((tag << 16) | index).toString(16).padStart(8, '0');
  return `A4:C1:${hex.match(/../g)!.join(':')}`.toUpperCase();
}

/** What an estimate says, in one comparable line: `status median p15 p85 mean valid/total`. */
export function describeEstimate(estimate: query.TravelTimeEstimate | undefined): string {
  if (estimate === undefined) return 'missing';
  const status = query.EstimateStatus[estimate.status] ?? String(estimate.status);
  const stats = [estimate.medianSeconds, estimate.p15Seconds, estimate.p85Seconds, estimate.meanSeconds]
    .map((value) => (value === undefined ? '-' : String(value)))
    .join(' ');
  return `${status.replace('ESTIMATE_STATUS_', '')} ${stats} ${estimate.validSamples}/${estimate.totalSamples}`;
}

/**
 * The estimate the worker owes at interval end `end` for this traffic, in describeEstimate's
 * form: every trip arriving in [end − 900 s, end) is one sample of exactly travelSeconds,
 * so the statistics are travelSeconds; fewer than 3 samples are insufficient_data.
 */
export function expectedEstimate(traffic: Traffic, end: bigint): string {
  const windowStart = end - WINDOW_SECONDS * NANOS_PER_SECOND;
  const samples = traffic.trips.filter(
    (trip) => trip.atDestination >= windowStart && trip.atDestination < end,
  ).length;
  if (samples === 0) return `NO_SAMPLES - - - - 0/0`;
  const value = String(traffic.travelSeconds);
  const status = samples < MIN_VALID_SAMPLES ? 'INSUFFICIENT_DATA' : 'OK';
  return `${status} ${value} ${value} ${value} ${value} ${samples}/${samples}`;
}

/** The interval ends (multiples of `intervalSeconds`) in [from, to]. */
export function intervalEnds(from: bigint, to: bigint, intervalSeconds: number): bigint[] {
  const interval = BigInt(intervalSeconds) * NANOS_PER_SECOND;
  const ends: bigint[] = [];
  for (let end = ((from + interval - 1n) / interval) * interval; end <= to; end += interval) ends.push(end);
  return ends;
}

/**
 * The interval ends whose window sees the traffic, and the window after it has drained:
 * from the first end after the first arrival to one interval past the window of the last.
 */
export function trafficIntervalEnds(traffic: Traffic, intervalSeconds: number): bigint[] {
  const first = traffic.trips[0]!.atDestination;
  const last = traffic.trips.at(-1)!.atDestination;
  const interval = BigInt(intervalSeconds) * NANOS_PER_SECOND;
  return intervalEnds(first + 1n, last + WINDOW_SECONDS * NANOS_PER_SECOND + 2n * interval, intervalSeconds);
}

/** `end → expected description` for every end given. */
export function expectedEstimates(traffic: Traffic, ends: readonly bigint[]): Record<string, string> {
  return Object.fromEntries(ends.map((end) => [isoOf(end), expectedEstimate(traffic, end)]));
}

/** `end → description of the stored estimate` (or `missing`) for every end given. */
export function storedEstimates(
  estimates: readonly query.TravelTimeEstimate[],
  ends: readonly bigint[],
): Record<string, string> {
  const byEnd = new Map(estimates.map((estimate) => [nanosOf(estimate.intervalEnd), estimate]));
  return Object.fromEntries(ends.map((end) => [isoOf(end), describeEstimate(byEnd.get(end))]));
}

export function isoOf(nanos: bigint): string {
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}

export function timestamp(nanos: bigint): { seconds: bigint; nanos: number } {
  return { seconds: nanos / NANOS_PER_SECOND, nanos: Number(nanos % NANOS_PER_SECOND) };
}

export function nanosOf(time: { seconds: bigint; nanos: number } | undefined): bigint {
  if (time === undefined) throw new Error('an estimate without interval_end');
  return time.seconds * NANOS_PER_SECOND + BigInt(time.nanos);
}

/** The traffic's sightings as `mbcli import --preset roadside-reader` reads them, oldest first. */
export function writeRoadsideReaderCsv(path: string, traffic: Traffic): number {
  const rows: [bigint, string][] = [];
  for (const trip of traffic.trips) {
    rows.push([trip.atSource, `${traffic.source},${trip.device},${trip.atSource / NANOS_PER_SECOND}`]);
    rows.push([
      trip.atDestination,
      `${traffic.destination},${trip.device},${trip.atDestination / NANOS_PER_SECOND}`,
    ]);
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  writeFileSync(path, `reader_id,device_address,read_time\n${rows.map(([, line]) => line).join('\n')}\n`);
  return rows.length;
}

/** One detector's sightings of the traffic, as the detector uploads them (one log, Bluetooth). */
export function eventLog(traffic: Traffic, side: 'source' | 'destination'): collector.EventLog {
  return {
    loc: {
      detectorId: side === 'source' ? traffic.source : traffic.destination,
      latitude: 0n,
      longitude: 0n,
    },
    events: traffic.trips.map((trip) => ({
      time: [timestamp(side === 'source' ? trip.atSource : trip.atDestination)],
      deviceId: { $case: 'bluetooth', value: trip.device },
    })),
  };
}

type Callback<Res> = (error: Error | null, response: Res) => void;

export function promised<Res>(start: (callback: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((done, fail) => start((error, response) => (error ? fail(error) : done(response))));
}

export function streamEventLogs(
  client: collector.CollectorServiceClient,
  logs: readonly collector.EventLog[],
): Promise<collector.SendStreamResponse> {
  return new Promise((done, fail) => {
    const stream = client.streamEventLog((error, response) => (error ? fail(error) : done(response)));
    for (const log of logs) stream.write(log);
    stream.end();
  });
}

/** The link source → destination (no minimum travel time: the detectors have no coordinates). */
export function createLink(
  client: collector.CollectorServiceClient,
  traffic: Traffic,
  maxSeconds = 300,
): Promise<unknown> {
  return promised((callback) =>
    client.createDetectorLink(
      {
        destDetectorId: traffic.destination,
        srcDetectors: [{ detectorId: traffic.source, maxSeconds: BigInt(maxSeconds), minSeconds: 0n }],
      },
      callback,
    ),
  );
}

function linkSelector(traffic: Traffic): query.LinkSelector {
  return {
    selector: {
      $case: 'link',
      value: { sourceDetectorId: traffic.source, destDetectorId: traffic.destination },
    },
  };
}

/** The link's estimates whose interval end lies in [first, last], oldest first. */
export async function readEstimates(
  client: query.QueryServiceClient,
  traffic: Traffic,
  first: bigint,
  last: bigint,
): Promise<query.TravelTimeEstimate[]> {
  const response = await promised<query.GetTravelTimesResponse>((callback) =>
    client.getTravelTimes(
      {
        links: linkSelector(traffic),
        range: { after: timestamp(first), before: timestamp(last + 1n) },
        limit: 100_000n,
      },
      callback,
    ),
  );
  return response.estimates;
}

/** The link's newest estimate, if it has any. */
export async function latestEstimate(
  client: query.QueryServiceClient,
  traffic: Traffic,
): Promise<query.TravelTimeEstimate | undefined> {
  const response = await promised<query.GetTravelTimesResponse>((callback) =>
    client.getLatestTravelTimes({ links: linkSelector(traffic) }, callback),
  );
  return response.estimates[0];
}

/** Each estimate as its wire bytes (hex), to compare byte for byte. */
export function wireBytes(estimates: readonly query.TravelTimeEstimate[]): string[] {
  return estimates.map((estimate) =>
    Buffer.from(query.TravelTimeEstimate.encode(estimate).finish()).toString('hex'),
  );
}

/**
 * The sum of a Prometheus metric's samples that carry the given label (whatever default
 * labels the server adds), e.g. `message_bus_travel_time_intervals_recomputed_total` with `origin="request"`.
 */
export async function metricValue(port: number, name: string, label: string): Promise<number> {
  const text = await new Promise<string>((done, fail) => {
    get(`http://127.0.0.1:${port}/metrics`, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => done(body));
    }).on('error', fail);
  });
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name || !(match[2] ?? '').split(',').includes(label)) continue;
    sum += Number(match[3]);
  }
  return sum;
}

const mbcliDir = resolve(__dirname, '../../mbcli');
const mbcliExecutable = resolve(mbcliDir, 'bin/run.js');

export interface MbcliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `mbcli` as an operator would, with a config directory of its own. */
export function mbcli(args: readonly string[], configHome: string): Promise<MbcliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [mbcliExecutable, ...args],
      {
        env: { PATH: process.env['PATH'] ?? '', HOME: configHome, XDG_CONFIG_HOME: configHome },
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `mbcli ... --json` and parses its JSON, failing with its stderr when it did not succeed. */
export async function mbcliJson<T>(args: readonly string[], configHome: string): Promise<T> {
  const run = await mbcli([...args, '--json'], configHome);
  if (run.code !== 0)
    throw new Error(`mbcli ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

import { Server, ServerCredentials } from '@grpc/grpc-js';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { sendSighting } from './send-sighting';

const NO_DETECTORS_HINT =
  'no registered detectors yet; register one with `mbcli detectors set`, send traffic with ' +
  '`mbcli traffic --scenario corridor`, or name detectors that only send sightings with --detector_ids';

interface EventRow {
  detector: string;
  device: string;
  time: string;
  unixNanos: string;
}

describe('events without --detector_ids against a real cqserver', () => {
  let server: CqserverProcess;
  beforeAll(async () => {
    server = await CqserverProcess.start();
  });
  afterAll(() => server?.stop());

  it('on an empty server prints the hint, an empty JSON array with --json, and exits 0', async () => {
    const table = await mbcli(['events', ...server.hostFlags()]);
    expect(table.error).toBeUndefined();
    expect(table.stdout).toBe(`${NO_DETECTORS_HINT}\n`);
    expect(await mbcliJson<EventRow[]>(['events', ...server.hostFlags()])).toEqual([]);
  });

  it("shows registered detectors' latest sightings, --event_limit per detector, newest first", async () => {
    for (const [id, lat] of [
      ['o1', '52.09073'],
      ['o2', '52.10000'],
      ['o3', '52.11000'],
    ] as const) {
      const flags = ['--id', id, '--lat', lat, '--lon', '5.12142'];
      const set = await mbcli(['detectors', 'set', ...flags, ...server.hostFlags()]);
      expect(set.error).toBeUndefined();
    }
    const now = Date.now();
    await sendSighting(server, 'o1', 'dev-1', now - 30_000);
    await sendSighting(server, 'o1', 'dev-2', now - 10_000);
    await sendSighting(server, 'o2', 'dev-1', now - 20_000);
    // Sighted but never registered: not listed, so not in the overview.
    await sendSighting(server, 'u1', 'dev-3', now - 5_000);

    const latest = await mbcliJson<EventRow[]>(['events', ...server.hostFlags()]);
    expect(latest.map((row) => [row.detector, row.time])).toEqual([
      ['o1', new Date(now - 10_000).toISOString().replace('Z', '000000Z')],
      ['o2', new Date(now - 20_000).toISOString().replace('Z', '000000Z')],
    ]);
    expect(latest[0]!.unixNanos).toBe(`${now - 10_000}000000`);
    for (const row of latest) expect(['dev-1', 'dev-2']).not.toContain(row.device);

    const all = await mbcliJson<EventRow[]>(['events', '--event_limit', '5', ...server.hostFlags()]);
    expect(all.map((row) => row.detector)).toEqual(['o1', 'o2', 'o1']);

    const table = await mbcli(['events', ...server.hostFlags()]);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^DETECTOR\s+DEVICE\s+TIME$/);
    expect(lines.slice(2)).toEqual(
      // The table shows milliseconds; the JSON is exact, with nine fractional digits.
      latest.map((row) =>
        expect.stringMatching(
          new RegExp(`^${row.detector}\\s+${row.device}\\s+${row.time.replace(/\d{6}Z$/, 'Z')}$`),
        ),
      ),
    );
  });

  it('says so when no registered detector has a sighting in the range, and refuses --follow', async () => {
    const old = await mbcli(['events', '--before', '2026-01-01T00:00:00Z', ...server.hostFlags()]);
    expect(old.error).toBeUndefined();
    expect(old.stdout).toBe('no sightings of the 3 registered detectors\n');
    const follow = await mbcli(['events', '--follow', ...server.hostFlags()]);
    expect(follow.error?.oclif?.exit).toBe(2);
    expect(follow.stderr).toBe(
      'mbcli: --follow needs --detector_ids; `mbcli detectors list` shows the registered ones\n',
    );
  });

  it('--help shows no made-up default detector', async () => {
    const { stdout } = await mbcli(['events', '--help']);
    expect(stdout).toMatch(/--detector_ids=<value>\.\.\.\s+detectors to list/);
    expect(stdout).not.toMatch(/xxx|default: \w+-1/);
  });
});

/** A QueryService on loopback that records each GetEvents request as a server receives it. */
class RecordingQueryService {
  readonly requests: query.GetEventsRequest[] = [];
  private readonly server = new Server();
  private port = 0;

  /** `detectorIds`: what ListDetectors answers; undefined: no ListDetectors, as the original's server. */
  async start(detectorIds: readonly string[] | undefined): Promise<void> {
    const getEvents: query.QueryServiceServer['getEvents'] = (call, respond) => {
      this.requests.push(call.request);
      respond(null, { events: [] });
    };
    const listDetectors: query.QueryServiceServer['listDetectors'] = (_call, respond) =>
      respond(null, {
        detectors: (detectorIds ?? []).map((detectorId) =>
          query.DetectorSummary.fromPartial({
            loc: { detectorId, latitude: 5_209_073n, longitude: 512_142n },
          }),
        ),
        nextPageToken: '',
      });
    this.server.addService(
      query.QueryServiceService,
      detectorIds === undefined ? { getEvents } : { getEvents, listDetectors },
    );
    this.port = await new Promise<number>((done, fail) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? fail(error) : done(port),
      ),
    );
  }

  hostFlags(): string[] {
    return [`--query_host=127.0.0.1:${this.port}`];
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

describe('the GetEvents request mbcli sends', () => {
  it('has no range unless --after or --before is given, so the original Go server answers it', async () => {
    const service = new RecordingQueryService();
    await service.start(undefined);
    try {
      expect((await mbcli(['events', '--detector_ids', 'a1', ...service.hostFlags()])).error).toBeUndefined();
      expect(
        (
          await mbcli([
            'events',
            '--detector_ids',
            'a1',
            '--after',
            '2026-01-30T08:00:00Z',
            ...service.hostFlags(),
          ])
        ).error,
      ).toBeUndefined();
      const [plain, after] = service.requests;
      expect(plain?.detectorIds).toEqual(['a1']);
      expect(plain?.limit).toBe(1n);
      expect(plain?.range).toBeUndefined();
      expect(after?.range).toEqual({ after: { seconds: 1_769_760_000n, nanos: 0 }, before: undefined });
    } finally {
      service.stop();
    }
  });

  it('without --detector_ids asks for every listed detector, 100 per request, with no range', async () => {
    const service = new RecordingQueryService();
    const ids = Array.from({ length: 150 }, (_, index) => `d${String(index).padStart(3, '0')}`);
    await service.start(ids);
    try {
      const { stdout, error } = await mbcli(['events', ...service.hostFlags()]);
      expect(error).toBeUndefined();
      expect(stdout).toBe('no sightings of the 150 registered detectors\n');
      expect(service.requests.map((request) => request.detectorIds)).toEqual([
        ids.slice(0, 100),
        ids.slice(100),
      ]);
      expect(service.requests.map((request) => request.range)).toEqual([undefined, undefined]);
    } finally {
      service.stop();
    }
  });

  it('without --detector_ids on a server that cannot list detectors names --detector_ids', async () => {
    const service = new RecordingQueryService();
    await service.start(undefined);
    try {
      const { stderr, error } = await mbcli(['events', ...service.hostFlags()]);
      expect(error?.oclif?.exit).toBe(2);
      expect(stderr).toBe(
        `mbcli: the query service at ${service.hostFlags()[0]!.split('=')[1]} cannot list detectors ` +
          "(the original's server?); name them with --detector_ids\n",
      );
      expect(service.requests).toEqual([]);
    } finally {
      service.stop();
    }
  });
});

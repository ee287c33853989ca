import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';

interface RecomputeJson {
  outcome: string;
  destinations: number;
  destinationsDone: number;
  spanSeconds: number;
  spanSecondsDone: number;
  done: boolean;
  after: string;
  before: string;
  elapsedSeconds: number;
}

const MINUTE_MS = 60_000;

describe('traveltimes recompute against a real cqserver', () => {
  let server: CqserverProcess;
  let flags: string[];
  /** Six minutes ago to four minutes ago, to the second: ended, and well inside the retention. */
  let after: string;
  let before: string;

  beforeAll(async () => {
    // A short interval and no lag, so its worker takes the requested ranges within seconds;
    // an hour's retention, so the refusal below names it.
    server = await CqserverProcess.start([
      '--traveltime.interval=2s',
      '--traveltime.lag=0s',
      '--retention=1h',
    ]);
    flags = server.hostFlags();
    expect((await mbcli(['links', 'set', '--dest', 'b1', '--src', 'a1,a2', ...flags])).error).toBeUndefined();
    expect((await mbcli(['links', 'set', '--dest', 'c1', '--src', 'b1', ...flags])).error).toBeUndefined();
    const start = Math.floor((Date.now() - 6 * MINUTE_MS) / 1000) * 1000;
    after = new Date(start).toISOString();
    before = new Date(start + 2 * MINUTE_MS).toISOString();
  });
  afterAll(() => server?.stop());

  it('waits for the workers to recompute every link and prints a summary line', async () => {
    const result = await mbcli(['traveltimes', 'recompute', '--after', after, '--before', before, ...flags]);
    expect(result.error).toBeUndefined();
    expect(result.stdout).toMatch(/^recomputed 2 destinations, 4m of intervals in all, in \d+\.\ds\n$/);
  });

  it('--json prints the final progress: one destination of --dest, every second of the range done', async () => {
    const json = await mbcliJson<RecomputeJson>([
      'traveltimes',
      'recompute',
      '--dest',
      'b1',
      '--after',
      after,
      '--before',
      before,
      ...flags,
    ]);
    expect(json).toEqual({
      outcome: 'done',
      destinations: 1,
      destinationsDone: 1,
      spanSeconds: 120,
      spanSecondsDone: 120,
      done: true,
      // The range exactly: RFC 3339 with nine fractional digits and the Unix nanoseconds.
      after: after.replace('Z', '000000Z'),
      afterUnixNanos: `${Date.parse(after)}000000`,
      before: before.replace('Z', '000000Z'),
      beforeUnixNanos: `${Date.parse(before)}000000`,
      elapsedSeconds: expect.any(Number),
    });
  });

  it('--no-wait returns once the request is recorded, with nothing done yet', async () => {
    const json = await mbcliJson<RecomputeJson>([
      'traveltimes',
      'recompute',
      '--link',
      'a2:b1',
      '--after',
      after,
      '--before',
      before,
      '--no-wait',
      ...flags,
    ]);
    expect(json).toMatchObject({
      outcome: 'submitted',
      destinations: 1,
      destinationsDone: 0,
      spanSeconds: 120,
      spanSecondsDone: 0,
      done: false,
    });
    const text = await mbcli([
      'traveltimes',
      'recompute',
      '--link',
      'a2:b1',
      '--after',
      after,
      '--before',
      before,
      '--no-wait',
      ...flags,
    ]);
    expect(text.stdout).toBe(
      'submitted: 1 destination, 2m of intervals in all; the travel-time workers recompute them in the background\n',
    );
  });

  it('refuses in one line, exit code 2: beyond the retention, an unknown link or destination, a bad range or flags', async () => {
    const refused = async (args: string[]) => {
      const result = await mbcli(['traveltimes', 'recompute', ...args, ...flags]);
      expect(result.error?.oclif?.exit).toBe(2);
      expect(result.stdout).toBe('');
      return result.stderr;
    };
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * MINUTE_MS).toISOString();
    expect(await refused(['--after', twoHoursAgo, '--before', before])).toMatch(
      new RegExp(
        `^mbcli: cannot recompute that range: --after ${twoHoursAgo.slice(0, 19)}\\.\\d{9}Z is older than the raw-sighting retention \\(1h\\) keeps; ` +
          'sightings before \\S+ are deleted, so recomputing their intervals would erase good estimates; ' +
          'the oldest time that can be recomputed is \\S+\\n$',
      ),
    );
    expect(await refused(['--link', 'zz:b1', '--after', after, '--before', before])).toBe(
      'mbcli: nothing to recompute: there is no link from "zz" to "b1"; see `mbcli links list`\n',
    );
    expect(await refused(['--dest', 'nowhere', '--after', after, '--before', before])).toBe(
      'mbcli: nothing to recompute: there are no links into "nowhere"; see `mbcli links list`\n',
    );
    expect(await refused(['--after', before, '--before', after])).toBe(
      `mbcli: --after ${before} is not before --before ${after}; the range runs from --after (inclusive) to --before (exclusive)\n`,
    );
    expect(await refused(['--after', 'yesterday', '--before', before])).toBe(
      'mbcli: --after "yesterday" is not a time; give RFC 3339 like 2026-01-30T08:00:00Z, ' +
        'Unix seconds like 1769760000, or a time ago like -1h (or now)\n',
    );
    expect(await refused(['--after', after])).toMatch(
      /^mbcli: Missing required flag before.*; see `mbcli traveltimes recompute --help`\n$/,
    );
    expect(await refused(['--link', 'a1:b1', '--dest', 'b1', '--after', after, '--before', before])).toMatch(
      /^mbcli: .*--dest.*cannot also be provided when using --link.*\n$|^mbcli: .*--link.*cannot also be provided when using --dest.*\n$/,
    );
  });
});

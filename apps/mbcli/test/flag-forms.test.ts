import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { mbcliProcess } from './mbcli-process';
import { sendSighting } from './send-sighting';

interface EventRow {
  readonly detector: string;
  readonly unixNanos: string;
}

interface LinkRow {
  readonly source: string;
  readonly destination: string;
  readonly maxSeconds: number;
  readonly minSeconds: number | null;
}

const HOUR_MS = 3_600_000;

describe('durations and times, kebab-case flags and unknown flags, against a real cqserver', () => {
  let server: CqserverProcess;
  let now: number;
  beforeAll(async () => {
    server = await CqserverProcess.start();
    now = Date.now();
    // Three hours, two hours and one minute ago.
    for (const [index, agoMs] of [3 * HOUR_MS, 2 * HOUR_MS, 60_000].entries()) {
      await sendSighting(server, 'ff1', `dev-${index}`, now - agoMs);
    }
  });
  afterAll(() => server?.stop());

  const ages = (rows: readonly EventRow[]) =>
    rows.map((row) => Math.round((now - Number(BigInt(row.unixNanos) / 1_000_000n)) / 60_000));

  it('takes a time as RFC 3339, Unix seconds, a time ago or now', async () => {
    const events = (range: string[]) =>
      mbcliJson<EventRow[]>(['events', '--detector_ids', 'ff1', '--event_limit', '10', ...range, ...server.hostFlags()]);
    expect(ages(await events(['--after', '-150m', '--before', 'now']))).toEqual([1, 120]);
    expect(ages(await events(['--after=-4h', '--before', '-1h']))).toEqual([120, 180]);
    const unixSeconds = String(Math.floor((now - 150 * 60_000) / 1000));
    const rfc3339 = new Date(now - 30 * 60_000).toISOString();
    expect(ages(await events(['--after', unixSeconds, '--before', rfc3339]))).toEqual([120]);
  });

  it('takes a duration with a unit or as bare seconds', async () => {
    await mbcli(['links', 'set', '--dest', 'fb1', '--src', 'fa1', '--max_seconds', '10m', ...server.hostFlags()]);
    await mbcli(['links', 'set', '--dest', 'fb2', '--src', 'fa2', '--max_seconds', '90', ...server.hostFlags()]);
    await mbcli(['links', 'set', '--dest', 'fb3', '--src', 'fa3', '--max_seconds', '1h30m', '--min_seconds', '1m']
      .concat(server.hostFlags()));
    const links = await mbcliJson<LinkRow[]>(['links', 'list', ...server.hostFlags()]);
    const byDestination = new Map(links.map((link) => [link.destination, [link.maxSeconds, link.minSeconds]]));
    expect([byDestination.get('fb1'), byDestination.get('fb2'), byDestination.get('fb3')]).toEqual([
      [600, null],
      [90, null],
      [5_400, 60],
    ]);
  });

  it('refuses a bad duration or time in one line naming the flag and the forms, exit code 2', async () => {
    const refused = async (args: string[]) => {
      const result = await mbcli([...args, ...server.hostFlags()]);
      expect(result.error?.oclif?.exit).toBe(2);
      return result.stderr;
    };
    expect(await refused(['traffic', '--scenario', 'corridor', '--duration', '6hours'])).toBe(
      'mbcli: --duration "6hours" is not a duration; give a number and a unit like 90s, 30m, 6h or 2d ' +
        '(ms, s, m, h, d; or combined like 1h30m), or bare seconds like 3600\n',
    );
    expect(await refused(['traveltimes', '--watch', '--interval', '200ms'])).toBe(
      'mbcli: --interval 200ms is too short; give at least 1s\n',
    );
    expect(await refused(['links', 'set', '--dest', 'b', '--src', 'a', '--max_seconds', '1.5s'])).toBe(
      'mbcli: --max_seconds 1.5s is not a whole number of seconds; give one like 90s or 10m\n',
    );
    expect(await refused(['alerts', '--after', '2026-01-30T08:00:00'])).toBe(
      'mbcli: --after "2026-01-30T08:00:00" has no time zone; add Z for UTC or an offset like +01:00\n',
    );
    expect(await refused(['traffic', '--scenario', 'corridor', '--start', 'monday'])).toBe(
      'mbcli: --start "monday" is not a time; give RFC 3339 like 2026-01-30T08:00:00Z, ' +
        'Unix seconds like 1769760000, or a time ago like -1h (or now)\n',
    );
  });

  it('takes the kebab-case form of every snake_case flag, global ones too, with the same result', async () => {
    const kebabHosts = server.hostFlags().map((flag) => flag.replace(/^--(\w+)_host=/, '--$1-host='));
    expect(kebabHosts.join(' ')).toMatch(/--collector-host=.* --query-host=/);
    const snake = await mbcliJson<EventRow[]>(['events', '--detector_ids', 'ff1', '--event_limit', '2']
      .concat(server.hostFlags()));
    const kebab = await mbcliJson<EventRow[]>(['events', '--detector-ids', 'ff1', '--event-limit', '2', ...kebabHosts]);
    expect(kebab).toHaveLength(2);
    expect(kebab).toEqual(snake);
  });

  it('shows only the snake_case names in the help', async () => {
    const { stdout } = await mbcli(['events', '--help']);
    expect(stdout).toContain('--detector_ids=<value>');
    expect(stdout).toContain('--after=<time>');
    expect(stdout).toMatch(/--query_host=<value>/);
    expect(stdout).not.toMatch(/--detector-ids|--event-limit|--query-host|--stop-after/);
    const traffic = await mbcli(['traffic', '--help']);
    expect(traffic.stdout).toMatch(/--duration=<duration>\s+\[default: 1h\]/);
  });

  it('names the closest flag of an unknown one, exit code 2', async () => {
    const typo = await mbcli(['events', '--detector_id', 'ff1', ...server.hostFlags()]);
    expect(typo.error?.oclif?.exit).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toBe('mbcli: unknown flag --detector_id; did you mean --detector_ids?\n');
    const kebabTypo = await mbcli(['events', '--event-limt=3', ...server.hostFlags()]);
    expect(kebabTypo.stderr).toBe('mbcli: unknown flag --event-limt; did you mean --event-limit?\n');
    const far = await mbcli(['links', 'list', '--frobnicate', ...server.hostFlags()]);
    expect(far.error?.oclif?.exit).toBe(2);
    expect(far.stderr).toBe('mbcli: unknown flag --frobnicate; see `mbcli links list --help`\n');
  });
});

describe('shell completion', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mbcli-completion-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('mbcli autocomplete has its help, and prints the bash setup line', async () => {
    const help = await mbcli(['autocomplete', '--help']);
    expect(help.stdout).toContain('$ mbcli autocomplete [SHELL]');
    const root = await mbcli(['--help']);
    expect(root.stdout).toMatch(/^ {2}autocomplete {2}/m);
    expect(root.stdout).toContain('\n  $ mbcli autocomplete\n');
    const env = { XDG_CACHE_HOME: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
    const script = mbcliProcess(['autocomplete', 'script', 'bash'], env);
    expect(script.status).toBe(0);
    expect(script.stdout).toContain(`MBCLI_AC_BASH_SETUP_PATH=${join(dir, 'cache/mbcli/autocomplete/bash_setup')}`);
  });

  it('bash completes commands and flags from the cache autocomplete writes', () => {
    const env = { XDG_CACHE_HOME: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
    expect(mbcliProcess(['autocomplete', '--refresh-cache'], env).status).toBe(0);
    const functions = join(dir, 'cache/mbcli/autocomplete/functions/bash/mbcli.bash');
    expect(readFileSync(functions, 'utf8')).toContain('--detector_ids');
    const complete = (line: string) => {
      const words = line.split(' ');
      const script = [
        `source ${functions}`,
        `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
        `COMP_CWORD=${words.length - 1}`,
        `COMP_LINE='${line}'`,
        'COMP_POINT=${#COMP_LINE}',
        '_mbcli_autocomplete',
        'printf "%s\\n" "${COMPREPLY[@]}" | sort -u',
      ].join('\n');
      const run = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      return run.stdout.trim().split('\n');
    };
    expect(complete('mbcli links ')).toEqual(['delete', 'list', 'set']);
    expect(complete('mbcli trav')).toEqual(['traveltimes']);
    expect(complete('mbcli events --det')).toEqual(['--detector_ids']);
  });
});

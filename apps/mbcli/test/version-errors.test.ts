import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { mbcliProcess, withEnv } from './mbcli-process';

const { version } = JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8')) as {
  version: string;
};
/** The form every message-bus app prints (tools/deploy-checks asserts it for the server apps). */
const VERSION_LINE = new RegExp(`^mbcli ${version.replace(/\./g, '\\.')} \\((?!unknown\\))[0-9a-f]{7,}\\)$`);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mbcli-errors-'));
  // An empty config dir, so the operator's own ~/.config/mbcli cannot change what these tests see.
  process.env['XDG_CONFIG_HOME'] = join(dir, 'empty-config-home');
});
afterAll(() => {
  delete process.env['XDG_CONFIG_HOME'];
  rmSync(dir, { recursive: true, force: true });
});

describe('version', () => {
  it('mbcli --version prints the version and the git commit baked in at build time', () => {
    const run = mbcliProcess(['--version'], {});
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.trimEnd()).toMatch(VERSION_LINE);
  });

  it('-v and mbcli version print the same line, and the root help shows it', async () => {
    const short = await mbcli(['-v']);
    const command = await mbcli(['version']);
    expect(command.error).toBeUndefined();
    expect(command.stdout.trimEnd()).toMatch(VERSION_LINE);
    expect(short.stdout).toBe(command.stdout);
    const help = await mbcli(['--help']);
    expect(help.stdout).toContain(`VERSION\n  ${command.stdout}`);
  });
});

describe('an unknown command', () => {
  it('is one line naming it and the help, exit code 2, from the real executable', () => {
    const run = mbcliProcess(['frobnicate'], { XDG_CONFIG_HOME: join(dir, 'empty-config-home') });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('mbcli: "frobnicate" is not a command of mbcli; see `mbcli --help`\n');
  });

  it('suggests the closest command', async () => {
    const { error, stderr } = await mbcli(['evnts', '--detector_ids', 'a1']);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr).toBe(
      'mbcli: "evnts" is not a command of mbcli; did you mean `mbcli events`? see `mbcli --help`\n',
    );
  });

  it("in a topic lists the topic's commands", async () => {
    const { error, stderr } = await mbcli(['links', 'frob']);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr).toMatch(
      /^mbcli: `mbcli links` has no command "frob"; its commands are (\w+, )*list, (\w+, )*set(, \w+)* \(see `mbcli links --help`\)\n$/,
    );
  });
});

describe('a server that requires a bearer token', () => {
  let server: CqserverProcess;
  beforeAll(async () => {
    server = await CqserverProcess.start(['--query_token=s3cret-token']);
  });
  afterAll(() => server?.stop());

  /** A config file whose token is the given one. */
  function configWithToken(name: string, token: string): string {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, `query_host: 127.0.0.1:${server.ports.query}\ntoken: ${token}\n`);
    return path;
  }

  it('refuses a call without a token in one line that says how to set one', async () => {
    const { error, stderr } = await mbcli(['links', 'list', ...server.hostFlags()]);
    expect(error?.oclif?.exit).toBe(2);
    expect(stderr).toMatch(
      /^mbcli: the query service at 127\.0\.0\.1:\d+ refused the token \(.+\); pass the right one with --query_token \(or MBCLI_QUERY_TOKEN\), or --token \(or MBCLI_TOKEN\) if both services take the same\n$/,
    );
  });

  it('takes the token from the config file, MBCLI_TOKEN over the file, --token over both', async () => {
    const rightInFile = configWithToken('right-token', 's3cret-token');
    expect(await mbcliJson(['links', 'list', '--config', rightInFile])).toEqual([]);

    const wrongInFile = configWithToken('wrong-token', 'stale-token');
    await withEnv({ MBCLI_TOKEN: 's3cret-token' }, async () => {
      expect(await mbcliJson(['links', 'list', '--config', wrongInFile])).toEqual([]);

      const fromFlag = await mbcli(['links', 'list', '--config', rightInFile, '--token', 'wrong-token']);
      expect(fromFlag.error?.oclif?.exit).toBe(2);
      expect(fromFlag.stderr).toContain('refused the token');
      expect(fromFlag.stderr).not.toMatch(/s3cret-token|wrong-token/);
    });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { mbcliProcess } from './mbcli-process';

const COLLECTOR_TOKEN = 'c-secret';
const QUERY_TOKEN = 'q-secret';

let dir: string;
/** An empty config dir, so the operator's own ~/.config/mbcli cannot change what these tests see. */
let emptyConfigHome: string;
/** A deployment as deployment/README.md sets it up: collector and query take different tokens. */
let server: CqserverProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mbcli-service-tokens-'));
  emptyConfigHome = join(dir, 'empty-config-home');
  mkdirSync(emptyConfigHome);
  process.env['XDG_CONFIG_HOME'] = emptyConfigHome;
  server = await CqserverProcess.start([
    `--collector_token=${COLLECTOR_TOKEN}`,
    `--query_token=${QUERY_TOKEN}`,
  ]);
});
afterAll(async () => {
  await server?.stop();
  delete process.env['XDG_CONFIG_HOME'];
  rmSync(dir, { recursive: true, force: true });
});

/** `detectors set` (a collector call) of detector `id`. */
function setDetectorArgs(id: string, lat: string): string[] {
  return ['detectors', 'set', '--id', id, '--lat', lat, '--lon', '5.12142', ...server.hostFlags()];
}

/** The one line mbcli prints when the collector refuses the token it was sent. */
function collectorRefusal(): RegExp {
  return new RegExp(
    `^mbcli: the collector service at 127\\.0\\.0\\.1:${server.ports.collector} ` +
      'refused the token \\(.+\\); ' +
      'pass the right one with --collector_token \\(or MBCLI_COLLECTOR_TOKEN\\), ' +
      'or --token \\(or MBCLI_TOKEN\\) if both services take the same\\n$',
  );
}

describe('a deployment whose collector and query tokens differ', () => {
  it('takes a write and a read with --collector_token and --query_token', async () => {
    const tokenFlags = ['--collector_token', COLLECTOR_TOKEN, '--query_token', QUERY_TOKEN];
    const set = await mbcli([...setDetectorArgs('t1', '52.09073'), ...tokenFlags]);
    expect(set.error).toBeUndefined();
    const detectors = await mbcliJson<{ id: string; latitude: number }[]>([
      'detectors',
      'list',
      ...server.hostFlags(),
      ...tokenFlags,
    ]);
    expect(detectors.find((detector) => detector.id === 't1')?.latitude).toBe(52.09073);
  });

  it('with only the query token as --token, reads but the collector refuses a write', async () => {
    const set = await mbcli([...setDetectorArgs('t2', '52.1'), '--token', QUERY_TOKEN]);
    expect(set.error?.oclif?.exit).toBe(2);
    expect(set.stderr).toMatch(collectorRefusal());
    expect(set.stderr).not.toContain(QUERY_TOKEN);

    const detectors = await mbcliJson<{ id: string }[]>([
      'detectors',
      'list',
      ...server.hostFlags(),
      '--token',
      QUERY_TOKEN,
    ]);
    expect(detectors.map((detector) => detector.id)).not.toContain('t2');
  });

  it('--token fills in for the service whose own token is not given', async () => {
    const set = await mbcli([...setDetectorArgs('t3', '52.2'), '--token', COLLECTOR_TOKEN]);
    expect(set.error).toBeUndefined();
    const detectors = await mbcliJson<{ id: string }[]>([
      'detectors',
      'list',
      ...server.hostFlags(),
      '--token',
      COLLECTOR_TOKEN,
      '--query_token',
      QUERY_TOKEN,
    ]);
    expect(detectors.map((detector) => detector.id)).toContain('t3');
  });

  it('the executable takes the tokens from MBCLI_COLLECTOR_TOKEN and MBCLI_QUERY_TOKEN', () => {
    const env = {
      XDG_CONFIG_HOME: emptyConfigHome,
      MBCLI_COLLECTOR_TOKEN: COLLECTOR_TOKEN,
      MBCLI_QUERY_TOKEN: QUERY_TOKEN,
      MBCLI_TOKEN: 'wrong-for-both',
    };
    const set = mbcliProcess(setDetectorArgs('t4', '52.3'), env);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    const list = mbcliProcess(['detectors', 'list', '--json', ...server.hostFlags()], env);
    expect(list.status).toBe(0);
    expect(
      (JSON.parse(list.stdout) as { id: string }[]).map((detector) => detector.id),
    ).toContain('t4');
  });

  it('the executable takes them from the config file, the flag over the file', () => {
    const home = join(dir, 'tokens-home');
    mkdirSync(join(home, 'mbcli'), { recursive: true });
    writeFileSync(
      join(home, 'mbcli', 'config.yaml'),
      [
        `collector_host: 127.0.0.1:${server.ports.collector}`,
        `query_host: 127.0.0.1:${server.ports.query}`,
        'token: wrong-for-both',
        `collector_token: ${COLLECTOR_TOKEN}`,
        `query_token: ${QUERY_TOKEN}`,
      ].join('\n'),
    );
    const set = mbcliProcess(['detectors', 'set', '--id', 't5', '--lat', '52.4', '--lon', '5.1'], {
      XDG_CONFIG_HOME: home,
    });
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    const list = mbcliProcess(['detectors', 'list', '--json'], { XDG_CONFIG_HOME: home });
    expect(list.status).toBe(0);
    expect(
      (JSON.parse(list.stdout) as { id: string }[]).map((detector) => detector.id),
    ).toContain('t5');

    const overridden = mbcliProcess(
      ['detectors', 'set', '--id', 't6', '--lat', '52.5', '--lon', '5.1', '--collector_token', 'stale'],
      { XDG_CONFIG_HOME: home },
    );
    expect(overridden.status).toBe(2);
    expect(overridden.stderr).toMatch(collectorRefusal());
  });

  it('never prints a token, not even with --debug', () => {
    const tokenFlags = ['--collector_token', 'stale-c', '--query_token', QUERY_TOKEN];
    const run = mbcliProcess([...setDetectorArgs('t7', '52.6'), ...tokenFlags, '--debug'], {
      XDG_CONFIG_HOME: emptyConfigHome,
    });
    expect(run.status).not.toBe(0);
    const printed = run.stdout + run.stderr;
    expect(printed).toContain('refused the token');
    expect(printed).not.toMatch(/stale-c|q-secret|c-secret/);
  });
});

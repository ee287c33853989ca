import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CqserverProcess } from './cqserver-process';
import { startMbcliProcess } from './mbcli-process';
import { writeSteadyCorridor } from './steady-corridor';

// Each wait between sightings or refreshes once left an abort listener on the command's
// signal: from the 11th on, Node printed a MaxListenersExceededWarning on stderr. The
// real executable shows what an operator sees, so these runs want stderr empty.
describe('commands that wait many times, against a real cqserver', () => {
  let server: CqserverProcess;
  let dir: string;
  /** An empty config dir, so the operator's own ~/.config/mbcli cannot change what these tests see. */
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbcli-repeated-waits-'));
    env = { XDG_CONFIG_HOME: dir };
    server = await CqserverProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('traffic --rate waits before each of 50 random sightings with nothing on stderr', async () => {
    const run = await startMbcliProcess(
      ['traffic', '--detector_ids', 'w1', '--device_ids', 'dev-1', '--rate', '0.01', '--count', '50'].concat(
        server.hostFlags(),
      ),
      env,
    ).ended;
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.match(/^sighting at w1 /gm)).toHaveLength(50);
    expect(run.stdout).toMatch(/^sent 50 sightings in /m);
  });

  it('traffic --scenario at 600x waits before most sightings with nothing on stderr', async () => {
    const run = await startMbcliProcess(
      ['traffic', '--scenario', writeSteadyCorridor(dir), '--speed', '600', '--duration', '600', '--json'].concat(
        server.hostFlags(),
      ),
      env,
    ).ended;
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { sent: number };
    // Ten simulated minutes of the corridor are hundreds of sightings, far past the 10 listeners Node allows.
    expect(summary.sent).toBeGreaterThan(50);
  });

  it('traveltimes --watch refreshes 15 times, 1 s apart, with nothing on stderr', async () => {
    // --interval has a floor of 1 s: 14 waits, past the 11th that warned, in about 14 s.
    const run = await startMbcliProcess(
      ['traveltimes', '--watch', '--interval', '1', '--refreshes', '15', '--json'].concat(server.hostFlags()),
      env,
    ).ended;
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // One JSON array per refresh (holding whatever estimates the scenario above has led to).
    const tables = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(tables).toHaveLength(15);
    expect(tables.every((table) => Array.isArray(table))).toBe(true);
  }, 120_000);
});

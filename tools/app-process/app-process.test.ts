import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppProcess } from './app-process';

describe('AppProcess', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'app-process-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts a built app, reports its ports, and restarts it on the same data after SIGKILL', async () => {
    const cqserver = await AppProcess.start('cqserver', {
      args: [
        '--collector_port=127.0.0.1:0',
        '--query_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=',
        `--data_dir=${dataDir}`,
        '--log_level=info',
      ],
    });
    try {
      expect(Object.keys(cqserver.ports).sort()).toEqual(['collector', 'healthcheck', 'query']);
      expect(cqserver.address('collector')).toMatch(/^127\.0\.0\.1:\d+$/);
      const firstPid = cqserver.pid;
      await cqserver.kill();
      expect(cqserver.running).toBe(false);
      await cqserver.start();
      expect(cqserver.running).toBe(true);
      expect(cqserver.pid).not.toBe(firstPid);
      expect(cqserver.logLines.filter((line) => line['msg'] === 'ready')).toHaveLength(2);
    } finally {
      await cqserver.stop();
    }
  }, 60_000);

  it('passes nodeArgs to node itself: --cpu-prof writes a profile per process when the app stops', async () => {
    const profileDir = join(dataDir, 'profiles');
    const cqserver = await AppProcess.start('cqserver', {
      args: [
        '--collector_port=127.0.0.1:0',
        '--query_port=127.0.0.1:0',
        '--healthcheck_port=127.0.0.1:0',
        '--metrics_port=',
        `--data_dir=${join(dataDir, 'profiled')}`,
        '--workers=2',
      ],
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    });
    await cqserver.stop();
    // node:cluster starts the workers with the primary's node flags: one profile each.
    expect(readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'))).toHaveLength(3);
  }, 60_000);
});

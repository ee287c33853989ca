import { Config } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mbcli, mbcliJson } from './mbcli';

const appRoot = resolve(__dirname, '..');

/** mbcli's own commands as oclif loads them from dist, by id (`links:set`); plugins' commands are not ours. */
async function ownCommandIds(): Promise<string[]> {
  const config = await Config.load(appRoot);
  return config.commands
    .filter((command) => command.pluginName === config.name)
    .map((command) => command.id)
    .sort();
}

describe('--json', () => {
  it('every command of mbcli takes --json, and its help says so', async () => {
    const ids = await ownCommandIds();
    // The walk covers the commands there are, not a list that could fall behind.
    expect(ids).toEqual(expect.arrayContaining(['links:set', 'detectors:set', 'status:send', 'version']));
    expect(ids.length).toBeGreaterThanOrEqual(22);
    const without: string[] = [];
    for (const id of ids) {
      const { stdout } = await mbcli([...id.split(':'), '--help']);
      if (!/^\s+--json\s+Format output as json\.$/m.test(stdout)) without.push(id);
    }
    expect(without).toEqual([]);
  });

  it('version --json prints the version and commit as one JSON document', async () => {
    const { version } = JSON.parse(readFileSync(resolve(appRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await mbcliJson(['version'])).toEqual({ version, commit: expect.stringMatching(/^[0-9a-f]{7,}$/) });
  });
});

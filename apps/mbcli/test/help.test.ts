import { describe, expect, it } from 'vitest';
import { mbcli } from './mbcli';

const COMMANDS = [
  'events',
  'traffic',
  'links set',
  'links list',
  'detectors set',
  'detectors list',
  'status send',
  'health',
  'traveltimes',
  'traveltimes chart',
  'traveltimes recompute',
  'links delete',
  'import',
  'export events',
  'export traveltimes',
  'routes set',
  'routes list',
  'routes delete',
  'od',
  'reliability',
  'alerts',
];

describe('help', () => {
  it('mbcli --help lists an example of every command', async () => {
    const { stdout } = await mbcli(['--help']);
    const examples = stdout.slice(stdout.indexOf('EXAMPLES'));
    for (const command of COMMANDS) expect(examples).toContain(`$ mbcli ${command} `.trimEnd());
  });

  it.each(COMMANDS)("%s --help shows its examples and the original's global flags", async (command) => {
    const { stdout } = await mbcli([...command.split(' '), '--help']);
    expect(stdout).toMatch(new RegExp(`EXAMPLES\\n\\s+\\$ mbcli ${command}`));
    expect(stdout).toMatch(/--collector_host=<value>\s+\[default: 127\.0\.0\.1:9000, env: COLLECTOR_HOST\]/);
    expect(stdout).toMatch(/--query_host=<value>\s+\[default: 127\.0\.0\.1:8000, env: QUERY_HOST\]/);
  });
});

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const workspaceRoot = resolve(__dirname, '../../..');

describe('generated stubs', () => {
  // Regenerates from proto/ into a temp dir and compares, so stale stubs fail `npm test`.
  it('match what proto/ generates', () => {
    const check = spawnSync(process.execPath, ['tools/proto/generate.mjs', '--check'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    // buf plus prettier over every stub takes seconds, more on a busy 2-core machine.
  }, 120_000);
});

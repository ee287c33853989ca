import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const workspaceRoot = resolve(__dirname, '../..');

/** Whether git ignores `path` (relative to the workspace), as `git check-ignore` decides. */
function ignoredByGit(path: string): boolean {
  const result = spawnSync('git', ['check-ignore', '--quiet', '--no-index', path], { cwd: workspaceRoot });
  if (result.error) throw new Error(`git could not run: ${result.error.message}`);
  return result.status === 0;
}

describe('what a first start writes in the workspace', () => {
  it('is ignored by git: the embedded store and the generated privacy key in ./data', () => {
    // cqserver's default data_dir is ./data; `npm start` runs it from the workspace root.
    expect(['data/privacy.key', 'data/data.mdb'].filter((path) => !ignoredByGit(path))).toEqual([]);
  });

  it('ignores nothing that is source', () => {
    expect(ignoredByGit('libs/dashboard/src/index.ts')).toBe(false);
  });
});

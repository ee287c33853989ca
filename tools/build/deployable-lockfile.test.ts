import { describe, expect, it } from 'vitest';
import { deployableLockfile, type LockEntry } from './deployable-lockfile.mjs';

const registry = (name: string, version: string, more: LockEntry = {}) => ({
  version,
  resolved: `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`,
  integrity: `sha512-${name}-${version}`,
  ...more,
});

// A workspace where libs/a's code needs x@2 (nested under libs/a, since the root holds x@1
// for y), y needs x@1, y has an optional z, and w is only a dev tool of the workspace.
const workspaceLock = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'workspace', workspaces: ['libs/*'] },
    'libs/a': { name: '@scope/a', dependencies: { x: '^2.0.0', y: '^1.0.0' } },
    'libs/a/node_modules/x': registry('x', '2.0.0', { dependencies: { v: '^1.0.0' } }),
    'node_modules/@scope/a': { resolved: 'libs/a', link: true },
    'node_modules/x': registry('x', '1.0.0', { dev: true }),
    'node_modules/y': registry('y', '1.0.0', {
      dependencies: { x: '^1.0.0' },
      optionalDependencies: { z: '1.0.0' },
    }),
    'node_modules/z': registry('z', '1.0.0', { optional: true, os: ['linux'] }),
    'node_modules/v': registry('v', '1.0.0', { devOptional: true }),
    'node_modules/w': registry('w', '1.0.0', { dev: true }),
  },
};

describe('deployableLockfile', () => {
  const lock = deployableLockfile(
    workspaceLock,
    { name: 'app', version: '1.0.0', dependencies: { x: '2.0.0', y: '1.0.0' } },
    new Map([
      ['x', 'libs/a/node_modules/x'],
      ['y', 'node_modules/y'],
    ]),
  );

  it("places the code's own versions at the root and nests the others under what needs them", () => {
    expect(
      Object.fromEntries(Object.entries(lock.packages).map(([path, entry]) => [path, entry.version])),
    ).toEqual({
      '': '1.0.0',
      'node_modules/x': '2.0.0',
      'node_modules/y': '1.0.0',
      'node_modules/y/node_modules/x': '1.0.0',
      'node_modules/z': '1.0.0',
      'node_modules/v': '1.0.0',
    });
  });

  it("keeps each package's resolved and integrity, and works its flags out again for this tree", () => {
    expect(lock.packages['node_modules/y/node_modules/x']).toEqual(registry('x', '1.0.0'));
    expect(lock.packages['node_modules/v']).toEqual(registry('v', '1.0.0'));
    expect(lock.packages['node_modules/z']).toEqual(
      registry('z', '1.0.0', { os: ['linux'], optional: true }),
    );
    expect(lock).toMatchObject({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true });
  });

  it('refuses a package the workspace lock does not hold', () => {
    expect(() =>
      deployableLockfile(
        workspaceLock,
        { name: 'app', version: '1.0.0' },
        new Map([['q', 'node_modules/q']]),
      ),
    ).toThrow('node_modules/q is not in package-lock.json: run npm install');
  });
});

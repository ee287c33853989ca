import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const workspaceRoot = resolve(__dirname, '../..');

interface LockPackage {
  readonly hasInstallScript?: boolean;
}

/**
 * npm 11 runs no dependency's install script unless package.json's allowScripts says
 * so, and warns on every `npm ci` about each one it has not been told of. Each is
 * decided there: all are denied, since their packages ship what they need prebuilt
 * (esbuild's and buf's binaries, lmdb's and msgpackr's native parts in their platform
 * packages) and the rest only print or check versions.
 */
describe('install scripts of dependencies', () => {
  it('are each decided in package.json allowScripts, so npm ci warns of none', () => {
    const lock = JSON.parse(readFileSync(resolve(workspaceRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockPackage>;
    };
    const manifest = JSON.parse(readFileSync(resolve(workspaceRoot, 'package.json'), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => manifest.allowScripts?.[name] === undefined)).toEqual([]);
  });
});

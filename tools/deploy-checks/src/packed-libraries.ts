import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { workspaceRoot } from './workspace';

/** The libraries other teams import: folders under libs/, published as @message-bus/<folder>. */
export const publishableLibraries = [
  'domain',
  'repository',
  'store-kv',
  'store-etcd',
  'store-embedded',
  'proto',
] as const;

export type PublishableLibrary = (typeof publishableLibraries)[number];

/** What `npm pack --json` reports of one tarball. */
export interface PackedLibrary {
  readonly name: string;
  readonly filename: string;
  /** Bytes of the .tgz. */
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string }[];
}

export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeout = 60_000,
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout });
}

/**
 * Packs every publishable library (built by the Nx dependencies of this test) into
 * `destination` as it is published: through tools/build/pack-libraries.mjs, which gives
 * each tarball a package.json without the workspace's parts.
 */
export function packLibraries(destination: string): PackedLibrary[] {
  const script = join(workspaceRoot, 'tools/build/pack-libraries.mjs');
  const result = run(process.execPath, [script, '--json', destination, ...publishableLibraries], workspaceRoot, 120_000);
  if (result.status !== 0) throw new Error(`pack-libraries failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as PackedLibrary[];
}

/** The package.json inside a tarball `packLibraries` wrote to `destination`. */
export function packedManifest(destination: string, packed: PackedLibrary): Record<string, unknown> {
  const result = run('tar', ['-xzOf', join(destination, packed.filename), 'package/package.json'], destination);
  if (result.status !== 0) throw new Error(`cannot read package.json from ${packed.filename}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** The version of an npm package installed in the workspace, so the consumer gets the same one from the npm cache. */
export function installedVersion(name: string): string {
  const manifest = join(workspaceRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The library's source modules (tests excluded), relative to its src/, without the `.ts`. */
function sourceModules(library: PublishableLibrary): string[] {
  const source = join(workspaceRoot, 'libs', library, 'src');
  return readdirSync(source, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'))
    .map((path) => path.slice(0, -'.ts'.length));
}

/**
 * Exactly what a consumer needs: package.json, README.md, and for each source module its
 * TypeScript source (tests excluded), JavaScript, declarations and their maps. The source
 * ships so the maps and the workspace's `@message-bus/source` export condition point at
 * files inside the tarball. A test, a tsbuildinfo or the output of a module since deleted
 * would be an extra entry.
 */
export function expectedPackageFiles(library: PublishableLibrary): string[] {
  const modules = sourceModules(library);
  const compiled = modules.flatMap((module) =>
    ['.js', '.js.map', '.d.ts', '.d.ts.map'].map((extension) => `dist/${module}${extension}`),
  );
  return ['README.md', 'package.json', ...modules.map((module) => `src/${module}.ts`), ...compiled].sort();
}

/** Each source a packed map names that is not in the tarball, as `map -> source`. */
export function mapSourcesOutsideTarball(library: PublishableLibrary, packed: PackedLibrary): string[] {
  const libraryRoot = join(workspaceRoot, 'libs', library);
  const shipped = new Set(packed.files.map((file) => file.path));
  return [...shipped]
    .filter((path) => path.endsWith('.map'))
    .flatMap((mapPath) => {
      const map = JSON.parse(readFileSync(join(libraryRoot, mapPath), 'utf8')) as { sources: string[] };
      return map.sources
        .map((source) => relative(libraryRoot, join(libraryRoot, dirname(mapPath), source)))
        .filter((source) => !shipped.has(source))
        .map((source) => `${mapPath} -> ${source}`);
    });
}

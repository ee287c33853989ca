#!/usr/bin/env node
// Builds one app into a runnable, deployable folder: `<app>/dist/main.js` (the app and
// every workspace lib it uses, bundled from their TypeScript sources),
// `<app>/dist/package.json` naming the npm packages the bundle still requires, at the
// versions its code resolves here, `<app>/dist/package-lock.json` pinning them and their
// dependencies as the workspace's package-lock.json does (deployable-lockfile.mjs), and
// `<app>/dist/health-probe.mjs` (the image's HEALTHCHECK). `npm ci --omit=dev` in that
// folder is all a machine (or an image) needs; lmdb and the other packages with native
// parts stay outside the bundle.
//
//   node tools/build/bundle-app.mjs            run from an app's folder (its `build` script)
//   ... --assets <dir>=<name>                 also copy <dir> (relative to the app) to dist/<name>,
//                                              e.g. the dashboard's built pages (repeatable)
//
// The version and git commit are baked in as MESSAGE_BUS_VERSION / MESSAGE_BUS_COMMIT.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import process from 'node:process';
import * as esbuild from 'esbuild';
import { deployableLockfile } from './deployable-lockfile.mjs';

const appDir = process.cwd();
const workspaceRoot = resolve(import.meta.dirname, '../..');
const outDir = join(appDir, 'dist');
const appPackage = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));

/** `--assets <dir>=<name>` pairs: built files (not code) the app serves from next to main.js. */
function assetCopies(args) {
  const copies = [];
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] !== '--assets')
      throw new Error(`unknown argument ${args[index]} (expected --assets <dir>=<name>)`);
    const [from, name] = (args[index + 1] ?? '').split('=');
    if (!from || !name || name.includes('/') || name.startsWith('.')) {
      throw new Error('--assets needs <dir relative to the app>=<folder name in dist>');
    }
    copies.push({ from: resolve(appDir, from), name });
    index += 1;
  }
  return copies;
}
const assets = assetCopies(process.argv.slice(2));
for (const { from } of assets) {
  // A missing folder means its build did not run (the Nx target dependsOn it): fail, not ship without it.
  if (!existsSync(from)) throw new Error(`--assets: ${from} does not exist; build it first`);
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** The package an import specifier names: `@scope/name` or `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * Keeps npm packages out of the bundle and records which ones the bundle requires, each
 * with the folders of the files that import it (where its version is resolved).
 */
function externalNpmPackages(required) {
  return {
    name: 'external-npm-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || args.path.startsWith('@message-bus/')) return undefined;
        const name = packageName(args.path);
        if (!isBuiltin(name)) required.set(name, (required.get(name) ?? new Set()).add(args.resolveDir));
        return { path: args.path, external: true };
      });
    },
  };
}

const builtins = new Set(
  (await import('node:module')).builtinModules.flatMap((name) => [name, name.split('/')[0]]),
);
function isBuiltin(name) {
  return builtins.has(name);
}

/** The folder Node loads package `name` from, for a file in `directory`: the nearest node_modules up. */
function installedFolder(directory, name) {
  for (let base = directory; ; base = dirname(base)) {
    const folder = join(base, 'node_modules', name);
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (base === workspaceRoot || dirname(base) === base)
      throw new Error(`${name} is not installed: run npm ci`);
  }
}

const workspaceLock = JSON.parse(readFileSync(join(workspaceRoot, 'package-lock.json'), 'utf8'));

/**
 * The workspace lock's path of the one package `name` that every importer resolves (e.g.
 * `libs/server-kit/node_modules/@grpc/proto-loader`, not the root's other version). The
 * deployable has one node_modules, so importers that resolve different versions fail the build.
 */
function lockPath(name, importerDirectories) {
  const paths = [...importerDirectories].map((directory) =>
    relative(workspaceRoot, installedFolder(directory, name)).split(sep).join('/'),
  );
  const byVersion = new Map(paths.map((path) => [workspaceLock.packages[path]?.version, path]));
  if (byVersion.size > 1) {
    throw new Error(
      `the bundle's code resolves ${name} at different versions: ${paths.join(', ')}; align them`,
    );
  }
  const [[version, path]] = byVersion;
  const installed = JSON.parse(readFileSync(join(workspaceRoot, path, 'package.json'), 'utf8')).version;
  if (version !== installed) {
    throw new Error(`${path} is ${installed} but package-lock.json says ${version ?? 'nothing'}: run npm ci`);
  }
  return path;
}

const required = new Map();
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const version = appPackage.version;
const commit = gitCommit();
await esbuild.build({
  entryPoints: [join(appDir, 'src/main.ts')],
  outfile: join(outDir, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  conditions: ['@message-bus/source'],
  plugins: [externalNpmPackages(required)],
  define: {
    'process.env.MESSAGE_BUS_VERSION': JSON.stringify(version),
    'process.env.MESSAGE_BUS_COMMIT': JSON.stringify(commit),
  },
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});

for (const { from, name } of assets) cpSync(from, join(outDir, name), { recursive: true });
cpSync(join(import.meta.dirname, 'health-probe.mjs'), join(outDir, 'health-probe.mjs'));

const sources = new Map([...required].map(([name, importers]) => [name, lockPath(name, importers)]));
const dependencies = Object.fromEntries(
  [...sources.keys()].sort().map((name) => [name, workspaceLock.packages[sources.get(name)].version]),
);
// The workspace's overrides (a transitive version kept for Node 20) and its decisions on
// dependencies' install scripts hold in the deployable too.
const { overrides, allowScripts } = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
const deployable = {
  name: appPackage.name,
  version,
  private: true,
  description: appPackage.description,
  main: 'main.js',
  bin: { [basename(appDir)]: 'main.js' },
  engines: { node: '>=20.19' },
  dependencies,
  ...(overrides === undefined ? {} : { overrides }),
  ...(allowScripts === undefined ? {} : { allowScripts }),
};
writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(deployable, null, 2)}\n`);
const lockfile = deployableLockfile(
  workspaceLock,
  { name: deployable.name, version, dependencies, bin: deployable.bin, engines: deployable.engines },
  sources,
);
writeFileSync(join(outDir, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
process.stdout.write(
  `built ${appPackage.name} ${version} (${commit}) into ${outDir}; requires ${Object.keys(dependencies).join(', ') || 'nothing'}\n`,
);

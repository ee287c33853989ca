#!/usr/bin/env node
// Builds one app into a runnable, deployable folder: `<app>/dist/main.js` (the app and
// every workspace lib it uses, bundled from their TypeScript sources) and
// `<app>/dist/package.json` naming the npm packages the bundle still requires, at the
// versions installed here. `npm install --omit=dev` in that folder is all a machine (or
// an image) needs; lmdb and the other packages with native parts stay outside the bundle.
//
//   node tools/build/bundle-app.mjs            run from an app's folder (its `build` script)
//   ... --assets <dir>=<name>                 also copy <dir> (relative to the app) to dist/<name>,
//                                              e.g. the dashboard's built pages (repeatable)
//
// The version and git commit are baked in as MESSAGE_BUS_VERSION / MESSAGE_BUS_COMMIT.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import process from 'node:process';
import * as esbuild from 'esbuild';

const appDir = process.cwd();
const workspaceRoot = resolve(import.meta.dirname, '../..');
const outDir = join(appDir, 'dist');
const appPackage = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));

/** `--assets <dir>=<name>` pairs: built files (not code) the app serves from next to main.js. */
function assetCopies(args) {
  const copies = [];
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] !== '--assets') throw new Error(`unknown argument ${args[index]} (expected --assets <dir>=<name>)`);
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
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: workspaceRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The package an import specifier names: `@scope/name` or `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Keeps npm packages out of the bundle and records which ones the bundle requires. */
function externalNpmPackages(required) {
  return {
    name: 'external-npm-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || args.path.startsWith('@message-bus/')) return undefined;
        const name = packageName(args.path);
        if (!isBuiltin(name)) required.add(name);
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

function installedVersion(name) {
  const manifest = join(workspaceRoot, 'node_modules', name, 'package.json');
  return JSON.parse(readFileSync(manifest, 'utf8')).version;
}

const required = new Set();
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

const dependencies = Object.fromEntries([...required].sort().map((name) => [name, installedVersion(name)]));
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
process.stdout.write(
  `built ${appPackage.name} ${version} (${commit}) into ${outDir}; requires ${Object.keys(dependencies).join(', ') || 'nothing'}\n`,
);

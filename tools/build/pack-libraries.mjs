#!/usr/bin/env node
// Packs the libraries other teams import into npm tarballs, as they are published:
//
//   node tools/build/pack-libraries.mjs [--json] <destination> [library ...]   (default: all six)
//
// Each library must be built first (`npx nx run-many -t build -p <libraries>`; the root
// `npm run pack:libraries` does both). A workspace package.json serves the workspace: a
// `@message-bus/source` export condition so tests and bundles read the TypeScript source,
// scripts and an `nx` block. None of that means anything to a consumer, so each library is
// staged in a temporary folder with exactly the files `npm pack` would take from the
// workspace (its `files` list: the compiled dist, the source its maps point to, the README)
// and a package.json without them, and packed from there. Prints each tarball's path, or
// with --json the report of `npm pack --json`.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';

const PUBLISHABLE_LIBRARIES = ['domain', 'repository', 'store-kv', 'store-etcd', 'store-embedded', 'proto'];

/** The condition through which the workspace resolves a library to its TypeScript source. */
const WORKSPACE_SOURCE_CONDITION = '@message-bus/source';
/** Keys of a workspace package.json that only the workspace reads. */
const WORKSPACE_ONLY_KEYS = ['scripts', 'nx', 'devDependencies'];

const workspaceRoot = resolve(import.meta.dirname, '../..');

/** The package.json a consumer receives: the workspace one without its workspace-only parts. */
function publishedManifest(manifest) {
  const published = Object.fromEntries(
    Object.entries(manifest).filter(([key]) => !WORKSPACE_ONLY_KEYS.includes(key)),
  );
  if (manifest.exports !== undefined) {
    published.exports = Object.fromEntries(
      Object.entries(manifest.exports).map(([subpath, conditions]) => [
        subpath,
        typeof conditions === 'string'
          ? conditions
          : Object.fromEntries(
              Object.entries(conditions).filter(([condition]) => condition !== WORKSPACE_SOURCE_CONDITION),
            ),
      ]),
    );
  }
  return published;
}

/** The files `npm pack` takes from the workspace folder (package.json aside), from its own dry run. */
function packedFiles(libraryDir) {
  const [report] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: libraryDir, encoding: 'utf8' }),
  );
  return report.files.map((file) => file.path).filter((path) => path !== 'package.json');
}

function packLibrary(library, destination, stagingRoot) {
  const libraryDir = join(workspaceRoot, 'libs', library);
  const stage = join(stagingRoot, library);
  mkdirSync(stage);
  for (const path of packedFiles(libraryDir)) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(join(libraryDir, path), join(stage, path));
  }
  const manifest = JSON.parse(readFileSync(join(libraryDir, 'package.json'), 'utf8'));
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(publishedManifest(manifest), null, 2)}\n`);
  const [report] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], {
      cwd: stage,
      encoding: 'utf8',
    }),
  );
  return report;
}

function main(args) {
  const json = args[0] === '--json';
  const [destinationArgument, ...requested] = json ? args.slice(1) : args;
  if (destinationArgument === undefined) {
    throw new Error('usage: pack-libraries.mjs [--json] <destination> [library ...]');
  }
  const unknown = requested.filter((library) => !PUBLISHABLE_LIBRARIES.includes(library));
  if (unknown.length > 0) {
    throw new Error(`not a published library: ${unknown.join(', ')} (they are ${PUBLISHABLE_LIBRARIES.join(', ')})`);
  }
  const destination = resolve(destinationArgument);
  mkdirSync(destination, { recursive: true });
  const stagingRoot = mkdtempSync(join(tmpdir(), 'message-bus-pack-'));
  try {
    const libraries = requested.length > 0 ? requested : PUBLISHABLE_LIBRARIES;
    const reports = libraries.map((library) => packLibrary(library, destination, stagingRoot));
    process.stdout.write(
      json
        ? `${JSON.stringify(reports, null, 2)}\n`
        : reports.map((report) => `${join(destination, report.filename)}\n`).join(''),
    );
  } finally {
    rmSync(stagingRoot, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`pack-libraries: ${error.message}\n`);
    process.exitCode = 1;
  }
}

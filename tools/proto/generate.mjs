#!/usr/bin/env node
// Generates the ts-proto stubs in libs/proto/src/generated from proto/*.proto with buf
// (proto/buf.gen.yaml) and the local ts-proto plugin. Offline: buf has the well-known
// types built in and the plugin comes from node_modules.
//
//   node tools/proto/generate.mjs           regenerate the committed stubs
//   node tools/proto/generate.mjs --check   regenerate into a temp dir and exit 1, listing
//                                           each file that is missing, extra or changed
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Must match `out` in proto/buf.gen.yaml. */
const generatedDir = 'libs/proto/src/generated';
const bufCli = createRequire(import.meta.url).resolve('@bufbuild/buf/bin/buf');

/** Runs buf generate with `outputBase` prefixed to the template's `out`. */
function runBufGenerate(outputBase) {
  const args = ['generate', 'proto', '--template', 'proto/buf.gen.yaml', '--output', outputBase];
  const result = spawnSync(process.execPath, [bufCli, ...args], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`buf ${args.join(' ')} exited with status ${result.status}`);
  }
}

/** Paths of every file under `dir`, relative to it and sorted; empty if `dir` is absent. */
async function listFiles(dir) {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      .sort();
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Formats the stubs with the workspace's Prettier settings, as if they lived at
 * `generatedDir`, so that `npm run format` leaves committed stubs unchanged.
 */
async function formatLikeWorkspace(dir) {
  for (const file of await listFiles(dir)) {
    const path = join(dir, file);
    const pathInWorkspace = join(workspaceRoot, generatedDir, file);
    const options = await prettier.resolveConfig(pathInWorkspace);
    const source = await readFile(path, 'utf8');
    await writeFile(path, await prettier.format(source, { ...options, filepath: pathInWorkspace }));
  }
}

/** Differences between the fresh stubs and the committed ones, one line per file. */
async function compareTrees(freshDir, committedDir) {
  const fresh = await listFiles(freshDir);
  const committed = await listFiles(committedDir);
  const differences = [];
  for (const file of fresh) {
    if (!committed.includes(file)) {
      differences.push(`missing: ${file}`);
    } else {
      const [freshText, committedText] = await Promise.all([
        readFile(join(freshDir, file), 'utf8'),
        readFile(join(committedDir, file), 'utf8'),
      ]);
      if (freshText !== committedText) differences.push(`changed: ${file}`);
    }
  }
  for (const file of committed) {
    if (!fresh.includes(file)) differences.push(`extra: ${file}`);
  }
  return differences;
}

async function main(args) {
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    throw new Error(`unknown argument ${unknown.join(' ')}; usage: generate.mjs [--check]`);
  }
  const check = args.includes('--check');
  const outputBase = await mkdtemp(join(tmpdir(), 'message-bus-proto-'));
  try {
    runBufGenerate(outputBase);
    const freshDir = join(outputBase, generatedDir);
    await formatLikeWorkspace(freshDir);
    const committedDir = join(workspaceRoot, generatedDir);
    if (check) {
      const differences = await compareTrees(freshDir, committedDir);
      if (differences.length > 0) {
        process.stderr.write(`${generatedDir} is stale; run \`npm run proto\` and commit the result:\n`);
        for (const line of differences) process.stderr.write(`  ${line}\n`);
        return 1;
      }
      process.stdout.write(`${generatedDir} is up to date with proto/.\n`);
      return 0;
    }
    // Replace the whole directory so stubs of deleted protos do not linger.
    await rm(committedDir, { recursive: true, force: true });
    await cp(freshDir, committedDir, { recursive: true });
    process.stdout.write(`Generated ${generatedDir} from proto/.\n`);
    return 0;
  } finally {
    await rm(outputBase, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error) => {
    process.stderr.write(`proto generation failed: ${error.message}\n`);
    process.exitCode = 2;
  },
);

#!/usr/bin/env node
// Runs benchmark suites. A suite is one entry module, tools/bench/src/<suite>.ts, with
// its parts in tools/bench/src/<suite>/. This bundles the entry with esbuild (workspace
// libs from their TypeScript sources, npm packages left external), runs the bundle with
// node from the workspace root, and removes it.
//
//   node tools/bench/run.mjs <suite>|all [--cpu-prof] [suite options]
//   npm run bench:store -- --smoke
//   npm run bench:store -- --cpu-prof      a V8 CPU profile in bench-results/profiles/
//   node tools/bench/run.mjs products --lab [--trace <target>]
//                                          the congestion-alert lab (src/products/congestion-lab.ts)
//
// Suite options (--smoke, --rounds, --out-dir) are described in src/bench-args.ts; a
// relative --out-dir is relative to the workspace root.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import * as esbuild from 'esbuild';

/** Every suite, in the order `all` runs them. */
const suites = ['store', 'traveltime', 'e2e'];
/**
 * Runs built the same way but never part of `all`: the soak takes ten minutes by default;
 * starvation measures one burst against one server, not speed against a baseline;
 * products scores issue 18's traffic products against ground truth over simulated weeks
 * (about half an hour), not speed; dashboard needs Debian's Chromium (/usr/bin/chromium);
 * capacity measures storage per sighting and a 3-member cluster's ingest (about 7
 * minutes) for docs/capacity.md, not speed against a baseline.
 */
const standalone = ['soak', 'starvation', 'products', 'dashboard', 'capacity'];

const workspaceRoot = resolve(import.meta.dirname, '../..');

/** Workspace packages are bundled from source; npm packages are required at run time. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@message-bus/') ? undefined : { path: args.path, external: true },
    );
  },
};

const [target, ...rest] = process.argv.slice(2);
if (target === undefined || (target !== 'all' && !suites.includes(target) && !standalone.includes(target))) {
  process.stderr.write(
    `usage: node tools/bench/run.mjs <${[...suites, 'all', ...standalone].join('|')}> [--cpu-prof] [suite options]\n`,
  );
  process.exit(2);
}
const cpuProfile = rest.includes('--cpu-prof');
// The products suite's congestion lab: its own entry, the same plan in memory in minutes.
const lab = target === 'products' && rest.includes('--lab');
const suiteArgs = rest.filter((arg) => arg !== '--cpu-prof' && arg !== '--lab');

for (const suite of target === 'all' ? suites : [target]) {
  const exitCode = await runSuite(suite);
  if (exitCode !== 0) {
    process.stderr.write(`bench: suite ${suite} failed (exit code ${exitCode})\n`);
    process.exitCode = exitCode;
    break;
  }
}

/** Bundles and runs one suite; resolves to its exit code. */
async function runSuite(suite) {
  // Inside the workspace, so the bundle's require() of npm packages finds node_modules.
  mkdirSync(join(workspaceRoot, 'tmp'), { recursive: true });
  const buildDir = mkdtempSync(join(workspaceRoot, 'tmp', `bench-${suite}-`));
  try {
    const bundle = join(buildDir, `${suite}.cjs`);
    await esbuild.build({
      entryPoints: [
        join(import.meta.dirname, 'src', lab ? 'products/congestion-lab-main.ts' : `${suite}.ts`),
      ],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'inline',
      conditions: ['@message-bus/source'],
      plugins: [externalNpmPackages],
      logLevel: 'warning',
    });
    const nodeArgs = [
      '--enable-source-maps',
      ...(cpuProfile
        ? ['--cpu-prof', `--cpu-prof-dir=${join(workspaceRoot, 'bench-results', 'profiles')}`]
        : []),
    ];
    return await runNode([...nodeArgs, bundle, ...suiteArgs]);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

function runNode(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: workspaceRoot, stdio: 'inherit' });
    // Pass a stop request on, so the suite removes its etcd and temp files before exiting.
    const forward = (signal) => child.kill(signal);
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const name of ['SIGINT', 'SIGTERM']) process.off(name, forward);
      resolvePromise(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

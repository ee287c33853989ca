// The end-to-end benchmark's entry point: `npm run bench:e2e [-- --smoke --rounds 5 --out-dir dir
// --server-cpu-prof --skip-build]`. Builds cqserver (unless --skip-build), prints the table on
// stdout, progress on stderr, and writes <out-dir>/e2e.json and e2e.md. Started again with
// --load-generator, the same bundle is the suite's load generator process.
import { resolve } from 'node:path';
import { benchUsage, parseBenchArgs, runBenchMain } from './bench-args';
import { buildCqserver } from './e2e/cqserver-under-test';
import { runE2eSuite } from './e2e/e2e-suite';
import { LOAD_GENERATOR_FLAG, serveLoadGenerator } from './e2e/load-generator';
import { formatTable, writeReport } from './report';

const e2eUsage = `${benchUsage}
  --server-cpu-prof  each cqserver writes a V8 CPU profile into bench-results/profiles/
  --skip-build       use apps/cqserver/dist/main.js as it is (default: nx run cqserver:build first)`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const ownFlags = ['--server-cpu-prof', '--skip-build'];
  const args = parseBenchArgs(argv.filter((arg) => !ownFlags.includes(arg)));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (!argv.includes('--skip-build')) {
    buildCqserver(log);
  }
  const report = await runE2eSuite({
    smoke: args.smoke,
    rounds: args.rounds,
    log,
    ...(argv.includes('--server-cpu-prof')
      ? { serverCpuProfileDir: resolve('bench-results', 'profiles') }
      : {}),
  });
  process.stdout.write(formatTable(report));
  const files = await writeReport(report, args.outDir);
  log(`wrote ${files.json} and ${files.markdown}`);
}

if (process.argv.includes(LOAD_GENERATOR_FLAG)) {
  serveLoadGenerator();
} else {
  runBenchMain('bench e2e', e2eUsage, main);
}

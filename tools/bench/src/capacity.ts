// The capacity suite's entry point: `npm run bench:capacity [-- --smoke --out-dir dir]`. Uses the
// built cqserver (apps/cqserver/dist/main.js) as it is; prints the table on stdout, progress on
// stderr, and writes <out-dir>/capacity.json and capacity.md. Started again with --load-generator,
// the same bundle is the suite's load generator process (the e2e suite's).
import { BenchUsageError, benchUsage, parseBenchArgs, runBenchMain } from './bench-args';
import { runCapacitySuite } from './capacity/capacity-suite';
import { LOAD_GENERATOR_FLAG, serveLoadGenerator } from './e2e/load-generator';
import { formatTable, writeReport } from './report';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.rounds !== undefined) {
    throw new BenchUsageError(
      '--rounds: the capacity suite runs each contender for a time, not a number of rounds',
    );
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await runCapacitySuite({ smoke: args.smoke, log });
  process.stdout.write(formatTable(report));
  const files = await writeReport(report, args.outDir);
  log(`wrote ${files.json} and ${files.markdown}`);
}

if (process.argv.includes(LOAD_GENERATOR_FLAG)) {
  serveLoadGenerator();
} else {
  runBenchMain('bench capacity', benchUsage, main);
}

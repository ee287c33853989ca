// The storage benchmark's entry point: `npm run bench:store [-- --smoke --rounds 5 --out-dir dir]`.
// Prints the table on stdout, progress on stderr, and writes <out-dir>/store.json and store.md.
import { benchUsage, parseBenchArgs, runBenchMain } from './bench-args';
import { formatTable, writeReport } from './report';
import { runStoreSuite } from './store/store-suite';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await runStoreSuite({ smoke: args.smoke, rounds: args.rounds, log });
  process.stdout.write(formatTable(report));
  const files = await writeReport(report, args.outDir);
  log(`wrote ${files.json} and ${files.markdown}`);
}

runBenchMain('bench store', benchUsage, main);

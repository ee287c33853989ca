// The travel-time benchmark's entry point: `npm run bench:traveltime [-- --smoke --rounds 3 --out-dir dir]`.
// Prints the table on stdout, progress on stderr, and writes <out-dir>/traveltime.json and traveltime.md.
import { benchUsage, parseBenchArgs, runBenchMain } from './bench-args';
import { formatTable, writeReport } from './report';
import { runTravelTimeSuite } from './traveltime/traveltime-suite';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await runTravelTimeSuite({ smoke: args.smoke, rounds: args.rounds, log });
  process.stdout.write(formatTable(report));
  const files = await writeReport(report, args.outDir);
  log(`wrote ${files.json} and ${files.markdown}`);
}

runBenchMain('bench traveltime', benchUsage, main);

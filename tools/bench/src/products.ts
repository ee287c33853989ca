// The traffic-products benchmark's entry point: `npm run bench:products [-- --smoke --out-dir dir]`.
// Prints the table on stdout, progress on stderr, and writes <out-dir>/products.json and products.md.
import { benchUsage, parseBenchArgs, runBenchMain } from './bench-args';
import { runProductsSuite } from './products/products-suite';
import { formatTable, writeReport } from './report';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await runProductsSuite({ quick: args.smoke, log });
  process.stdout.write(formatTable(report));
  const files = await writeReport(report, args.outDir);
  log(`wrote ${files.json} and ${files.markdown}`);
}

runBenchMain('bench products', benchUsage, main);

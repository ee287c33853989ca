// The dashboard benchmark's entry point: `node tools/bench/run.mjs dashboard [--smoke --rounds 5
// --out-dir dir --skip-build]`. Builds the pages (unless --skip-build; nx run dashboard-web:build),
// measures them in Debian's headless Chromium (/usr/bin/chromium), prints the table on stdout,
// progress on stderr, and writes <out-dir>/dashboard.json and dashboard.md.
import { execFileSync } from 'node:child_process';
import { benchUsage, parseBenchArgs, runBenchMain } from './bench-args';
import { runDashboardSuite } from './dashboard/dashboard-suite';
import { formatTable, writeReport } from './report';

const dashboardUsage = `${benchUsage}
  --skip-build       use libs/dashboard-web/dist as it is (default: nx run dashboard-web:build first)`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseBenchArgs(argv.filter((arg) => arg !== '--skip-build'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (!argv.includes('--skip-build')) {
    log('building the pages (npx nx run dashboard-web:build)');
    execFileSync('npx', ['nx', 'run', 'dashboard-web:build', '--outputStyle=static'], {
      stdio: ['ignore', process.stderr, process.stderr],
    });
  }
  const report = await runDashboardSuite({ smoke: args.smoke, rounds: args.rounds, log });
  process.stdout.write(formatTable(report));
  const files = await writeReport(report, args.outDir);
  log(`wrote ${files.json} and ${files.markdown}`);
}

runBenchMain('bench dashboard', dashboardUsage, main);

// The starvation benchmark (issue 16, item 2): `npm run bench:starvation [-- --smoke --out-dir dir
// --skip-build]`. Builds cqserver (unless --skip-build), runs one burst of cancelled StreamEvents
// and big GetEvents against it while probing health and ingest, prints the table on stdout,
// progress on stderr, and writes <out-dir>/starvation.json and starvation.md. In a worker
// thread, the same bundle is the probe thread.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';
import { benchUsage, parseBenchArgs, runBenchMain } from './bench-args';
import { buildCqserver } from './e2e/cqserver-under-test';
import { PROBE_ROLE, runProbes, type ProbeTargets } from './starvation/probes';
import { starvationRows, formatStarvationTable } from './starvation/starvation-report';
import { FULL_SIZES, runStarvation, SMOKE_SIZES } from './starvation/starvation-run';

const starvationUsage = `${benchUsage}
  --skip-build       use apps/cqserver/dist/main.js as it is (default: nx run cqserver:build first)`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseBenchArgs(argv.filter((arg) => arg !== '--skip-build'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (!argv.includes('--skip-build')) buildCqserver(log);
  const result = await runStarvation(args.smoke ? SMOKE_SIZES : FULL_SIZES, __filename, log);
  const rows = starvationRows(result);
  const table = formatStarvationTable(rows, result);
  process.stdout.write(table);
  await mkdir(args.outDir, { recursive: true });
  const { probes, ...summary } = result;
  const json = join(args.outDir, 'starvation.json');
  const markdown = join(args.outDir, 'starvation.md');
  await writeFile(
    json,
    `${JSON.stringify({ ...summary, probeCount: probes.healthMs.length, rows }, null, 2)}\n`,
  );
  await writeFile(markdown, table);
  log(`wrote ${json} and ${markdown}`);
}

const role = (workerData as { role?: string; targets?: ProbeTargets } | null)?.role;
if (!isMainThread && role === PROBE_ROLE) {
  runProbes((workerData as { targets: ProbeTargets }).targets);
} else {
  runBenchMain('bench starvation', starvationUsage, main);
}

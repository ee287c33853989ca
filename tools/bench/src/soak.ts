// The soak's entry point: `npm run soak [-- --minutes 10 --store embedded|etcd --rate <sightings/s>
// --probe-seconds 20 --sample-seconds 5 --out-dir dir --skip-build]`. Builds cqserver (unless
// --skip-build), prints a summary on stdout, samples on stderr, and writes <out-dir>/soak.json and
// soak.md. Started again with --load-generator, the same bundle is the soak's load generator.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBenchMain } from './bench-args';
import { buildCqserver } from './e2e/cqserver-under-test';
import { LOAD_GENERATOR_FLAG, serveLoadGenerator } from './e2e/load-generator';
import { formatSoakSummary, writeSoakReport } from './soak/soak-report';
import { runSoak, type SoakOptions } from './soak/soak-run';

const usage = `usage: npm run soak -- [options]
  --minutes <n>         how long to soak; default 10
  --store <name>        embedded (default) or etcd
  --rate <n>            sightings per second; default half the maximum measured first
  --probe-seconds <n>   how long the maximum is measured; default 20
  --sample-seconds <n>  how often RSS and event-loop lag are sampled; default 5
  --out-dir <dir>       where soak.json and soak.md are written; default bench-results
  --skip-build          use apps/cqserver/dist/main.js as it is (default: nx run cqserver:build first)`;

class UsageError extends Error {}

function parseSoakArgs(argv: readonly string[]): Omit<SoakOptions, 'log'> & {
  readonly outDir: string;
  readonly skipBuild: boolean;
} {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        minutes: { type: 'string', default: '10' },
        store: { type: 'string', default: 'embedded' },
        rate: { type: 'string' },
        'probe-seconds': { type: 'string', default: '20' },
        'sample-seconds': { type: 'string', default: '5' },
        'out-dir': { type: 'string', default: 'bench-results' },
        'skip-build': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const positive = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0)
      throw new UsageError(`--${name}: "${text}" is not a number > 0`);
    return value;
  };
  if (values.store !== 'embedded' && values.store !== 'etcd') {
    throw new UsageError(`--store: "${values.store}" is neither embedded nor etcd`);
  }
  return {
    store: values.store,
    minutes: positive('minutes', values.minutes),
    ...(values.rate === undefined ? {} : { rate: positive('rate', values.rate) }),
    probeSeconds: positive('probe-seconds', values['probe-seconds']),
    sampleSeconds: positive('sample-seconds', values['sample-seconds']),
    outDir: resolve(values['out-dir']),
    skipBuild: values['skip-build'],
  };
}

async function main(): Promise<void> {
  const args = parseSoakArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (!args.skipBuild) {
    buildCqserver(log);
  }
  const report = await runSoak({ ...args, log });
  process.stdout.write(formatSoakSummary(report));
  const files = await writeSoakReport(report, args.outDir);
  log(`wrote ${files.json} and ${files.markdown}`);
  // What was acknowledged must be stored; a trend is for the reader to judge on a shared machine.
  if (!report.verdicts.countsEqual) process.exitCode = 1;
}

if (process.argv.includes(LOAD_GENERATOR_FLAG)) {
  serveLoadGenerator();
} else {
  runBenchMain('soak', usage, main, UsageError);
}

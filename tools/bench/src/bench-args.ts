import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** What every suite's command line accepts. */
export interface BenchArgs {
  /** Tiny sizes and one round: proves the suite runs, measures nothing. */
  readonly smoke: boolean;
  /** Where `<suite>.json` and `<suite>.md` go; absolute. */
  readonly outDir: string;
  /** Recorded rounds, overriding the suite's default. */
  readonly rounds: number | undefined;
}

export const benchUsage = `options:
  --smoke            tiny sizes, one round: checks the bench works, its numbers mean nothing
  --rounds <n>       recorded rounds (each after one warm-up round); default: the suite's
  --out-dir <dir>    where <suite>.json and <suite>.md are written; default: bench-results`;

/** A command line a suite cannot run with; its message names the argument and why. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/** Parses a suite's arguments; throws `BenchUsageError` naming the bad argument. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        smoke: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        'out-dir': { type: 'string', default: 'bench-results' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  let rounds: number | undefined;
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) {
      throw new BenchUsageError(`--rounds: "${values.rounds}" is not a whole number ≥ 1`);
    }
  }
  return { smoke: values.smoke, outDir: resolve(values['out-dir']), rounds };
}

/**
 * Runs a suite's `main`; a failure prints one line, `<name>: ` and the message (with
 * `usage` after a bad argument, a `usageError`; else the stack), and sets exit code 1.
 */
export function runBenchMain(
  name: string,
  usage: string,
  main: () => Promise<void>,
  usageError: abstract new (...args: never[]) => Error = BenchUsageError,
): void {
  main().catch((error: unknown) => {
    const message =
      error instanceof usageError
        ? `${error.message}\n${usage}`
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`${name}: ${message}\n`);
    process.exitCode = 1;
  });
}

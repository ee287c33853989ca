import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, loggableConfig, pickConfig, type OptionDeclaration } from './config';
import { formatHelp } from './config-help';
import { routeGrpcLogging } from './grpc-logging';
import { createLogger, type Logger } from './logger';
import { runtimeOptions } from './server-options';
import type { SignalTarget } from './shutdown';

/** What a server program says of itself in `--version`, `--help` and its `starting` line. */
export interface ProgramSpec {
  /** Program name, e.g. `cqserver`: the first word of every error line it prints. */
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly commit: string;
}

/**
 * Ends a program with `exitCode` and prints nothing: what went wrong was already reported
 * (a worker process of the server printed its own one-line error before it exited).
 */
export class ReportedExit extends Error {
  override readonly name = 'ReportedExit';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}, already reported`);
  }
}

export interface RunProgramOptions {
  /**
   * Log the `starting` line with the config; default true. A server's worker processes
   * (`--workers`) start from the same config as their primary, which has logged it.
   */
  readonly announce?: boolean;
  /** Fields on every log line, e.g. `{ worker: 2 }` in a server's worker process. */
  readonly logFields?: Readonly<Record<string, unknown>>;
}

/** What of the process a server program uses; `process` itself in production. */
export interface ProgramProcess extends SignalTarget {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * The life every server program shares, around its own `start`: `--version`, `--help`,
 * config (defaults < YAML file < environment < flags; `declarations` must include
 * `runtimeOptions` for the log level), the JSON logger (grpc-js's log routed into it)
 * and a `starting` line with the config, secrets redacted. A failure to start prints one
 * line, `<name>: <reason>`, and exits 2 for invalid config (a ConfigError: the fix is the
 * configuration, not a restart), 1 otherwise.
 */
export async function runProgram(
  spec: ProgramSpec,
  declarations: readonly OptionDeclaration[],
  proc: ProgramProcess,
  start: (values: Readonly<Record<string, unknown>>, logger: Logger) => Promise<void>,
  options: RunProgramOptions = {},
): Promise<void> {
  const args = proc.argv.slice(2);
  if (args.includes('--version')) {
    proc.stdout.write(`${spec.name} ${spec.version} (${spec.commit})\n`);
    return;
  }
  try {
    const loaded = loadConfig(declarations, {
      argv: args,
      env: proc.env,
      readFile: (path) => readFileSync(path, 'utf8'),
    });
    if (loaded.help) {
      proc.stdout.write(formatHelp(spec.name, spec.description, declarations));
      return;
    }
    const processLogger = createLogger({
      name: spec.name,
      level: pickConfig(runtimeOptions, loaded.values).log_level,
    });
    const logger = options.logFields === undefined ? processLogger : processLogger.child(options.logFields);
    // grpc-js's logger is process-global: set once here, where the process's logger is made.
    routeGrpcLogging(logger);
    if (options.announce !== false) {
      logger.info(
        { version: spec.version, commit: spec.commit, config: loggableConfig(declarations, loaded.values) },
        'starting',
      );
    }
    await start(loaded.values, logger);
  } catch (error) {
    if (error instanceof ReportedExit) {
      proc.exit(error.exitCode);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    // One line, whatever a library put in its message: operators and tests read the first.
    const line = message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    proc.stderr.write(`${spec.name}: ${line}\n`);
    proc.exit(error instanceof ConfigError ? 2 : 1);
  }
}

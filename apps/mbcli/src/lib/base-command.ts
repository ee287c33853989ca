import { Command, Errors, Flags, settings, ux, type Interfaces } from '@oclif/core';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DEFAULT_COLLECTOR_HOST,
  DEFAULT_QUERY_HOST,
  readConfigFile,
  resolveConnectionSettings,
} from './connection/cli-config';
import type { ConnectionSettings } from './connection/grpc-connection';
import { InputError } from './input-error';
import { ServiceCallError } from './connection/service-error';
import { FlagValueError } from './flags/flag-value-error';
import { unknownFlagMessage, withKebabAliases } from './flags/flag-names';

/**
 * What every mbcli command shares: the original's `--collector_host`/`--query_host`
 * (with their environment variables), bearer tokens, TLS, a YAML config file for all
 * of these, `--debug`, and errors printed as one line that says what went wrong and
 * what to try.
 *
 * The connection flags carry no oclif `default`: oclif would fill it in before the
 * config file is read and so mask the file's value. oclif gives the command line, else
 * the environment; connectionSettings() then falls back to the config file and the
 * default, which the help shows through `defaultHelp` (a function: oclif ignores a
 * plain value there).
 */
export abstract class MbcliCommand extends Command {
  static override baseFlags = {
    collector_host: Flags.string({
      description: 'collector service address (host:port)',
      env: 'COLLECTOR_HOST',
      defaultHelp: async () => DEFAULT_COLLECTOR_HOST,
      helpGroup: 'GLOBAL',
    }),
    query_host: Flags.string({
      description: 'query service address (host:port)',
      env: 'QUERY_HOST',
      defaultHelp: async () => DEFAULT_QUERY_HOST,
      helpGroup: 'GLOBAL',
    }),
    token: Flags.string({
      description: 'bearer token sent to both services (unless their own token is given)',
      env: 'MBCLI_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    collector_token: Flags.string({
      description: "bearer token sent to the collector service, over --token's",
      env: 'MBCLI_COLLECTOR_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    query_token: Flags.string({
      description: "bearer token sent to the query service, over --token's",
      env: 'MBCLI_QUERY_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    tls: Flags.boolean({
      description: "use TLS, trusting the system's CA certificates (--no-tls: plaintext even if configured)",
      env: 'MBCLI_TLS',
      allowNo: true,
      helpGroup: 'GLOBAL',
    }),
    tls_ca_file: Flags.string({
      description: 'PEM CA certificate to trust instead of the system ones (implies --tls)',
      env: 'MBCLI_TLS_CA_FILE',
      helpGroup: 'GLOBAL',
    }),
    tls_server_name: Flags.string({
      description: 'name the server certificate must hold, e.g. for an IP address host (implies --tls)',
      env: 'MBCLI_TLS_SERVER_NAME',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({
      description: 'YAML file of these global settings, keyed by flag name (e.g. query_host: q.example:8000)',
      env: 'MBCLI_CONFIG',
      defaultHelp: async () => defaultConfigFileForHelp(),
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({
      description: 'print stack traces of errors',
      default: false,
      helpGroup: 'GLOBAL',
    }),
  };

  /** Where the servers are and how to talk to them: flag, else environment, else config file, else default. */
  protected connectionSettings(
    flags: Interfaces.InferredFlags<typeof MbcliCommand.baseFlags>,
  ): ConnectionSettings {
    const file =
      flags.config === undefined
        ? readConfigFile(join(this.config.configDir, CONFIG_FILE_NAME), false)
        : readConfigFile(resolve(flags.config), true);
    return resolveConnectionSettings(flags, file);
  }

  /**
   * oclif's parse, with a kebab-case alias for every snake_case flag (hidden from the
   * help) and one line naming the closest flag for one that does not exist.
   */
  protected override async parse<
    F extends Interfaces.OutputFlags<Interfaces.FlagInput>,
    B extends Interfaces.OutputFlags<Interfaces.FlagInput>,
    A extends Interfaces.OutputArgs<Interfaces.ArgInput>,
  >(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = options ?? (this.ctor as Interfaces.Input<F, B, A>);
    const flags = withKebabAliases(input.flags ?? ({} as Interfaces.FlagInput<F>));
    const baseFlags = withKebabAliases(input.baseFlags ?? ({} as Interfaces.FlagInput<B>));
    try {
      // The class's statics are read one by one: a spread would miss the inherited ones.
      return await super.parse(
        {
          flags,
          baseFlags,
          args: input.args,
          constraints: input.constraints,
          enableJsonFlag: input.enableJsonFlag,
          strict: input.strict,
          context: input.context,
          '--': input['--'],
        },
        argv,
      );
    } catch (error) {
      const unknown = nonExistentFlags(error);
      if (unknown === undefined) throw error;
      throw new InputError(unknownFlagMessage(unknown, { ...baseFlags, ...flags }, this.commandLine()));
    }
  }

  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    // Parsing may have failed, so look at argv rather than the parsed flags.
    if (this.argv.includes('--debug')) {
      settings.debug = true;
      return super.catch(error);
    }
    if (error instanceof FlagValueError) return this.failWith(error.line, 2);
    if (error instanceof ServiceCallError || error instanceof InputError)
      return this.failWith(error.message, 2);
    // A command's deliberate exit code, already explained by its output.
    if (error instanceof Errors.ExitError) throw error;
    // oclif's own errors (unknown, missing or malformed flags): the same one line, pointing at the help.
    if (error instanceof Errors.CLIError) {
      return this.failWith(`${oneLine(error.message)}; see \`${this.commandLine()} --help\``, 2);
    }
    return this.failWith(`${error.message}; rerun with --debug for the stack trace`, 1);
  }

  /** The command as typed: `mbcli links list`. */
  private commandLine(): string {
    return `${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')}`.trim();
  }

  /** Prints the message as one unwrapped stderr line and exits: no box, no stack. */
  private failWith(message: string, exitCode: number): never {
    // With --json too (where oclif's logToStderr is silent): stdout carries only a success's JSON.
    ux.stderr(`mbcli: ${message}`);
    return this.exit(exitCode);
  }
}

/** The flags of oclif's NonExistentFlagsError (a class oclif does not export), else undefined. */
function nonExistentFlags(error: unknown): readonly string[] | undefined {
  if (!(error instanceof Errors.CLIError)) return undefined;
  const { flags } = error as { flags?: unknown };
  return Array.isArray(flags) && flags.every((flag) => typeof flag === 'string') ? flags : undefined;
}

/** oclif's multi-line parse messages as one line, without its boilerplate. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) =>
        line !== '' && line !== 'The following error occurred:' && line !== 'See more help with --help',
    )
    .join(': ');
}

const CONFIG_FILE_NAME = 'config.yaml';

/**
 * The default config file as the help shows it. oclif's `config.configDir` (used to
 * read it) is not at hand when the help is drawn, so this follows the same rule:
 * `$XDG_CONFIG_HOME/mbcli`, else `~/.config/mbcli`.
 */
function defaultConfigFileForHelp(): string {
  const home = homedir();
  const path = join(process.env['XDG_CONFIG_HOME'] || join(home, '.config'), 'mbcli', CONFIG_FILE_NAME);
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

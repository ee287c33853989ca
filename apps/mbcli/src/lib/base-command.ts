import { Command, Errors, Flags, settings, type Interfaces } from '@oclif/core';
import type { ConnectionSettings } from './grpc-connection';
import { InputError } from './input-error';
import { ServiceCallError } from './service-error';

/**
 * What every mbcli command shares: the original's `--collector_host`/`--query_host`
 * (with their environment variables), a bearer token, `--debug`, and errors printed as
 * one line that says what went wrong and what to try.
 */
export abstract class MbcliCommand extends Command {
  static override baseFlags = {
    collector_host: Flags.string({
      description: 'collector service address (host:port)',
      env: 'COLLECTOR_HOST',
      default: '127.0.0.1:9000',
      helpGroup: 'GLOBAL',
    }),
    query_host: Flags.string({
      description: 'query service address (host:port)',
      env: 'QUERY_HOST',
      default: '127.0.0.1:8000',
      helpGroup: 'GLOBAL',
    }),
    token: Flags.string({
      description: 'bearer token sent to the services',
      env: 'MBCLI_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({
      description: 'print stack traces of errors',
      default: false,
      helpGroup: 'GLOBAL',
    }),
  };

  protected connectionSettings(
    flags: Interfaces.InferredFlags<typeof MbcliCommand.baseFlags>,
  ): ConnectionSettings {
    return { collectorHost: flags.collector_host, queryHost: flags.query_host, token: flags.token };
  }

  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    // Parsing may have failed, so look at argv rather than the parsed flags.
    if (this.argv.includes('--debug')) {
      settings.debug = true;
      return super.catch(error);
    }
    if (error instanceof ServiceCallError || error instanceof InputError)
      return this.failWith(error.message, 2);
    // A command's deliberate exit code, already explained by its output.
    if (error instanceof Errors.ExitError) throw error;
    // oclif's own errors (unknown, missing or malformed flags): the same one line, pointing at the help.
    if (error instanceof Errors.CLIError) {
      const command = `${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')}`.trim();
      return this.failWith(`${oneLine(error.message)}; see \`${command} --help\``, 2);
    }
    return this.failWith(`${error.message}; rerun with --debug for the stack trace`, 1);
  }

  /** Prints the message as one unwrapped stderr line and exits: no box, no stack. */
  private failWith(message: string, exitCode: number): never {
    if (this.jsonEnabled()) this.logJson({ error: { message, exitCode } });
    else this.logToStderr(`mbcli: ${message}`);
    return this.exit(exitCode);
  }
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

import { InputError } from '../input-error';

/**
 * A flag value mbcli cannot use. oclif rewrites the message of an error thrown while it
 * parses a flag into several lines; `line` keeps the one line that names the flag, the
 * value and the forms it accepts, for the command to print.
 */
export class FlagValueError extends InputError {
  readonly line: string;

  constructor(line: string) {
    super(line);
    this.name = 'FlagValueError';
    this.line = line;
  }
}

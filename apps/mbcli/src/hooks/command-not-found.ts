import { Errors, ux, type Hook } from '@oclif/core';
import { unknownCommandMessage } from '../lib/unknown-command';

/** An unknown command is one line on stderr and exit code 2, like every other usage error of mbcli. */
const commandNotFound: Hook.CommandNotFound = async function ({ id, config }) {
  const commands = config.commands
    .filter((command) => !command.hidden)
    .map((command) => command.id.replaceAll(':', ' '));
  ux.stderr(`${config.bin}: ${unknownCommandMessage(id.replaceAll(':', ' '), commands, config.bin)}`);
  throw new Errors.ExitError(2);
};

export default commandNotFound;

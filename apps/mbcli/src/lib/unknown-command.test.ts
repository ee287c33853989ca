import { describe, expect, it } from 'vitest';
import { unknownCommandMessage } from './unknown-command';

const COMMANDS = ['events', 'health', 'links list', 'links set', 'status send', 'traveltimes'];

describe('unknownCommandMessage', () => {
  it('suggests the closest command for a typo', () => {
    expect(unknownCommandMessage('evnts', COMMANDS, 'mbcli')).toBe(
      '"evnts" is not a command of mbcli; did you mean `mbcli events`? see `mbcli --help`',
    );
  });

  it('only points at the help when nothing is close', () => {
    expect(unknownCommandMessage('frobnicate', COMMANDS, 'mbcli')).toBe(
      '"frobnicate" is not a command of mbcli; see `mbcli --help`',
    );
  });

  it("lists a topic's commands for an unknown subcommand", () => {
    expect(unknownCommandMessage('links frob', COMMANDS, 'mbcli')).toBe(
      '`mbcli links` has no command "frob"; its commands are list, set (see `mbcli links --help`)',
    );
    expect(unknownCommandMessage('links lst', COMMANDS, 'mbcli')).toBe(
      '`mbcli links` has no command "lst"; did you mean `mbcli links list`? its commands are list, set (see `mbcli links --help`)',
    );
  });

  it('says a flag needs a command first', () => {
    expect(unknownCommandMessage('--frob', COMMANDS, 'mbcli')).toBe(
      '--frob is not a flag of `mbcli` itself; flags go after a command (see `mbcli --help`)',
    );
  });
});

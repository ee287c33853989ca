import { Help } from '@oclif/core';

/** `mbcli --help` also lists an example of every command, so the root help alone shows how to start. */
export default class MbcliHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp();
    const examples = this.sortedCommands
      .filter((command) => !command.hidden)
      .flatMap((command) => {
        const first = command.examples?.[0];
        const text = typeof first === 'string' ? first : first?.command;
        // Plugins' examples (autocomplete's) already start with the prompt.
        return text === undefined ? [] : [`$ ${this.render(text).replace(/^\$ /, '')}`];
      });
    if (examples.length > 0) {
      this.log(this.section('EXAMPLES', examples.join('\n')));
      this.log('');
    }
  }
}

import { Command } from '@oclif/core';
import { versionLine } from '../lib/version';

export default class Version extends Command {
  static override summary = 'Print the version and git commit of mbcli (as --version does).';
  static override examples = ['<%= config.bin %> version'];

  async run(): Promise<void> {
    await this.parse(Version);
    this.log(versionLine(this.config.bin));
  }
}

import { Command } from '@oclif/core';
import { versionInfo, versionLine } from '../lib/version';

export default class Version extends Command {
  static override summary = 'Print the version and git commit of mbcli (as --version does).';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ version: string; commit: string }> {
    await this.parse(Version);
    this.log(versionLine(this.config.bin));
    return versionInfo();
  }
}

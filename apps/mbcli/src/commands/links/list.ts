import { Flags } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { queryClient, queryTarget } from '../../lib/connection/grpc-connection';
import { linkCells, linkRows, LINK_HEADERS, type LinkRow } from '../../lib/display/link-rows';
import { listAllLinks } from '../../lib/connection/paged-lists';
import { renderTable } from '../../lib/display/table';

export default class LinksList extends MbcliCommand {
  static override summary = 'List detector links (ListLinks).';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> links list',
    '<%= config.bin %> links list --dest b1 --json',
  ];
  static override flags = {
    dest: Flags.string({ description: 'only the links into this destination detector' }),
  };

  async run(): Promise<LinkRow[]> {
    const { flags } = await this.parse(LinksList);
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const rows = linkRows(await listAllLinks(client, queryTarget(settings), flags.dest ?? ''));
      this.log(rows.length === 0 ? 'no links' : renderTable(LINK_HEADERS, rows.map(linkCells)));
      return rows;
    } finally {
      client.close();
    }
  }
}

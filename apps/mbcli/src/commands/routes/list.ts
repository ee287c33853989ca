import { MbcliCommand } from '../../lib/base-command';
import { queryClient, queryTarget } from '../../lib/connection/grpc-connection';
import { listAllRoutes } from '../../lib/connection/paged-lists';
import { routeCells, routeRows, ROUTE_HEADERS, type RouteRow } from '../../lib/display/route-rows';
import { renderTable } from '../../lib/display/table';

export default class RoutesList extends MbcliCommand {
  static override summary = 'List routes and their detectors (ListRoutes).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> routes list', '<%= config.bin %> routes list --json'];

  async run(): Promise<RouteRow[]> {
    const { flags } = await this.parse(RoutesList);
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const rows = routeRows(await listAllRoutes(client, queryTarget(settings)));
      this.log(rows.length === 0 ? 'no routes' : renderTable(ROUTE_HEADERS, rows.map(routeCells)));
      return rows;
    } finally {
      client.close();
    }
  }
}

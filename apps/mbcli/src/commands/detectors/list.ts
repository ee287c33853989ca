import { MbcliCommand } from '../../lib/base-command';
import {
  detectorCells,
  detectorRows,
  DETECTOR_HEADERS,
  type DetectorRow,
} from '../../lib/display/detector-rows';
import { queryClient, queryTarget } from '../../lib/connection/grpc-connection';
import { listAllDetectors } from '../../lib/connection/paged-lists';
import { renderTable } from '../../lib/display/table';

export default class DetectorsList extends MbcliCommand {
  static override summary = 'List detectors with their position and latest status (ListDetectors).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> detectors list', '<%= config.bin %> detectors list --json'];

  async run(): Promise<DetectorRow[]> {
    const { flags } = await this.parse(DetectorsList);
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const rows = detectorRows(await listAllDetectors(client, queryTarget(settings)));
      this.log(rows.length === 0 ? 'no detectors' : renderTable(DETECTOR_HEADERS, rows.map(detectorCells)));
      return rows;
    } finally {
      client.close();
    }
  }
}

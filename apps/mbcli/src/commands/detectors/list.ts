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
  static override summary = 'List detectors with their position, latest status and health (ListDetectors).';
  static override description =
    'LAST SEEN is the age of the newest sighting; PROBLEMS the kinds of the open alerts (ok: healthy, -: not checked yet); ' +
    "CLOCK SKEW is positive when the detector's clock runs ahead; BATTERY TREND is in volts per day over the recent status reports.";
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> detectors list', '<%= config.bin %> detectors list --json'];

  async run(): Promise<DetectorRow[]> {
    const { flags } = await this.parse(DetectorsList);
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const rows = detectorRows(await listAllDetectors(client, queryTarget(settings)));
      this.log(
        rows.length === 0
          ? 'no detectors'
          : renderTable(
              DETECTOR_HEADERS,
              rows.map((row) => detectorCells(row, Date.now())),
            ),
      );
      return rows;
    } finally {
      client.close();
    }
  }
}

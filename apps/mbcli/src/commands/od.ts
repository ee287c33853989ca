import { parseDetectorId, ValidationError } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { Flags, ux } from '@oclif/core';
import { MbcliCommand } from '../lib/base-command';
import { queryClient, queryTarget, unaryCall } from '../lib/connection/grpc-connection';
import { csvCells, formatCsvLine } from '../lib/csv/csv-fields';
import {
  OD_CSV_COLUMNS,
  odMatrix,
  odSummary,
  renderOdMatrix,
  type OdMatrix,
} from '../lib/display/od-matrix';
import { requiredRangeFlags } from '../lib/display/time-range';
import { durationFlag } from '../lib/flags/duration-flag';
import { instantFlag } from '../lib/flags/instant-flag';
import { InputError } from '../lib/input-error';

export default class OriginDestination extends MbcliCommand {
  static override summary =
    'Count trips between detectors: an origin-destination matrix (GetOriginDestination).';
  static override description =
    'A trip runs from the detector a device was first seen at to the one it was last seen at, within the range; ' +
    'a device unseen at every one of the detectors for longer than --trip_gap starts a new trip. ' +
    'Rows are origins, columns destinations; each cell is the trips and their median travel time. ' +
    'No device identifier is ever part of the answer.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> od --detectors a1,b1,c1 --after 2026-01-30T06:00:00Z --before 2026-01-30T10:00:00Z',
    '<%= config.bin %> od --detectors a1,b1,c1 --after 2026-01-30T00:00:00Z --trip_gap 1800 --csv',
  ];
  static override flags = {
    detectors: Flags.string({
      description: 'the detectors, 2 to 50 (comma-separated or repeated); rows and columns keep this order',
      required: true,
      multiple: true,
      delimiter: ',',
    }),
    after: instantFlag({
      description: 'start of the range (RFC 3339, Unix seconds or -1h), inclusive',
      required: true,
    }),
    before: instantFlag({
      description: 'end of the range (RFC 3339, Unix seconds or -1h), exclusive; default now; at most 7 days after --after',
    }),
    trip_gap: durationFlag({
      description: 'time unseen after which a device’s next sighting starts a new trip, like 30m (default 1h)',
      wholeSeconds: true,
    }),
    csv: Flags.boolean({
      description: 'print the cells as CSV: origin, destination, trips, medianSeconds',
      default: false,
      exclusive: ['json'],
    }),
  };

  async run(): Promise<OdMatrix> {
    const { flags } = await this.parse(OriginDestination);
    const detectors = flags.detectors.map((id, index) => {
      try {
        return parseDetectorId(id.trim(), `--detectors[${index}]`);
      } catch (error) {
        if (error instanceof ValidationError) throw new InputError(error.message);
        throw error;
      }
    });
    const range = requiredRangeFlags(flags, Date.now());
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const response = await unaryCall<query.GetOriginDestinationResponse>(
        queryTarget(settings),
        (metadata, options, done) =>
          client.getOriginDestination(
            query.GetOriginDestinationRequest.fromPartial({
              detectorIds: detectors,
              range,
              tripGapSeconds: BigInt(flags.trip_gap ?? 0),
            }),
            metadata,
            options,
            done,
          ),
      );
      const matrix = odMatrix(response);
      if (flags.csv) {
        const lines = [OD_CSV_COLUMNS, ...matrix.cells.map((cell) => csvCells(cell, OD_CSV_COLUMNS))];
        ux.stdout(lines.map(formatCsvLine).join('\n'));
      } else {
        this.log(renderOdMatrix(matrix));
        this.log(odSummary(matrix));
      }
      return matrix;
    } finally {
      client.close();
    }
  }
}

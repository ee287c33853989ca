import { Flags } from '@oclif/core';
import { collector, type Empty } from '@message-bus/proto';
import { MbcliCommand } from '../../lib/base-command';
import { degreesToFixed, fixedToDegrees } from '../../lib/coordinates';
import { collectorClient, collectorTarget, unaryCall } from '../../lib/connection/grpc-connection';

export default class DetectorsSet extends MbcliCommand {
  static override summary = "Record a detector's position (CreateCoordinates).";
  static override description = 'Positions give link distances, and so speeds, to the travel-time estimates.';
  static override examples = [
    '<%= config.bin %> detectors set --id a1 --lat 52.09073 --lon 5.12142',
    '<%= config.bin %> detectors set --id a1 --lat 52.09073 --lon 5.12142 --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    id: Flags.string({ description: 'detector id', required: true }),
    lat: Flags.string({ description: 'latitude in degrees (WGS84)', required: true }),
    lon: Flags.string({ description: 'longitude in degrees (WGS84)', required: true }),
  };

  /** The position stored, in degrees as the wire's fixed point keeps it (as `detectors list` shows it). */
  async run(): Promise<{ id: string; latitude: number; longitude: number }> {
    const { flags } = await this.parse(DetectorsSet);
    const settings = this.connectionSettings(flags);
    const coordinates = collector.Coordinates.fromPartial({
      detectorId: flags.id,
      latitude: degreesToFixed('lat', Number(flags.lat)),
      longitude: degreesToFixed('lon', Number(flags.lon)),
    });
    const client = collectorClient(settings);
    try {
      await unaryCall<Empty>(collectorTarget(settings), (metadata, options, done) =>
        client.createCoordinates(coordinates, metadata, options, done),
      );
    } finally {
      client.close();
    }
    this.log(`detector ${flags.id} at ${flags.lat}, ${flags.lon}`);
    return {
      id: coordinates.detectorId,
      latitude: fixedToDegrees(coordinates.latitude),
      longitude: fixedToDegrees(coordinates.longitude),
    };
  }
}

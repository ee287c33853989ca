import { Flags } from '@oclif/core';
import { collector, type Empty } from '@message-bus/proto';
import { MbcliCommand } from '../../lib/base-command';
import { collectorClient, collectorTarget, unaryCall } from '../../lib/connection/grpc-connection';
import { durationFlag } from '../../lib/flags/duration-flag';
import { linkRows, type LinkRow } from '../../lib/display/link-rows';

export default class LinksSet extends MbcliCommand {
  static override summary = 'Link source detectors to a destination (CreateDetectorLink).';
  static override description =
    'A device seen at a source and then at the destination within max_seconds gives one travel-time sample of that link.';
  static override examples = [
    '<%= config.bin %> links set --dest b1 --src a1 --max_seconds 600',
    '<%= config.bin %> links set --dest c1 --src a1,b1 --max_seconds 900',
    '<%= config.bin %> links set --dest b2 --src b1 --max_seconds 300 --min_seconds 8',
    '<%= config.bin %> links set --dest b1 --src a1 --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    dest: Flags.string({ description: 'destination detector id', required: true }),
    src: Flags.string({
      description: 'source detector ids (comma-separated or repeated)',
      required: true,
      multiple: true,
      delimiter: ',',
    }),
    max_seconds: durationFlag({
      description: 'longest plausible travel time from a source, like 600 (seconds) or 10m',
      default: '600',
      wholeSeconds: true,
    }),
    min_seconds: durationFlag({
      description:
        "shortest plausible travel time, like 8 (seconds) or 1m: faster samples are rejected (0: derive it from the detectors' coordinates and the worker's speed cap)",
      default: '0',
      allowZero: true,
      wholeSeconds: true,
    }),
  };

  /** The links stored, one per source, as `links list --json` shows them. */
  async run(): Promise<LinkRow[]> {
    const { flags } = await this.parse(LinksSet);
    const settings = this.connectionSettings(flags);
    const link = collector.DetectorLink.fromPartial({
      destDetectorId: flags.dest,
      srcDetectors: flags.src.map((detectorId) => ({
        detectorId,
        maxSeconds: BigInt(flags.max_seconds),
        minSeconds: BigInt(flags.min_seconds),
      })),
    });
    const client = collectorClient(settings);
    try {
      await unaryCall<Empty>(collectorTarget(settings), (metadata, options, done) =>
        client.createDetectorLink(link, metadata, options, done),
      );
    } finally {
      client.close();
    }
    const minimum = flags.min_seconds > 0 ? `, min ${flags.min_seconds}s` : '';
    this.log(`linked ${flags.src.join(', ')} → ${flags.dest} (max ${flags.max_seconds}s${minimum})`);
    return linkRows([link]);
  }
}

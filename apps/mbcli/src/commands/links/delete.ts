import { status } from '@grpc/grpc-js';
import { parseDetectorId, ValidationError } from '@message-bus/domain';
import { collector, type Empty } from '@message-bus/proto';
import { Flags } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { collectorClient, collectorTarget, unaryCall } from '../../lib/connection/grpc-connection';
import { InputError } from '../../lib/input-error';
import { ServiceCallError } from '../../lib/connection/service-error';

export interface DeletedLink {
  readonly source: string;
  readonly destination: string;
}

export default class LinksDelete extends MbcliCommand {
  static override summary = 'Delete the link from a source detector to a destination (DeleteDetectorLink).';
  static override description =
    'The link stops producing travel times; its past estimates stay readable with `traveltimes chart`. ' +
    'Deleting a link that does not exist fails, so a mistyped id does not pass unnoticed.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> links delete --dest b1 --src a1',
    '<%= config.bin %> links delete --dest b1 --src a1 --json',
  ];
  static override flags = {
    dest: Flags.string({ description: 'destination detector id', required: true }),
    src: Flags.string({ description: 'source detector id', required: true }),
  };

  async run(): Promise<DeletedLink> {
    const { flags } = await this.parse(LinksDelete);
    const link = {
      destination: detectorIdFlag('dest', flags.dest),
      source: detectorIdFlag('src', flags.src),
    };
    const settings = this.connectionSettings(flags);
    const request = collector.DeleteDetectorLinkRequest.fromPartial({
      destDetectorId: link.destination,
      srcDetectorId: link.source,
    });
    const client = collectorClient(settings);
    try {
      await unaryCall<Empty>(collectorTarget(settings), (metadata, options, done) =>
        client.deleteDetectorLink(request, metadata, options, done),
      );
    } catch (error) {
      if (error instanceof ServiceCallError && error.cause.code === status.NOT_FOUND) {
        throw new InputError(
          `there is no link ${link.source} → ${link.destination}; ` +
            `see \`${this.config.bin} links list --dest ${link.destination}\``,
        );
      }
      throw error;
    } finally {
      client.close();
    }
    this.log(`deleted link ${link.source} → ${link.destination}`);
    return link;
  }
}

/** The flag's detector id, or a one-line InputError naming the flag and the rule it breaks. */
function detectorIdFlag(flag: string, value: string): string {
  try {
    return parseDetectorId(value, flag);
  } catch (error) {
    // The error reads `<field>: <reason>`; say it with the flag and the value given.
    if (error instanceof ValidationError) {
      throw new InputError(`--${flag} "${value}" ${error.message.slice(flag.length + 2)}`);
    }
    throw error;
  }
}

import { status } from '@grpc/grpc-js';
import { parseRouteName, ValidationError } from '@message-bus/domain';
import { collector, type Empty } from '@message-bus/proto';
import { Args } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { collectorClient, collectorTarget, unaryCall } from '../../lib/connection/grpc-connection';
import { ServiceCallError } from '../../lib/connection/service-error';
import { InputError } from '../../lib/input-error';

export default class RoutesDelete extends MbcliCommand {
  static override summary = 'Delete a route (DeleteRoute).';
  static override description =
    'The workers stop estimating it; its past estimates stay readable until they expire. ' +
    'Deleting a route that does not exist fails, so a mistyped name does not pass unnoticed.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> routes delete east'];
  static override args = {
    name: Args.string({ description: 'the route to delete', required: true }),
  };

  async run(): Promise<{ name: string }> {
    const { args, flags } = await this.parse(RoutesDelete);
    let name: string;
    try {
      name = parseRouteName(args.name, 'NAME');
    } catch (error) {
      if (error instanceof ValidationError) throw new InputError(error.message);
      throw error;
    }
    const settings = this.connectionSettings(flags);
    const client = collectorClient(settings);
    try {
      await unaryCall<Empty>(collectorTarget(settings), (metadata, options, done) =>
        client.deleteRoute(collector.DeleteRouteRequest.fromPartial({ name }), metadata, options, done),
      );
    } catch (error) {
      if (error instanceof ServiceCallError && error.cause.code === status.NOT_FOUND) {
        throw new InputError(`there is no route ${name}; see \`${this.config.bin} routes list\``);
      }
      throw error;
    } finally {
      client.close();
    }
    this.log(`deleted route ${name}`);
    return { name };
  }
}

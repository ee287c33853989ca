import { status } from '@grpc/grpc-js';
import { parseRoute, ValidationError } from '@message-bus/domain';
import { collector, type Empty } from '@message-bus/proto';
import { Args, Flags } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { collectorClient, collectorTarget, unaryCall } from '../../lib/connection/grpc-connection';
import { ServiceCallError } from '../../lib/connection/service-error';
import { InputError } from '../../lib/input-error';
import type { RouteRow } from '../../lib/display/route-rows';

export default class RoutesSet extends MbcliCommand {
  static override summary = 'Create a route, or replace its detectors (CreateRoute).';
  static override description =
    'A route is a named chain of detectors, upstream first, whose consecutive pairs are links ' +
    '(`mbcli links set`); the workers estimate its travel time end to end, and read it with ' +
    '`traveltimes --route NAME`. Setting an existing route replaces its detectors.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> routes set east --detectors a1,b1,c1',
    '<%= config.bin %> routes set airport --detectors a1 --detectors b1 --json',
  ];
  static override args = {
    name: Args.string({ description: 'the route name (the alphabet of a detector id)', required: true }),
  };
  static override flags = {
    detectors: Flags.string({
      description:
        'the route’s detectors, upstream first (comma-separated or repeated); each pair must be a link',
      required: true,
      multiple: true,
      delimiter: ',',
    }),
  };

  async run(): Promise<RouteRow> {
    const { args, flags } = await this.parse(RoutesSet);
    const route = routeFlags(args.name, flags.detectors);
    const settings = this.connectionSettings(flags);
    const client = collectorClient(settings);
    try {
      await unaryCall<Empty>(collectorTarget(settings), (metadata, options, done) =>
        client.createRoute(
          collector.Route.fromPartial({ name: route.name, detectorIds: route.detectors }),
          metadata,
          options,
          done,
        ),
      );
    } catch (error) {
      if (error instanceof ServiceCallError && error.cause.code === status.FAILED_PRECONDITION) {
        throw new InputError(
          `route ${route.name} not set: ${error.cause.details}; link the pair first with \`${this.config.bin} links set\`, ` +
            `see \`${this.config.bin} links list\``,
        );
      }
      throw error;
    } finally {
      client.close();
    }
    this.log(`set route ${route.name}: ${route.detectors.join(' → ')}`);
    return route;
  }
}

/** The route as the domain validates it, or a one-line InputError naming the argument or flag. */
function routeFlags(name: string, detectors: readonly string[]): RouteRow {
  try {
    const route = parseRoute({ name, detectorIds: detectors }, { name: 'NAME', detectorIds: '--detectors' });
    return { name: route.name, detectors: [...route.detectorIds] };
  } catch (error) {
    if (error instanceof ValidationError) throw new InputError(error.message);
    throw error;
  }
}

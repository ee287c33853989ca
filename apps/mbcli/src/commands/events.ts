import { status, type ServiceError } from '@grpc/grpc-js';
import { Flags, ux } from '@oclif/core';
import { query } from '@message-bus/proto';
import { MbcliCommand } from '../lib/base-command';
import { eventCells, eventRows, EVENT_HEADERS, type EventRow } from '../lib/display/event-rows';
import { queryClient, queryTarget, unaryCall } from '../lib/connection/grpc-connection';
import { InputError } from '../lib/input-error';
import { ServiceCallError, type ServiceTarget } from '../lib/connection/service-error';
import { renderTable } from '../lib/display/table';
import { parseInstantFlag } from '../lib/display/time-format';

export default class Events extends MbcliCommand {
  static override summary = 'List the latest sightings of detectors, newest first.';
  static override description =
    'Devices appear as the pseudonyms the server stores, never as raw identifiers. ' +
    'With --follow, stored sightings are replayed and new ones printed as they arrive, until Ctrl-C.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> events --detector_ids a1,a2 --event_limit 10',
    '<%= config.bin %> events --detector_ids a1 --after 2026-01-30T08:00:00Z --before 2026-01-30T09:00:00Z --json',
    '<%= config.bin %> events --detector_ids a1 --follow',
  ];
  static override flags = {
    detector_ids: Flags.string({
      description: 'detectors to list (comma-separated or repeated)',
      multiple: true,
      delimiter: ',',
      default: ['xxx-1'],
    }),
    event_limit: Flags.integer({ description: 'most sightings per detector', default: 1, min: 1 }),
    after: Flags.string({ description: 'only sightings at or after this time (ISO-8601 or Unix seconds)' }),
    before: Flags.string({ description: 'only sightings before this time (ISO-8601 or Unix seconds)' }),
    follow: Flags.boolean({ description: 'keep printing new sightings as they arrive', default: false }),
    stop_after: Flags.integer({
      description: 'with --follow: stop after printing this many sightings',
      min: 1,
    }),
  };

  async run(): Promise<EventRow[] | undefined> {
    const { flags } = await this.parse(Events);
    const settings = this.connectionSettings(flags);
    const request = query.GetEventsRequest.fromPartial({
      detectorIds: flags.detector_ids,
      limit: BigInt(flags.event_limit),
      range: {
        after: flags.after === undefined ? undefined : parseInstantFlag('after', flags.after),
        before: flags.before === undefined ? undefined : parseInstantFlag('before', flags.before),
      },
    });
    if (flags.stop_after !== undefined && !flags.follow) {
      throw new InputError('--stop_after only applies with --follow; use --event_limit to bound a listing');
    }
    if (request.detectorIds.some((id) => id.trim() === '')) {
      throw new InputError('--detector_ids has an empty detector id; list ids separated by commas');
    }
    const client = queryClient(settings);
    try {
      if (flags.follow) {
        await this.follow(client, queryTarget(settings), request, flags.stop_after);
        return undefined;
      }
      const response = await unaryCall<query.GetEventsResponse>(
        queryTarget(settings),
        (metadata, options, done) => client.getEvents(request, metadata, options, done),
      );
      const rows = eventRows(response.events);
      if (!this.jsonEnabled()) {
        this.log(rows.length === 0 ? 'no sightings' : renderTable(EVENT_HEADERS, rows.map(eventCells)));
      }
      return rows;
    } finally {
      client.close();
    }
  }

  /** One line per sighting as it arrives (JSON lines with --json), until Ctrl-C or --stop_after. */
  private follow(
    client: query.QueryServiceClient,
    target: ServiceTarget,
    request: query.GetEventsRequest,
    stopAfter: number | undefined,
  ): Promise<void> {
    const json = this.jsonEnabled();
    return new Promise<void>((resolve, reject) => {
      const stream = client.streamEvents(request);
      let printed = 0;
      const stop = () => stream.cancel();
      process.once('SIGINT', stop);
      if (!json) ux.stdout(EVENT_HEADERS.join('  '));
      stream.on('data', (event: query.DetectionEvent) => {
        for (const row of eventRows([event])) {
          if (stopAfter !== undefined && printed >= stopAfter) break;
          ux.stdout(json ? JSON.stringify(row) : eventCells(row).join('  '));
          printed += 1;
        }
        if (stopAfter !== undefined && printed >= stopAfter) stop();
      });
      stream.on('error', (error: ServiceError) => {
        process.removeListener('SIGINT', stop);
        // Cancelling is how the operator (or --stop_after) ends the stream.
        if (error.code === status.CANCELLED) resolve();
        else reject(new ServiceCallError(target, error));
      });
      stream.on('end', () => {
        process.removeListener('SIGINT', stop);
        resolve();
      });
    });
  }
}

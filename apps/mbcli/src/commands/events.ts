import { status, type ServiceError } from '@grpc/grpc-js';
import { Flags, ux } from '@oclif/core';
import { query, type Timestamp } from '@message-bus/proto';
import { MbcliCommand } from '../lib/base-command';
import { eventCells, eventRows, EVENT_HEADERS, type EventRow } from '../lib/display/event-rows';
import { queryClient, queryTarget, unaryCall } from '../lib/connection/grpc-connection';
import { listAllDetectors } from '../lib/connection/paged-lists';
import { InputError } from '../lib/input-error';
import { ServiceCallError, type ServiceTarget } from '../lib/connection/service-error';
import { renderTable } from '../lib/display/table';
import { instantFlag } from '../lib/flags/instant-flag';

/**
 * Most detector ids the query service takes in one GetEvents (its documented default
 * limit): the overview of every detector asks in batches of this many.
 */
const DETECTORS_PER_REQUEST = 100;

/** What `mbcli events` says on a server that lists no detector, as the next step to take. */
const NO_DETECTORS_HINT =
  'no registered detectors yet; register one with `mbcli detectors set`, send traffic with ' +
  '`mbcli traffic --scenario corridor`, or name detectors that only send sightings with --detector_ids';

/**
 * Without --detector_ids, events shows the newest sightings of every registered detector
 * (those ListDetectors lists: the ones with a position), --event_limit per detector, rather
 * than asking for a made-up detector and answering "no sightings": a new operator reads
 * that as "there is no data". With no detector registered it prints NO_DETECTORS_HINT and
 * exits 0. A detector that only sends sightings has no position and is not listed, so the
 * hint names --detector_ids for it.
 *
 * The request carries a `range` only when --after or --before is given: the original Go
 * query server dereferences the range's fields, so a range with unset fields crashes it;
 * the new server reads an absent range as "no bound" too.
 */
export default class Events extends MbcliCommand {
  static override summary = 'List the latest sightings of detectors, newest first.';
  static override description =
    'Without --detector_ids, the latest sightings of every registered detector ' +
    '(those `mbcli detectors list` shows). ' +
    'Devices appear as the pseudonyms the server stores, never as raw identifiers. ' +
    'With --follow, stored sightings are replayed and new ones printed as they arrive, until Ctrl-C.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> events',
    '<%= config.bin %> events --detector_ids a1,a2 --event_limit 10',
    '<%= config.bin %> events --detector_ids a1 --after 2026-01-30T08:00:00Z --before 2026-01-30T09:00:00Z --json',
    '<%= config.bin %> events --detector_ids a1 --follow',
  ];
  static override flags = {
    detector_ids: Flags.string({
      description: 'detectors to list (comma-separated or repeated); without it, every registered detector',
      multiple: true,
      delimiter: ',',
    }),
    event_limit: Flags.integer({ description: 'most sightings per detector', default: 1, min: 1 }),
    after: instantFlag({ description: 'only sightings at or after this time (RFC 3339, Unix seconds or -1h)' }),
    before: instantFlag({ description: 'only sightings before this time (RFC 3339, Unix seconds or -1h)' }),
    follow: Flags.boolean({ description: 'keep printing new sightings as they arrive', default: false }),
    stop_after: Flags.integer({
      description: 'with --follow: stop after printing this many sightings',
      min: 1,
    }),
  };

  async run(): Promise<EventRow[] | undefined> {
    const { flags } = await this.parse(Events);
    const settings = this.connectionSettings(flags);
    const range = requestRange(flags.after, flags.before);
    const limit = BigInt(flags.event_limit);
    if (flags.stop_after !== undefined && !flags.follow) {
      throw new InputError('--stop_after only applies with --follow; use --event_limit to bound a listing');
    }
    if (flags.detector_ids?.some((id) => id.trim() === '')) {
      throw new InputError('--detector_ids has an empty detector id; list ids separated by commas');
    }
    if (flags.follow && flags.detector_ids === undefined) {
      // A stream follows the detectors it names; one registered later would be silently missed.
      throw new InputError('--follow needs --detector_ids; `mbcli detectors list` shows the registered ones');
    }
    const client = queryClient(settings);
    const target = queryTarget(settings);
    try {
      if (flags.follow) {
        const request = query.GetEventsRequest.fromPartial({ detectorIds: flags.detector_ids, limit, range });
        await this.follow(client, target, request, flags.stop_after);
        return undefined;
      }
      const detectorIds = flags.detector_ids ?? (await registeredDetectorIds(client, target));
      if (detectorIds.length === 0) {
        this.log(NO_DETECTORS_HINT);
        return [];
      }
      const rows = eventRows(await latestSightings(client, target, detectorIds, limit, range));
      if (!this.jsonEnabled()) {
        this.log(
          rows.length > 0
            ? renderTable(EVENT_HEADERS, rows.map(eventCells))
            : flags.detector_ids === undefined
              ? `no sightings of the ${detectorIds.length} registered detectors`
              : 'no sightings',
        );
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

/** The range the operator gave, or none at all (see the class comment: the original's server). */
function requestRange(after: Timestamp | undefined, before: Timestamp | undefined): query.Range | undefined {
  if (after === undefined && before === undefined) return undefined;
  return query.Range.fromPartial({ after, before });
}

/** The ids of every detector ListDetectors lists; a server without it (the original's) is told apart. */
async function registeredDetectorIds(
  client: query.QueryServiceClient,
  target: ServiceTarget,
): Promise<string[]> {
  try {
    return (await listAllDetectors(client, target)).flatMap((detector) =>
      detector.loc === undefined ? [] : [detector.loc.detectorId],
    );
  } catch (error) {
    if (error instanceof ServiceCallError && error.cause.code === status.UNIMPLEMENTED) {
      throw new InputError(
        `the query service at ${target.host} cannot list detectors (the original's server?); ` +
          'name them with --detector_ids',
      );
    }
    throw error;
  }
}

/** GetEvents of `detectorIds`, a batch at a time, one after another (a scan each on the server). */
async function latestSightings(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  detectorIds: readonly string[],
  limit: bigint,
  range: query.Range | undefined,
): Promise<query.DetectionEvent[]> {
  const events: query.DetectionEvent[] = [];
  for (let start = 0; start < detectorIds.length; start += DETECTORS_PER_REQUEST) {
    const request = query.GetEventsRequest.fromPartial({
      detectorIds: detectorIds.slice(start, start + DETECTORS_PER_REQUEST),
      limit,
      range,
    });
    const response = await unaryCall<query.GetEventsResponse>(target, (metadata, options, done) =>
      client.getEvents(request, metadata, options, done),
    );
    events.push(...response.events);
  }
  return events;
}

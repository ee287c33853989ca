import { Flags, ux } from '@oclif/core';
import { query } from '@message-bus/proto';
import { MbcliCommand } from '../../lib/base-command';
import { exportEvents, type EventExport } from '../../lib/export/export-events';
import { CsvOutput, JSON_NEEDS_OUTPUT } from '../../lib/export/export-output';
import { queryClient, queryTarget } from '../../lib/connection/grpc-connection';
import { InputError } from '../../lib/input-error';
import { formatTimestamp } from '../../lib/display/time-format';
import { instantFlag } from '../../lib/flags/instant-flag';
import { nanosToTimestamp, timestampToNanos, NANOS_PER_MILLISECOND } from '@message-bus/domain';

/** What `--json` prints: where the CSV went (null: stdout), the sightings written, detectors cut at --limit. */
type EventExportJson = EventExport & { readonly output: string | null };

/** The most sightings per detector the query service returns by default (QueryLimits.maxLimitPerDetector). */
const SERVER_MAX_PER_DETECTOR = 100_000;

export default class ExportEvents extends MbcliCommand {
  static override summary = 'Write the sightings of detectors in a time range as CSV.';
  static override description =
    'Columns, named as the fields of `events --json`: detector, device (the pseudonym: the server never stores raw ' +
    'device ids), time (RFC 3339 UTC with nine fractional digits, exact), unixNanos (the same instant as an integer). ' +
    'Rows are oldest first across the detectors.\n\n' +
    'The range is --after (inclusive) to --before (exclusive, default now). Sightings are streamed (StreamEvents) and ' +
    'written as they arrive. At most --limit per detector, its newest in the range; a detector that reaches the limit ' +
    'is named on stderr, so narrow the range to get the rest.\n\n' +
    'With --json (which needs --output, as stdout then carries the JSON) a summary of what was written is printed.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> export events --detector_ids a1,a2 --after 2026-01-30T00:00:00Z --before 2026-01-31T00:00:00Z',
    '<%= config.bin %> export events --detector_ids a1 --after 2026-01-30T08:00:00Z --output a1-morning.csv',
    '<%= config.bin %> export events --detector_ids a1 --after 2026-01-30T08:00:00Z --output a1-morning.csv --json',
  ];
  static override flags = {
    detector_ids: Flags.string({
      description: 'detectors to export (comma-separated or repeated)',
      multiple: true,
      delimiter: ',',
      required: true,
    }),
    after: instantFlag({ description: 'sightings at or after this time (RFC 3339, Unix seconds or -1h)' }),
    before: instantFlag({ description: 'sightings before this time (RFC 3339, Unix seconds or -1h; default now)' }),
    limit: Flags.integer({
      description: 'most sightings per detector (the newest in the range)',
      default: SERVER_MAX_PER_DETECTOR,
      min: 1,
    }),
    output: Flags.string({ char: 'o', description: 'write the CSV to this file instead of stdout' }),
  };

  async run(): Promise<EventExportJson> {
    const { flags } = await this.parse(ExportEvents);
    if (this.jsonEnabled() && flags.output === undefined) throw new InputError(JSON_NEEDS_OUTPUT);
    if (flags.detector_ids.some((id) => id.trim() === '')) {
      throw new InputError('--detector_ids has an empty detector id; list ids separated by commas');
    }
    const { after } = flags;
    // A `before` makes StreamEvents end after the stored sightings instead of following new ones.
    const before = flags.before ?? nanosToTimestamp(BigInt(Date.now()) * NANOS_PER_MILLISECOND);
    if (after !== undefined && timestampToNanos(after) > timestampToNanos(before)) {
      throw new InputError(
        `--after ${formatTimestamp(after)} is later than --before; the range runs from --after to --before`,
      );
    }
    const request = query.GetEventsRequest.fromPartial({
      detectorIds: flags.detector_ids,
      range: { after, before },
      limit: BigInt(flags.limit),
    });
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    const output = CsvOutput.open(flags.output);
    try {
      const exported = await exportEvents(client, queryTarget(settings), request, output);
      await output.finish();
      for (const detector of exported.detectorsAtLimit) {
        ux.stderr(
          `mbcli: ${detector} has ${flags.limit} or more sightings in the range; only its newest ${flags.limit} were written. Narrow --after/--before or raise --limit`,
        );
      }
      if (flags.output !== undefined) this.log(`wrote ${exported.events} sightings to ${flags.output}`);
      return { output: flags.output ?? null, ...exported };
    } catch (error) {
      output.abandon();
      throw error;
    } finally {
      client.close();
    }
  }
}

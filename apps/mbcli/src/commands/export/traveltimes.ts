import { Flags } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { CsvOutput } from '../../lib/export/export-output';
import { exportTravelTimes, resolveLinkFlags } from '../../lib/export/export-travel-times';
import { queryClient, queryTarget } from '../../lib/connection/grpc-connection';
import { InputError } from '../../lib/input-error';
import { parseInstantFlag } from '../../lib/display/time-format';
import { timestampToNanos } from '@message-bus/domain';

/** The most estimates per link the query service returns by default (QueryLimits.maxLimitPerLink). */
const SERVER_MAX_PER_LINK = 100_000;

export default class ExportTravelTimes extends MbcliCommand {
  static override summary = 'Write travel-time estimates in a time range as CSV.';
  static override description =
    'Columns: source_detector_id, dest_detector_id, interval_end (RFC 3339 UTC, nine fractional digits), ' +
    'window_seconds, median_seconds, p15_seconds, p85_seconds, mean_seconds, valid_samples, total_samples, speed_kmh, ' +
    'status (ok, insufficient_data, stale, no_samples, all_rejected), route, route_method (matched, sum_of_links), ' +
    'typical_seconds, free_flow_seconds, ratio_to_typical, ratio_to_free_flow, level (free, moderate, heavy, severe). ' +
    'An empty cell is a statistic the window did not have; the route columns are empty on a link, the typical ' +
    'ones before the workers have a typical profile.\n\n' +
    'Every link ListLinks lists, or only the --link ones, then the --route ones; one by one, each one’s estimates ' +
    'oldest first, one GetTravelTimes each. The range applies to interval_end: --after inclusive, --before exclusive.';
  static override examples = [
    '<%= config.bin %> export traveltimes --after 2026-01-30T00:00:00Z --before 2026-01-31T00:00:00Z',
    '<%= config.bin %> export traveltimes --link a1:b1 --link b1:c1 --after 2026-01-30T00:00:00Z --output day.csv',
    '<%= config.bin %> export traveltimes --route east --after 2026-01-30T00:00:00Z',
  ];
  static override flags = {
    link: Flags.string({
      description: 'a link as SOURCE:DESTINATION (repeatable; default every link)',
      multiple: true,
    }),
    route: Flags.string({
      description: 'a route, by name (repeatable); with no --link, only the routes',
      multiple: true,
    }),
    after: Flags.string({
      description: 'estimates whose window ends at or after this time (ISO-8601 or Unix seconds)',
    }),
    before: Flags.string({
      description: 'estimates whose window ends before this time (ISO-8601 or Unix seconds)',
    }),
    limit: Flags.integer({
      description: 'most estimates per link (the newest in the range)',
      default: SERVER_MAX_PER_LINK,
      min: 1,
    }),
    output: Flags.string({ char: 'o', description: 'write the CSV to this file instead of stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExportTravelTimes);
    const after = flags.after === undefined ? undefined : parseInstantFlag('after', flags.after);
    const before = flags.before === undefined ? undefined : parseInstantFlag('before', flags.before);
    if (after !== undefined && before !== undefined && timestampToNanos(after) > timestampToNanos(before)) {
      throw new InputError(
        `--after ${flags.after} is later than --before; the range runs from --after to --before`,
      );
    }
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    const output = CsvOutput.open(flags.output);
    try {
      const links =
        flags.link === undefined
          ? undefined
          : await resolveLinkFlags(client, queryTarget(settings), flags.link);
      const exported = await exportTravelTimes(
        client,
        queryTarget(settings),
        {
          ...(links === undefined ? {} : { links }),
          ...(flags.route === undefined ? {} : { routes: flags.route }),
          range: { after, before },
          limit: flags.limit,
        },
        output,
      );
      await output.finish();
      for (const link of exported.linksAtLimit) {
        this.logToStderr(
          `mbcli: ${link.startsWith('route ') ? link : `link ${link}`} has ${flags.limit} or more estimates in the range; only its newest ${flags.limit} were written. Narrow --after/--before or raise --limit`,
        );
      }
      if (flags.output !== undefined) {
        const what =
          flags.route === undefined ? 'links' : flags.link === undefined ? 'routes' : 'links and routes';
        this.log(`wrote ${exported.estimates} estimates of ${exported.links} ${what} to ${flags.output}`);
      }
    } catch (error) {
      output.abandon();
      throw error;
    } finally {
      client.close();
    }
  }
}

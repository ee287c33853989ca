import { Flags, ux } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { CsvOutput, JSON_NEEDS_OUTPUT } from '../../lib/export/export-output';
import {
  exportTravelTimes,
  resolveLinkFlags,
  type TravelTimeExport,
} from '../../lib/export/export-travel-times';
import { queryClient, queryTarget } from '../../lib/connection/grpc-connection';
import { InputError } from '../../lib/input-error';
import { formatTimestamp } from '../../lib/display/time-format';
import { instantFlag } from '../../lib/flags/instant-flag';
import { timestampToNanos } from '@message-bus/domain';

/**
 * What `--json` prints: where the CSV went (null: stdout), the links and routes and the
 * estimates written, and those cut at --limit.
 */
type TravelTimeExportJson = TravelTimeExport & { readonly output: string | null };

/** The most estimates per link the query service returns by default (QueryLimits.maxLimitPerLink). */
const SERVER_MAX_PER_LINK = 100_000;

export default class ExportTravelTimes extends MbcliCommand {
  static override summary = 'Write travel-time estimates in a time range as CSV.';
  static override description =
    'Columns, named as the fields of `traveltimes --json`: source, destination, intervalEnd (RFC 3339 UTC, nine ' +
    'fractional digits), intervalEndUnixNanos, windowSeconds, medianSeconds, p15Seconds, p85Seconds, meanSeconds, ' +
    'validSamples, totalSamples, speedKmh, status (ok, insufficient_data, stale, no_samples, all_rejected), route, ' +
    'routeMethod (matched, sum_of_links), typicalSeconds, freeFlowSeconds, ratioToTypical, ratioToFreeFlow, ' +
    'level (free, moderate, heavy, severe). ' +
    'An empty cell is a statistic the window did not have; the route columns are empty on a link, the typical ' +
    'ones before the workers have a typical profile.\n\n' +
    'Every link ListLinks lists, or only the --link ones, then the --route ones; one by one, each one’s estimates ' +
    'oldest first, one GetTravelTimes each. The range applies to intervalEnd: --after inclusive, --before exclusive.\n\n' +
    'With --json (which needs --output, as stdout then carries the JSON) a summary of what was written is printed.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> export traveltimes --after 2026-01-30T00:00:00Z --before 2026-01-31T00:00:00Z',
    '<%= config.bin %> export traveltimes --link a1:b1 --link b1:c1 --after 2026-01-30T00:00:00Z --output day.csv',
    '<%= config.bin %> export traveltimes --route east --after 2026-01-30T00:00:00Z',
    '<%= config.bin %> export traveltimes --after 2026-01-30T00:00:00Z --output day.csv --json',
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
    after: instantFlag({
      description: 'estimates whose window ends at or after this time (RFC 3339, Unix seconds or -1h)',
    }),
    before: instantFlag({
      description: 'estimates whose window ends before this time (RFC 3339, Unix seconds or -1h)',
    }),
    limit: Flags.integer({
      description: 'most estimates per link (the newest in the range)',
      default: SERVER_MAX_PER_LINK,
      min: 1,
    }),
    output: Flags.string({ char: 'o', description: 'write the CSV to this file instead of stdout' }),
  };

  async run(): Promise<TravelTimeExportJson> {
    const { flags } = await this.parse(ExportTravelTimes);
    if (this.jsonEnabled() && flags.output === undefined) throw new InputError(JSON_NEEDS_OUTPUT);
    const { after, before } = flags;
    if (after !== undefined && before !== undefined && timestampToNanos(after) > timestampToNanos(before)) {
      throw new InputError(
        `--after ${formatTimestamp(after)} is later than --before; the range runs from --after to --before`,
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
        ux.stderr(
          `mbcli: ${link.startsWith('route ') ? link : `link ${link}`} has ${flags.limit} or more estimates in the range; only its newest ${flags.limit} were written. Narrow --after/--before or raise --limit`,
        );
      }
      if (flags.output !== undefined) {
        const what =
          flags.route === undefined ? 'links' : flags.link === undefined ? 'routes' : 'links and routes';
        this.log(`wrote ${exported.estimates} estimates of ${exported.links} ${what} to ${flags.output}`);
      }
      return { output: flags.output ?? null, ...exported };
    } catch (error) {
      output.abandon();
      throw error;
    } finally {
      client.close();
    }
  }
}

import { Flags, ux } from '@oclif/core';
import { query } from '@message-bus/proto';
import { abortableWait } from '../lib/abortable-wait';
import { MbcliCommand } from '../lib/base-command';
import { durationFlag } from '../lib/flags/duration-flag';
import { queryClient, queryTarget, unaryCall } from '../lib/connection/grpc-connection';
import { renderTable } from '../lib/display/table';
import { formatTimestamp } from '../lib/display/time-format';
import {
  travelTimeCells,
  travelTimeHeaders,
  travelTimeRows,
  type TravelTimeRow,
} from '../lib/display/travel-time-rows';

export default class TravelTimes extends MbcliCommand {
  static override summary =
    'Show the latest travel-time estimate of every link, of a route or of every route (GetLatestTravelTimes).';
  static override description =
    'MEDIAN and P15–P85 are over the valid samples of the estimate’s window; SAMPLES is valid/total; ' +
    'SPEED needs both detectors’ coordinates; LEVEL is the congestion level and VS TYPICAL the median over the ' +
    'typical travel time at this time of week (both once the workers have a typical profile); ' +
    'AGE is the time since the window ended.\n\n' +
    'With --route (or --routes: every route), the route’s estimate and its METHOD: matched (devices seen at both ends) or sum of links ' +
    '(too few matches: the links’ medians added up).\n\n' +
    'With --watch the table is refreshed every --interval seconds until Ctrl-C (with --json, one JSON array per line).';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> traveltimes',
    '<%= config.bin %> traveltimes --json',
    '<%= config.bin %> traveltimes --route east',
    '<%= config.bin %> traveltimes --routes --watch',
    '<%= config.bin %> traveltimes --watch --interval 30',
  ];
  static override flags = {
    route: Flags.string({
      description: 'the estimate of this route (see `mbcli routes list`) instead of every link',
      exclusive: ['routes'],
    }),
    routes: Flags.boolean({
      description: 'the estimate of every route instead of every link',
      default: false,
    }),
    watch: Flags.boolean({ description: 'refresh the table until Ctrl-C', default: false }),
    interval: durationFlag({
      description: 'with --watch: time between refreshes, like 30s or 5m (bare seconds too)',
      default: '10s',
      atLeastSeconds: 1,
    }),
    refreshes: Flags.integer({
      description: 'with --watch: stop after this many tables (for scripts)',
      min: 1,
    }),
  };

  async run(): Promise<TravelTimeRow[] | undefined> {
    const { flags } = await this.parse(TravelTimes);
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    const request = query.GetLatestTravelTimesRequest.fromPartial({
      links: {
        selector:
          flags.route !== undefined
            ? { $case: 'route', value: flags.route }
            : flags.routes
              ? { $case: 'allRoutes', value: true }
              : { $case: 'all', value: true },
      },
    });
    const nothing =
      flags.route !== undefined
        ? `no travel-time estimate of route ${flags.route} yet (see \`${this.config.bin} routes list\`)`
        : flags.routes
          ? `no route travel-time estimates yet (see \`${this.config.bin} routes list\`)`
          : 'no travel-time estimates yet (links need sightings at both ends)';
    const table = (rows: readonly TravelTimeRow[]) => (rows.length === 0 ? nothing : travelTimeTable(rows));
    const latest = async () => {
      const response = await unaryCall<query.GetTravelTimesResponse>(
        queryTarget(settings),
        (metadata, options, done) => client.getLatestTravelTimes(request, metadata, options, done),
      );
      return travelTimeRows(response.estimates, Date.now());
    };
    try {
      if (!flags.watch) {
        const rows = await latest();
        this.log(table(rows));
        return rows;
      }
      await this.watch(latest, table, flags.interval, flags.refreshes);
      return undefined;
    } finally {
      client.close();
    }
  }

  private async watch(
    latest: () => Promise<TravelTimeRow[]>,
    table: (rows: readonly TravelTimeRow[]) => string,
    intervalSeconds: number,
    refreshes?: number,
  ): Promise<void> {
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    // On a terminal each table replaces the last; in a pipe or a log they follow one another.
    const clearScreen = process.stdout.isTTY === true && !this.jsonEnabled();
    try {
      for (
        let shown = 0;
        !stop.signal.aborted && (refreshes === undefined || shown < refreshes);
        shown += 1
      ) {
        if (shown > 0) await abortableWait(intervalSeconds * 1000, stop.signal);
        if (stop.signal.aborted) break;
        const rows = await latest();
        if (this.jsonEnabled()) {
          ux.stdout(JSON.stringify(rows));
        } else {
          if (clearScreen) process.stdout.write('\x1b[H\x1b[2J');
          ux.stdout(
            `${formatTimestamp({ seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 })}\n${table(rows)}\n`,
          );
        }
      }
    } finally {
      process.removeListener('SIGINT', onInterrupt);
    }
  }
}

function travelTimeTable(rows: readonly TravelTimeRow[]): string {
  const headers = travelTimeHeaders(rows);
  const routes = headers[0] === 'ROUTE';
  return renderTable(
    headers,
    rows.map((row) => travelTimeCells(row, routes)),
  );
}

import { query } from '@message-bus/proto';
import { MbcliCommand } from '../lib/base-command';
import { queryClient, queryTarget, unaryCall } from '../lib/connection/grpc-connection';
import { listAllLinks } from '../lib/connection/paged-lists';
import { linkRows } from '../lib/display/link-rows';
import {
  reliabilityCells,
  reliabilityFigures,
  RELIABILITY_HEADERS,
  type ReliabilityFigures,
} from '../lib/display/reliability-rows';
import { renderTable } from '../lib/display/table';
import { exactTime, formatTimestamp } from '../lib/display/time-format';
import { requiredRangeFlags } from '../lib/display/time-range';
import {
  describeTarget,
  resolveTargetFlags,
  targetAndRangeFlags,
  wireTarget,
} from '../lib/traffic-target';

export interface ReliabilityResult extends ReliabilityFigures {
  /** `link` as SOURCE:DESTINATION, or `route`; the other is null. */
  readonly link: string | null;
  readonly route: string | null;
  /** The range, as RFC 3339 (exact) beside `…UnixNanos`. */
  readonly after: string;
  readonly afterUnixNanos: string;
  readonly before: string;
  readonly beforeUnixNanos: string;
}

export default class Reliability extends MbcliCommand {
  static override summary = 'Travel-time reliability of a link or route over a range (GetReliability).';
  static override description =
    'The FHWA measures, from the estimates with a median in the range and the free-flow travel time of the ' +
    'typical profile: TTI (travel time index) = mean / free flow; PTI (planning time index) = 95th percentile / ' +
    'free flow; BI (buffer index) = (95th percentile - mean) / mean, the extra time to allow to arrive on time ' +
    '19 times out of 20. INTERVALS is how many estimates they come from. TTI and PTI need a free-flow figure, ' +
    'which the workers compute with the typical profile once a target has a day of estimates; until then ' +
    'only BI, MEAN and P95 are given.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> reliability --route east --after 2026-01-26T00:00:00Z --before 2026-01-31T00:00:00Z',
    '<%= config.bin %> reliability --link a1:b1 --after 2026-01-30T06:00:00Z --json',
  ];
  static override flags = {
    ...targetAndRangeFlags,
  };

  async run(): Promise<ReliabilityResult> {
    const { flags } = await this.parse(Reliability);
    const range = requiredRangeFlags(flags, Date.now());
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const target = await resolveTargetFlags(flags, async () =>
        linkRows(await listAllLinks(client, queryTarget(settings))),
      );
      const reliability = await unaryCall<query.Reliability>(
        queryTarget(settings),
        (metadata, options, done) =>
          client.getReliability(
            query.GetReliabilityRequest.fromPartial({ target: wireTarget(target), range }),
            metadata,
            options,
            done,
          ),
      );
      const figures = reliabilityFigures(reliability);
      const [after, before] = [exactTime(range.after), exactTime(range.before)];
      const result: ReliabilityResult = {
        link: 'route' in target ? null : `${target.link.source}:${target.link.destination}`,
        route: 'route' in target ? target.route : null,
        after: after.rfc3339,
        afterUnixNanos: after.unixNanos,
        before: before.rfc3339,
        beforeUnixNanos: before.unixNanos,
        ...figures,
      };
      this.log(
        `reliability of ${describeTarget(target)}, ${formatTimestamp(range.after)} – ${formatTimestamp(range.before)}`,
      );
      this.log(renderTable(RELIABILITY_HEADERS, [reliabilityCells(figures)]));
      if (figures.intervals === 0) this.log('no estimates with a median in the range');
      else if (figures.freeFlowSeconds === null) {
        this.log('no free-flow figure yet (the workers compute it with the typical profile), so no TTI or PTI');
      }
      return result;
    } finally {
      client.close();
    }
  }
}


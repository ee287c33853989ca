import { writeFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import { nanosToTimestamp, timestampToNanos } from '@message-bus/domain';
import { query, type Timestamp } from '@message-bus/proto';
import { Flags } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { queryClient, queryTarget, unaryCall } from '../../lib/connection/grpc-connection';
import { listAllLinks } from '../../lib/connection/paged-lists';
import { ServiceCallError, type ServiceTarget } from '../../lib/connection/service-error';
import { exactTime, formatTimestamp } from '../../lib/display/time-format';
import { requiredRangeFlags } from '../../lib/display/time-range';
import { linkRows } from '../../lib/display/link-rows';
import {
  chartSegments,
  describeGaps,
  THIN_MEANING,
  type ChartPoint,
  type TravelTimeChart,
} from '../../lib/chart/travel-time-chart';
import { estimateStatusName, routeMethodName } from '../../lib/display/travel-time-rows';
import { renderSvgChart } from '../../lib/chart/travel-time-chart-svg';
import { renderTextChart } from '../../lib/chart/travel-time-chart-text';
import { typicalBand } from '../../lib/chart/typical-band';
import {
  resolveTargetFlags,
  targetAndRangeFlags,
  wireTarget,
  type TargetFlag,
} from '../../lib/traffic-target';

/** The most estimates one chart asks for: the query service's largest GetTravelTimes limit. */
const MAX_ESTIMATES = 100_000;
const NANOS_PER_MILLI = 1_000_000n;

/** A run of points; times as RFC 3339 beside `…UnixNanos` (the chart's points are whole milliseconds). */
interface ChartSegment {
  readonly start: string;
  readonly startUnixNanos: string;
  readonly end: string;
  readonly endUnixNanos: string;
  readonly points: {
    intervalEnd: string;
    intervalEndUnixNanos: string;
    medianSeconds: number;
    p15Seconds: number;
    p85Seconds: number;
    /** Drawn as thin (isThinEstimate); null on the typical band's points. */
    thin: boolean | null;
  }[];
}

export interface ChartResult {
  /** The link's ends, or the route's (from its estimates; empty when it has none in the range). */
  readonly source: string;
  readonly destination: string;
  /** The route charted; null for a link. */
  readonly route: string | null;
  /** How the route's latest estimate in the range was obtained: `matched` or `sum_of_links`; null for a link. */
  readonly routeMethod: string | null;
  readonly after: string;
  readonly afterUnixNanos: string;
  readonly before: string;
  readonly beforeUnixNanos: string;
  /** Estimates in the range, with or without a median. */
  readonly estimates: number;
  /** The runs drawn, oldest first; gaps lie between them. */
  readonly segments: ChartSegment[];
  /** The typical profile's band over the range (each bin as a flat step); null without a profile. */
  readonly typical: {
    readonly timeZone: string;
    readonly binMinutes: number;
    readonly segments: ChartSegment[];
  } | null;
  /** Why there are gaps, e.g. `gaps: 12 no samples, 3 all rejected`; null without gaps. */
  readonly gaps: string | null;
  /** The SVG file written; null when none was asked for or there was nothing to draw. */
  readonly svgFile: string | null;
}

export default class TravelTimesChart extends MbcliCommand {
  static override summary =
    "Chart a link's or route's median travel time and its p15–p85 band over time (GetTravelTimes).";
  static override description =
    'Draws one link or route in the terminal: the band as ░, the median as ●, ' +
    'travel time (m:ss, from 0) up, time (UTC) across. ' +
    'Intervals without an estimate, or whose estimate has no median, stay blank. ' +
    `A thin estimate (${THIN_MEANING}) shows its median as ○, ` +
    'and in the SVG as a hollow point on a dashed line. ' +
    'Once the workers have a typical profile of it (GetTypicalProfile), its typical p15–p85 band for each time of ' +
    'week shows behind as ·. ' +
    'With --svg the same chart is also written as an SVG file a browser shows.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> traveltimes chart --link a1:b1 --after 2026-01-30T06:00:00Z',
    '<%= config.bin %> traveltimes chart --link a1:b1 --after 2026-01-30T06:00:00Z --before 2026-01-30T10:00:00Z --svg morning.svg',
    '<%= config.bin %> traveltimes chart --link a1:b1 --after 1769752800 --width 120 --height 25',
    '<%= config.bin %> traveltimes chart --route east --after 2026-01-30T06:00:00Z --svg east.svg',
  ];
  static override flags = {
    ...targetAndRangeFlags,
    width: Flags.integer({
      description: 'chart width in columns; default the terminal width (80 when not a terminal)',
      min: 30,
    }),
    height: Flags.integer({ description: 'plot height in rows', default: 15, min: 5 }),
    svg: Flags.string({ description: 'also write the chart to this SVG file' }),
  };

  async run(): Promise<ChartResult> {
    const { flags } = await this.parse(TravelTimesChart);
    const { after, before } = requiredRangeFlags(flags, Date.now());
    const [start, end] = [toMillis(after), toMillis(before)];
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const target = await resolveTargetFlags(flags, async () =>
        linkRows(await listAllLinks(client, queryTarget(settings))),
      );
      const response = await unaryCall<query.GetTravelTimesResponse>(
        queryTarget(settings),
        (metadata, options, done) =>
          client.getTravelTimes(
            query.GetTravelTimesRequest.fromPartial({
              links: {
                selector:
                  'route' in target
                    ? { $case: 'route', value: target.route }
                    : {
                        $case: 'link',
                        value: {
                          sourceDetectorId: target.link.source,
                          destDetectorId: target.link.destination,
                        },
                      },
              },
              range: { after, before },
              limit: BigInt(MAX_ESTIMATES),
            }),
            metadata,
            options,
            done,
          ),
      );
      const profile = await typicalProfile(client, queryTarget(settings), target);
      const estimates = response.estimates.map((estimate) => ({
        time: toMillis(estimate.intervalEnd ?? { seconds: 0n, nanos: 0 }),
        medianSeconds: estimate.medianSeconds,
        p15Seconds: estimate.p15Seconds,
        p85Seconds: estimate.p85Seconds,
        status: estimateStatusName(estimate.status),
        validSamples: Number(estimate.validSamples),
      }));
      const segments = chartSegments(estimates);
      const gaps = describeGaps(estimates);
      const typical = profile === undefined ? [] : typicalBand(profile, start, end);
      const newest = response.estimates[response.estimates.length - 1];
      const ends =
        'route' in target
          ? {
              source: newest?.sourceDetectorId ?? '',
              destination: newest?.destDetectorId ?? '',
              route: target.route,
            }
          : target.link;
      const routeMethod = newest === undefined ? undefined : routeMethodName(newest.routeMethod);
      const chart: TravelTimeChart = {
        ...ends,
        start,
        end,
        segments,
        ...(typical.length > 0 && { typical }),
      };
      const [afterTime, beforeTime] = [exactTime(after), exactTime(before)];
      const result: ChartResult = {
        source: ends.source,
        destination: ends.destination,
        route: 'route' in target ? target.route : null,
        routeMethod: 'route' in target ? (routeMethod ?? null) : null,
        after: afterTime.rfc3339,
        afterUnixNanos: afterTime.unixNanos,
        before: beforeTime.rfc3339,
        beforeUnixNanos: beforeTime.unixNanos,
        estimates: response.estimates.length,
        segments: segments.map(describeSegment),
        typical:
          profile !== undefined && typical.length > 0
            ? {
                timeZone: profile.timeZone,
                binMinutes: profile.binMinutes,
                segments: typical.map(describeSegment),
              }
            : null,
        gaps: gaps ?? null,
        svgFile: flags.svg !== undefined && segments.length > 0 ? flags.svg : null,
      };
      const subject =
        'route' in target ? `route ${target.route}` : `${target.link.source} → ${target.link.destination}`;
      if (segments.length === 0) {
        this.log(
          `no estimates with a median for ${subject} between ${formatTimestamp(after)} and ${formatTimestamp(before)}; nothing to draw`,
        );
        if (gaps !== undefined) this.log(gaps);
        return result;
      }
      const width = flags.width ?? (process.stdout.isTTY ? process.stdout.columns : 80);
      this.log(renderTextChart(chart, { width, height: flags.height }));
      if (routeMethod !== undefined && 'route' in target) {
        this.log(`latest estimate: ${routeMethod.replaceAll('_', ' ')}`);
      }
      if (gaps !== undefined) this.log(gaps);
      if (response.estimates.length === MAX_ESTIMATES) {
        this.log(`showing the newest ${MAX_ESTIMATES} estimates only; narrow the range to see older ones`);
      }
      if (flags.svg !== undefined) {
        await writeFile(flags.svg, renderSvgChart(chart));
        this.log(`wrote ${flags.svg}`);
      }
      return result;
    } finally {
      client.close();
    }
  }
}

/**
 * The target's typical profile; undefined when the workers have not computed one yet
 * (NOT_FOUND) or the server predates profiles (UNIMPLEMENTED): the chart then has no band.
 */
async function typicalProfile(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  of: TargetFlag,
): Promise<query.TypicalProfile | undefined> {
  try {
    return await unaryCall<query.TypicalProfile>(target, (metadata, options, done) =>
      client.getTypicalProfile(
        query.GetTypicalProfileRequest.fromPartial({ target: wireTarget(of) }),
        metadata,
        options,
        done,
      ),
    );
  } catch (error) {
    if (
      error instanceof ServiceCallError &&
      (error.cause.code === status.NOT_FOUND || error.cause.code === status.UNIMPLEMENTED)
    ) {
      return undefined;
    }
    throw error;
  }
}

function toMillis(timestamp: Timestamp): number {
  return Number(timestampToNanos(timestamp) / NANOS_PER_MILLI);
}

function describeSegment(segment: readonly ChartPoint[]): ChartSegment {
  const exact = (millis: number) => exactTime(nanosToTimestamp(BigInt(millis) * NANOS_PER_MILLI));
  const [start, end] = [exact(segment[0]!.time), exact(segment[segment.length - 1]!.time)];
  return {
    start: start.rfc3339,
    startUnixNanos: start.unixNanos,
    end: end.rfc3339,
    endUnixNanos: end.unixNanos,
    points: segment.map((point) => {
      const intervalEnd = exact(point.time);
      return {
        intervalEnd: intervalEnd.rfc3339,
        intervalEndUnixNanos: intervalEnd.unixNanos,
        medianSeconds: point.median,
        p15Seconds: point.p15,
        p85Seconds: point.p85,
        thin: point.thin ?? null,
      };
    }),
  };
}

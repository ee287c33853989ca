import { writeFile } from 'node:fs/promises';
import { timestampToNanos } from '@message-bus/domain';
import { query, type Timestamp } from '@message-bus/proto';
import { Flags } from '@oclif/core';
import { MbcliCommand } from '../../lib/base-command';
import { queryClient, queryTarget, unaryCall } from '../../lib/connection/grpc-connection';
import { InputError } from '../../lib/input-error';
import { listAllLinks } from '../../lib/connection/paged-lists';
import { formatTimestamp, parseInstantFlag } from '../../lib/display/time-format';
import {
  chartSegments,
  describeGaps,
  type ChartPoint,
  type TravelTimeChart,
} from '../../lib/chart/travel-time-chart';
import { estimateStatusName } from '../../lib/display/travel-time-rows';
import { chooseListedReading, linkFlagReadings, type LinkEnds } from '../../lib/chart/travel-time-chart-link';
import { renderSvgChart } from '../../lib/chart/travel-time-chart-svg';
import { renderTextChart } from '../../lib/chart/travel-time-chart-text';

/** The most estimates one chart asks for: the query service's largest GetTravelTimes limit. */
const MAX_ESTIMATES = 100_000;
const NANOS_PER_MILLI = 1_000_000n;

export interface ChartResult {
  readonly source: string;
  readonly destination: string;
  readonly after: string;
  readonly before: string;
  /** Estimates in the range, with or without a median. */
  readonly estimates: number;
  /** The runs drawn, oldest first; gaps lie between them. */
  readonly segments: {
    readonly start: string;
    readonly end: string;
    readonly points: { intervalEnd: string; medianSeconds: number; p15Seconds: number; p85Seconds: number }[];
  }[];
  /** Why there are gaps, e.g. `gaps: 12 no samples, 3 all rejected`; absent without gaps. */
  readonly gaps?: string;
  readonly svgFile?: string;
}

export default class TravelTimesChart extends MbcliCommand {
  static override summary =
    "Chart a link's median travel time and its p15–p85 band over time (GetTravelTimes).";
  static override description =
    'Draws one link in the terminal: the band as ░, the median as ●, travel time (m:ss) up, time (UTC) across. ' +
    'Intervals without an estimate, or whose estimate has no median, stay blank. ' +
    'With --svg the same chart is also written as an SVG file a browser shows.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> traveltimes chart --link a1:b1 --after 2026-01-30T06:00:00Z',
    '<%= config.bin %> traveltimes chart --link a1:b1 --after 2026-01-30T06:00:00Z --before 2026-01-30T10:00:00Z --svg morning.svg',
    '<%= config.bin %> traveltimes chart --link a1:b1 --after 1769752800 --width 120 --height 25',
  ];
  static override flags = {
    link: Flags.string({ description: 'the link as SOURCE:DESTINATION detector ids', required: true }),
    after: Flags.string({
      description: 'start of the range (ISO-8601 or Unix seconds), inclusive',
      required: true,
    }),
    before: Flags.string({
      description: 'end of the range (ISO-8601 or Unix seconds), exclusive; default now',
    }),
    width: Flags.integer({
      description: 'chart width in columns; default the terminal width (80 when not a terminal)',
      min: 30,
    }),
    height: Flags.integer({ description: 'plot height in rows', default: 15, min: 5 }),
    svg: Flags.string({ description: 'also write the chart to this SVG file' }),
  };

  async run(): Promise<ChartResult> {
    const { flags } = await this.parse(TravelTimesChart);
    const after = parseInstantFlag('after', flags.after);
    const before =
      flags.before === undefined
        ? { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 }
        : parseInstantFlag('before', flags.before);
    const [start, end] = [toMillis(after), toMillis(before)];
    if (start >= end) {
      throw new InputError(
        `--after ${formatTimestamp(after)} is not before --before ${formatTimestamp(before)}`,
      );
    }
    const settings = this.connectionSettings(flags);
    const client = queryClient(settings);
    try {
      const link = await this.resolveLink(flags.link, client, settings);
      const response = await unaryCall<query.GetTravelTimesResponse>(
        queryTarget(settings),
        (metadata, options, done) =>
          client.getTravelTimes(
            query.GetTravelTimesRequest.fromPartial({
              links: {
                selector: {
                  $case: 'link',
                  value: { sourceDetectorId: link.source, destDetectorId: link.destination },
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
      const estimates = response.estimates.map((estimate) => ({
        time: toMillis(estimate.intervalEnd ?? { seconds: 0n, nanos: 0 }),
        medianSeconds: estimate.medianSeconds,
        p15Seconds: estimate.p15Seconds,
        p85Seconds: estimate.p85Seconds,
        status: estimateStatusName(estimate.status),
      }));
      const segments = chartSegments(estimates);
      const gaps = describeGaps(estimates);
      const chart: TravelTimeChart = { ...link, start, end, segments };
      const result: ChartResult = {
        ...link,
        after: formatTimestamp(after),
        before: formatTimestamp(before),
        estimates: response.estimates.length,
        segments: segments.map(describeSegment),
        ...(flags.svg !== undefined && segments.length > 0 && { svgFile: flags.svg }),
        ...(gaps !== undefined && { gaps }),
      };
      if (segments.length === 0) {
        this.log(
          `no estimates with a median for ${link.source} → ${link.destination} between ${result.after} and ${result.before}; nothing to draw`,
        );
        if (gaps !== undefined) this.log(gaps);
        return result;
      }
      const width = flags.width ?? (process.stdout.isTTY ? process.stdout.columns : 80);
      this.log(renderTextChart(chart, { width, height: flags.height }));
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

  /** The flag's link; a flag with several readings (ids may contain `:`) is resolved against ListLinks. */
  private async resolveLink(
    text: string,
    client: query.QueryServiceClient,
    settings: ReturnType<MbcliCommand['connectionSettings']>,
  ): Promise<LinkEnds> {
    const readings = linkFlagReadings(text);
    if (readings.length === 1) return readings[0]!;
    const listed = (await listAllLinks(client, queryTarget(settings))).flatMap((link) =>
      link.srcDetectors.map((source) => ({ source: source.detectorId, destination: link.destDetectorId })),
    );
    return chooseListedReading(text, readings, listed);
  }
}

function toMillis(timestamp: Timestamp): number {
  return Number(timestampToNanos(timestamp) / NANOS_PER_MILLI);
}

function describeSegment(segment: readonly ChartPoint[]): ChartResult['segments'][number] {
  const iso = (millis: number) => new Date(millis).toISOString();
  return {
    start: iso(segment[0]!.time),
    end: iso(segment[segment.length - 1]!.time),
    points: segment.map((point) => ({
      intervalEnd: iso(point.time),
      medianSeconds: point.median,
      p15Seconds: point.p15,
      p85Seconds: point.p85,
    })),
  };
}

import { formatNanosIso, timestampToNanos } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import type { CsvOutput } from './export-output';
import { unaryCall } from '../connection/grpc-connection';
import { linkRows } from '../display/link-rows';
import { listAllLinks } from '../connection/paged-lists';
import { chooseListedReading, linkFlagReadings, type LinkEnds } from '../chart/travel-time-chart-link';
import type { ServiceTarget } from '../connection/service-error';
import { travelTimeRows } from '../display/travel-time-rows';

/**
 * The travel-time CSV: one row per estimate, link by link, each link's oldest first.
 * `interval_end` is exact (RFC 3339, nine fractional digits); seconds and km/h are the
 * stored doubles printed in full; an empty cell is a statistic the window did not have.
 */
export const TRAVEL_TIME_CSV_HEADER = [
  'source_detector_id',
  'dest_detector_id',
  'interval_end',
  'window_seconds',
  'median_seconds',
  'p15_seconds',
  'p85_seconds',
  'mean_seconds',
  'valid_samples',
  'total_samples',
  'speed_kmh',
  'status',
] as const;

/**
 * The links `--link` flags name (SOURCE:DESTINATION). Detector ids may contain `:`, so a
 * flag with several readings is matched against the listed links, as `traveltimes chart` does.
 */
export async function resolveLinkFlags(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  flags: readonly string[],
): Promise<LinkEnds[]> {
  let listed: LinkEnds[] | undefined;
  const links: LinkEnds[] = [];
  for (const text of flags) {
    const readings = linkFlagReadings(text);
    if (readings.length === 1) links.push(readings[0]!);
    else links.push(chooseListedReading(text, readings, (listed ??= await listedLinks(client, target))));
  }
  return links;
}

export interface TravelTimeExport {
  readonly links: number;
  readonly estimates: number;
  /** Links that had `limit` estimates in the range: older ones may have been left out. */
  readonly linksAtLimit: readonly string[];
}

/**
 * Writes the estimates of the links (every listed link when `links` is undefined): one
 * GetTravelTimes per link, so each answer is one link's range, never all of them.
 */
export async function exportTravelTimes(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  options: { links?: readonly LinkEnds[]; range: query.Range; limit: number },
  output: CsvOutput,
): Promise<TravelTimeExport> {
  const links = options.links ?? (await listedLinks(client, target));
  await output.writeRow(TRAVEL_TIME_CSV_HEADER);
  let estimates = 0;
  const linksAtLimit: string[] = [];
  for (const link of links) {
    const request = query.GetTravelTimesRequest.fromPartial({
      links: {
        selector: {
          $case: 'link',
          value: { sourceDetectorId: link.source, destDetectorId: link.destination },
        },
      },
      range: options.range,
      limit: BigInt(options.limit),
    });
    const response = await unaryCall<query.GetTravelTimesResponse>(target, (metadata, callOptions, done) =>
      client.getTravelTimes(request, metadata, callOptions, done),
    );
    const rows = travelTimeRows(response.estimates, Date.now());
    for (const [index, estimate] of response.estimates.entries()) {
      await output.writeRow(travelTimeFields(estimate, rows[index]!.status));
    }
    estimates += response.estimates.length;
    if (response.estimates.length >= options.limit) linksAtLimit.push(`${link.source}:${link.destination}`);
  }
  return { links: links.length, estimates, linksAtLimit };
}

async function listedLinks(client: query.QueryServiceClient, target: ServiceTarget): Promise<LinkEnds[]> {
  return linkRows(await listAllLinks(client, target)).map(({ source, destination }) => ({
    source,
    destination,
  }));
}

function travelTimeFields(estimate: query.TravelTimeEstimate, status: string): string[] {
  const optional = (value: number | undefined) => (value === undefined ? '' : String(value));
  const intervalEnd =
    estimate.intervalEnd === undefined ? '' : formatNanosIso(timestampToNanos(estimate.intervalEnd));
  return [
    estimate.sourceDetectorId,
    estimate.destDetectorId,
    intervalEnd,
    estimate.windowSeconds.toString(),
    optional(estimate.medianSeconds),
    optional(estimate.p15Seconds),
    optional(estimate.p85Seconds),
    optional(estimate.meanSeconds),
    estimate.validSamples.toString(),
    estimate.totalSamples.toString(),
    optional(estimate.speedKmh),
    status,
  ];
}

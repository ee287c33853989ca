import { formatNanosIso, timestampToNanos } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import type { CsvOutput } from './export-output';
import { unaryCall } from '../connection/grpc-connection';
import { linkRows } from '../display/link-rows';
import { listAllLinks } from '../connection/paged-lists';
import { chooseListedReading, linkFlagReadings, type LinkEnds } from '../chart/travel-time-chart-link';
import type { ServiceTarget } from '../connection/service-error';
import { travelTimeRows, type TravelTimeRow } from '../display/travel-time-rows';

/**
 * The travel-time CSV: one row per estimate, link by link (then route by route), each
 * one's oldest first. `interval_end` is exact (RFC 3339, nine fractional digits); seconds
 * and km/h are the stored doubles printed in full; an empty cell is a statistic the
 * window did not have. The route and congestion columns come last, so a reader of the
 * older twelve columns still finds them where they were; they are empty on a link's
 * estimates and before a typical profile exists.
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
  'route',
  'route_method',
  'typical_seconds',
  'free_flow_seconds',
  'ratio_to_typical',
  'ratio_to_free_flow',
  'level',
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
  /** Links and routes written. */
  readonly links: number;
  readonly estimates: number;
  /** Links (`SRC:DEST`) and routes (`route NAME`) that had `limit` estimates in the range: older ones may have been left out. */
  readonly linksAtLimit: readonly string[];
}

/**
 * Writes the estimates of the links and then the routes (every listed link when neither
 * is given): one GetTravelTimes per link or route, so each answer is one range, never all
 * of them.
 */
export async function exportTravelTimes(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  options: { links?: readonly LinkEnds[]; routes?: readonly string[]; range: query.Range; limit: number },
  output: CsvOutput,
): Promise<TravelTimeExport> {
  const links = options.links ?? (options.routes === undefined ? await listedLinks(client, target) : []);
  const selections: { name: string; selector: query.LinkSelector['selector'] }[] = [
    ...links.map((link) => ({
      name: `${link.source}:${link.destination}`,
      selector: {
        $case: 'link' as const,
        value: { sourceDetectorId: link.source, destDetectorId: link.destination },
      },
    })),
    ...(options.routes ?? []).map((route) => ({
      name: `route ${route}`,
      selector: { $case: 'route' as const, value: route },
    })),
  ];
  await output.writeRow(TRAVEL_TIME_CSV_HEADER);
  let estimates = 0;
  const linksAtLimit: string[] = [];
  for (const selection of selections) {
    const request = query.GetTravelTimesRequest.fromPartial({
      links: { selector: selection.selector },
      range: options.range,
      limit: BigInt(options.limit),
    });
    const response = await unaryCall<query.GetTravelTimesResponse>(target, (metadata, callOptions, done) =>
      client.getTravelTimes(request, metadata, callOptions, done),
    );
    const rows = travelTimeRows(response.estimates, Date.now());
    for (const [index, estimate] of response.estimates.entries()) {
      await output.writeRow(travelTimeFields(estimate, rows[index]!));
    }
    estimates += response.estimates.length;
    if (response.estimates.length >= options.limit) linksAtLimit.push(selection.name);
  }
  return { links: selections.length, estimates, linksAtLimit };
}

async function listedLinks(client: query.QueryServiceClient, target: ServiceTarget): Promise<LinkEnds[]> {
  return linkRows(await listAllLinks(client, target)).map(({ source, destination }) => ({
    source,
    destination,
  }));
}

function travelTimeFields(estimate: query.TravelTimeEstimate, row: TravelTimeRow): string[] {
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
    row.status,
    row.route ?? '',
    row.routeMethod ?? '',
    optional(estimate.typicalSeconds),
    optional(estimate.freeFlowSeconds),
    optional(estimate.ratioToTypical),
    optional(estimate.ratioToFreeFlow),
    row.level ?? '',
  ];
}

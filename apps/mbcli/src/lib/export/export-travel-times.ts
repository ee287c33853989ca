import { query } from '@message-bus/proto';
import type { CsvOutput } from './export-output';
import { unaryCall } from '../connection/grpc-connection';
import { linkRows } from '../display/link-rows';
import { listAllLinks } from '../connection/paged-lists';
import { chooseListedReading, linkFlagReadings, type LinkEnds } from '../chart/travel-time-chart-link';
import type { ServiceTarget } from '../connection/service-error';
import { csvCells } from '../csv/csv-fields';
import { TRAVEL_TIME_CSV_COLUMNS, travelTimeRows } from '../display/travel-time-rows';

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
 * of them. One row per estimate, each link's or route's oldest first, with the columns
 * (and names) of `traveltimes --json` (TRAVEL_TIME_CSV_COLUMNS): `intervalEnd` is exact
 * (RFC 3339, nine fractional digits) beside `intervalEndUnixNanos`; seconds and km/h are
 * the stored doubles printed in full; an empty cell is a statistic the window did not
 * have (null in JSON). The route and congestion columns are empty on a link's estimates
 * and before a typical profile exists.
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
  await output.writeRow(TRAVEL_TIME_CSV_COLUMNS);
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
    for (const row of travelTimeRows(response.estimates, Date.now())) {
      await output.writeRow(csvCells(row, TRAVEL_TIME_CSV_COLUMNS));
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

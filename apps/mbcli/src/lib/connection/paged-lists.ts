import { query } from '@message-bus/proto';
import { unaryCall } from './grpc-connection';
import type { ServiceTarget } from './service-error';

/**
 * Every item of a paged list: reads the first page (empty token), then each
 * `next_page_token` until one is empty. A server from before paging answers everything
 * in one page without a token, so this reads it whole too.
 */
export async function allPages<Response extends { readonly nextPageToken: string }, Item>(
  readPage: (pageToken: string) => Promise<Response>,
  itemsOf: (page: Response) => readonly Item[],
): Promise<Item[]> {
  const items: Item[] = [];
  const seen = new Set<string>();
  let pageToken = '';
  do {
    const page = await readPage(pageToken);
    items.push(...itemsOf(page));
    pageToken = page.nextPageToken;
    // A token seen before would never end: a server bug, not something to wait out.
    if (seen.has(pageToken)) throw new Error(`the server repeated page token ${pageToken}`);
    seen.add(pageToken);
  } while (pageToken !== '');
  return items;
}

/** Every detector ListDetectors lists, page by page (the server's default page size). */
export function listAllDetectors(
  client: query.QueryServiceClient,
  target: ServiceTarget,
): Promise<query.DetectorSummary[]> {
  return allPages(
    (pageToken) =>
      unaryCall<query.ListDetectorsResponse>(target, (metadata, options, done) =>
        client.listDetectors(query.ListDetectorsRequest.fromPartial({ pageToken }), metadata, options, done),
      ),
    (page) => page.detectors,
  );
}

/** Every link ListLinks lists, or those into `destination`, page by page: one DetectorLink per destination. */
export function listAllLinks(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  destination = '',
): Promise<query.ListLinksResponse['links']> {
  return allPages(
    (pageToken) =>
      unaryCall<query.ListLinksResponse>(target, (metadata, options, done) =>
        client.listLinks(
          query.ListLinksRequest.fromPartial({ destDetectorId: destination, pageToken }),
          metadata,
          options,
          done,
        ),
      ),
    (page) => page.links,
  );
}

/** Every route ListRoutes lists, page by page, by name. */
export function listAllRoutes(
  client: query.QueryServiceClient,
  target: ServiceTarget,
): Promise<query.ListRoutesResponse['routes']> {
  return allPages(
    (pageToken) =>
      unaryCall<query.ListRoutesResponse>(target, (metadata, options, done) =>
        client.listRoutes(query.ListRoutesRequest.fromPartial({ pageToken }), metadata, options, done),
      ),
    (page) => page.routes,
  );
}

/** Every alert ListAlerts lists for `filter`, page by page, newest start first. */
export function listAllAlerts(
  client: query.QueryServiceClient,
  target: ServiceTarget,
  filter: Omit<query.ListAlertsRequest, 'pageToken' | 'pageSize'>,
): Promise<query.Alert[]> {
  return allPages(
    (pageToken) =>
      unaryCall<query.ListAlertsResponse>(target, (metadata, options, done) =>
        client.listAlerts(
          query.ListAlertsRequest.fromPartial({ ...filter, pageToken }),
          metadata,
          options,
          done,
        ),
      ),
    (page) => page.alerts,
  );
}

import { status } from '@grpc/grpc-js';
import type {
  AlertView,
  DetectorSightings,
  DetectorView,
  LinkView,
  NetworkSnapshot,
  RouteView,
  Series,
} from '@message-bus/dashboard-web';
import { query } from '@message-bus/proto';
import { isServiceError, unaryCall } from './query-connection';
import { ParamError } from './request-params';
import { typicalPoints } from './typical-points';
import { alertView, detectorView, estimateView, millisOf, timestampOf } from './views';

/** Pages of the largest size every QueryService list allows: a 500-link network is one page of each. */
const PAGE_SIZE = 1_000;
/** Estimates of one series: two weeks of one-minute intervals. */
export const SERIES_LIMIT = 20_160;
/** Alerts in one answer of `/api/alerts`, newest first. */
export const ALERTS_LIMIT = 1_000;
/** Sightings counted for one detector's bins; more and the answer says `truncated`. */
export const SIGHTINGS_LIMIT = 50_000;
export const SIGHTING_BIN_SECONDS = 300;
const MILLIS_PER_SECOND = 1000;

const ALL_LINKS: query.LinkSelector = { selector: { $case: 'all', value: true } };
const ALL_ROUTES: query.LinkSelector = { selector: { $case: 'allRoutes', value: true } };

export interface SeriesTarget {
  readonly link?: { readonly source: string; readonly destination: string };
  readonly route?: string;
}

export interface AlertFilter {
  readonly kinds: readonly query.AlertKind[];
  readonly minSeverity: query.AlertSeverity;
  readonly openOnly: boolean;
  readonly after?: number | undefined;
  readonly before?: number | undefined;
}

/**
 * What the dashboard reads from QueryService, turned into the pages' shapes. Every call
 * carries a deadline; failures reject with the gRPC ServiceError (httpFailure maps it).
 */
export class DashboardQueries {
  constructor(private readonly client: query.QueryServiceClient) {}

  /** The first screen in one answer: the lists and the latest estimates, read in parallel. */
  async network(
    now: number,
    tile: { url?: string | undefined; attribution?: string | undefined },
    login: boolean,
  ): Promise<NetworkSnapshot> {
    const [detectors, links, routes, latestLinks, latestRoutes, alerts] = await Promise.all([
      this.detectors(),
      this.allPages((pageToken) =>
        unaryCall<query.ListLinksResponse>((metadata, options, done) =>
          this.client.listLinks(
            { destDetectorId: '', pageSize: PAGE_SIZE, pageToken },
            metadata,
            options,
            done,
          ),
        ).then((page) => ({ items: page.links, next: page.nextPageToken })),
      ),
      this.allPages((pageToken) =>
        unaryCall<query.ListRoutesResponse>((metadata, options, done) =>
          this.client.listRoutes({ pageSize: PAGE_SIZE, pageToken }, metadata, options, done),
        ).then((page) => ({ items: page.routes, next: page.nextPageToken })),
      ),
      this.latest(ALL_LINKS),
      this.latest(ALL_ROUTES),
      this.alerts({ kinds: [], minSeverity: query.AlertSeverity.ALERT_SEVERITY_UNSPECIFIED, openOnly: true }),
    ]);
    const linkLatest = new Map(
      latestLinks.map((estimate) => [linkKey(estimate.sourceDetectorId, estimate.destDetectorId), estimate]),
    );
    const routeLatest = new Map(latestRoutes.map((estimate) => [estimate.route, estimate]));
    const linkViews: LinkView[] = links.flatMap((link) =>
      link.srcDetectors.map((source) => {
        const latest = linkLatest.get(linkKey(source.detectorId, link.destDetectorId));
        return {
          source: source.detectorId,
          destination: link.destDetectorId,
          maxSeconds: Number(source.maxSeconds),
          ...(latest === undefined ? {} : { latest: estimateView(latest) }),
        };
      }),
    );
    const routeViews: RouteView[] = routes.map((route) => {
      const latest = routeLatest.get(route.name);
      return {
        name: route.name,
        detectors: route.detectorIds,
        ...(latest === undefined ? {} : { latest: estimateView(latest) }),
      };
    });
    return {
      generatedAt: new Date(now).toISOString(),
      login,
      ...(tile.url === undefined ? {} : { tileUrl: tile.url }),
      ...(tile.attribution === undefined ? {} : { tileAttribution: tile.attribution }),
      detectors,
      links: linkViews,
      routes: routeViews,
      alerts,
    };
  }

  async detectors(): Promise<DetectorView[]> {
    const summaries = await this.allPages((pageToken) =>
      unaryCall<query.ListDetectorsResponse>((metadata, options, done) =>
        this.client.listDetectors({ pageSize: PAGE_SIZE, pageToken }, metadata, options, done),
      ).then((page) => ({ items: page.detectors, next: page.nextPageToken })),
    );
    return summaries.flatMap((summary) => detectorView(summary) ?? []);
  }

  /** Newest first, at most ALERTS_LIMIT. */
  async alerts(filter: AlertFilter): Promise<AlertView[]> {
    const range =
      filter.after === undefined && filter.before === undefined
        ? undefined
        : {
            after: filter.after === undefined ? undefined : timestampOf(filter.after),
            before: filter.before === undefined ? undefined : timestampOf(filter.before),
          };
    const alerts = await this.allPages(
      (pageToken) =>
        unaryCall<query.ListAlertsResponse>((metadata, options, done) =>
          this.client.listAlerts(
            {
              range,
              kinds: [...filter.kinds],
              minSeverity: filter.minSeverity,
              openOnly: filter.openOnly,
              pageSize: ALERTS_LIMIT,
              pageToken,
            },
            metadata,
            options,
            done,
          ),
        ).then((page) => ({ items: page.alerts, next: page.nextPageToken })),
      ALERTS_LIMIT,
    );
    return alerts.map(alertView);
  }

  /** Exactly GetTravelTimes's estimates for the range, and the typical band at each. */
  async series(target: SeriesTarget, after: number, before: number): Promise<Series> {
    const links: query.LinkSelector =
      target.route !== undefined
        ? { selector: { $case: 'route', value: target.route } }
        : {
            selector: {
              $case: 'link',
              value: {
                sourceDetectorId: target.link?.source ?? '',
                destDetectorId: target.link?.destination ?? '',
              },
            },
          };
    const trafficTarget: query.TrafficTarget = {
      target:
        target.route !== undefined
          ? { $case: 'route', value: target.route }
          : { $case: 'link', value: (links.selector as { value: query.LinkRef }).value },
    };
    const [answer, profile] = await Promise.all([
      unaryCall<query.GetTravelTimesResponse>((metadata, options, done) =>
        this.client.getTravelTimes(
          {
            links,
            range: { after: timestampOf(after), before: timestampOf(before) },
            limit: BigInt(SERIES_LIMIT),
          },
          metadata,
          options,
          done,
        ),
      ),
      this.typicalProfile(trafficTarget),
    ]);
    const estimates = answer.estimates.map(estimateView);
    return {
      target: target.route !== undefined ? { route: target.route } : { link: target.link },
      after: new Date(after).toISOString(),
      before: new Date(before).toISOString(),
      estimates,
      typical: typicalPoints(profile, estimates),
    };
  }

  /**
   * Sightings per 5-minute bin over the last `minutes`: counts only. The device ids the
   * answer carries are dropped right here and never leave this function.
   */
  async sightings(detectorId: string, minutes: number, now: number): Promise<DetectorSightings> {
    const binMillis = SIGHTING_BIN_SECONDS * MILLIS_PER_SECOND;
    const end = Math.floor(now / binMillis) * binMillis + binMillis;
    const start = end - Math.ceil((minutes * 60 * MILLIS_PER_SECOND) / binMillis) * binMillis;
    const answer = await unaryCall<query.GetEventsResponse>((metadata, options, done) =>
      this.client.getEvents(
        {
          detectorIds: [detectorId],
          range: { after: timestampOf(start), before: timestampOf(end) },
          limit: BigInt(SIGHTINGS_LIMIT),
        },
        metadata,
        options,
        done,
      ),
    );
    const counts = new Array<number>((end - start) / binMillis).fill(0);
    let sightings = 0;
    for (const event of answer.events) {
      for (const time of event.time) {
        const bin = Math.floor((millisOf(time) - start) / binMillis);
        if (bin >= 0 && bin < counts.length) counts[bin] = (counts[bin] ?? 0) + 1;
        sightings += 1;
      }
    }
    return {
      detectorId,
      binSeconds: SIGHTING_BIN_SECONDS,
      bins: counts.map((count, index) => ({
        start: new Date(start + index * binMillis).toISOString(),
        count,
      })),
      truncated: sightings >= SIGHTINGS_LIMIT,
    };
  }

  private latest(links: query.LinkSelector): Promise<query.TravelTimeEstimate[]> {
    return unaryCall<query.GetTravelTimesResponse>((metadata, options, done) =>
      this.client.getLatestTravelTimes({ links }, metadata, options, done),
    ).then((answer) => answer.estimates);
  }

  /** The profile, or undefined while none exists yet. */
  private async typicalProfile(target: query.TrafficTarget): Promise<query.TypicalProfile | undefined> {
    try {
      return await unaryCall<query.TypicalProfile>((metadata, options, done) =>
        this.client.getTypicalProfile({ target }, metadata, options, done),
      );
    } catch (error) {
      if (isServiceError(error) && error.code === status.NOT_FOUND) return undefined;
      throw error;
    }
  }

  /** Every page of a paged list (or the first `limit` items). */
  private async allPages<Item>(
    page: (pageToken: string) => Promise<{ items: Item[]; next: string }>,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let pageToken = '';
    do {
      const answer = await page(pageToken);
      items.push(...answer.items);
      pageToken = answer.next;
    } while (pageToken !== '' && items.length < limit);
    return items.slice(0, limit);
  }
}

function linkKey(source: string, destination: string): string {
  return `${source}\u0000${destination}`;
}

/** A link (`source`, `destination`) or a `route`, exactly one. */
export function seriesTarget(
  source: string | undefined,
  destination: string | undefined,
  route: string | undefined,
): SeriesTarget {
  if (route !== undefined) {
    if (source !== undefined || destination !== undefined) {
      throw new ParamError('route', 'give either route or source and destination, not both');
    }
    return { route };
  }
  if (source === undefined) throw new ParamError('source', 'required (with destination), or give route');
  if (destination === undefined) throw new ParamError('destination', 'required with source');
  return { link: { source, destination } };
}

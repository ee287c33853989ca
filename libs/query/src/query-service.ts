import {
  ALERT_SEVERITIES,
  NANOS_PER_MILLISECOND,
  parseDetectorId,
  reliabilityOf,
  type Alert,
  type Coordinates,
  type DetectorHealth,
  type DetectorId,
  type DetectorLink,
  type DetectorStatus,
  type OriginDestinationMatrix,
  type ReliabilityFigures,
  type Route,
  type Sighting,
  type TrafficTarget,
  type TravelTimeEstimate,
  type TypicalProfile,
  type UnixNanos,
  ValidationError,
} from '@message-bus/domain';
import type { Repository, TimeRange } from '@message-bus/repository';
import type { Logger } from '@message-bus/server-kit';
import { AnswerLocalDeviceIds, type DeviceIdDisclosure } from './answer-local-device-ids';
import { replayThenFollow } from './event-stream';
import {
  alertPosition,
  compareIds,
  pageOf,
  parsePageRequest,
  type Page,
  type PageRequestInput,
} from './list-paging';
import {
  isRouteSelection,
  isSelected,
  parseLinkSelection,
  selectedLinks,
  selectedRoutes,
  type LinksOnlySelection,
  type LinkSelection,
  type LinkSelectorInput,
} from './link-selection';
import {
  parseDetectorQuery,
  parseRange,
  parseTravelTimeQuery,
  type DetectorQueryInput,
  type TravelTimeQueryInput,
} from './query-arguments';
import { resolveQueryLimits, type QueryLimits } from './query-limits';
import {
  parseRecomputeRange,
  recomputeAndReport,
  type RecomputeProgress,
  type RecomputeRequestInput,
} from './recompute-travel-times';
import { SightingGrouper, type GroupedSightings } from './sighting-groups';
import { NoTypicalProfileError } from './traffic/no-typical-profile-error';
import {
  parseClosedRange,
  parseOriginDestinationQuery,
  parseTrafficTarget,
  type AlertFilter,
  type ClosedRange,
  type OriginDestinationInput,
  type TrafficTargetInput,
} from './traffic/traffic-arguments';
import { countTrips } from './traffic/trip-count';

export interface QueryServiceOptions {
  readonly repository: Repository;
  readonly logger: Logger;
  /** Overrides of `DEFAULT_QUERY_LIMITS`; e.g. `{ maxDetectorIds: 20 }`. */
  readonly limits?: Partial<QueryLimits>;
  /**
   * How long the store keeps raw sightings (the `--retention` option), e.g. `604_800`
   * (168 h): RecomputeTravelTimes refuses ranges older than that.
   */
  readonly eventRetentionSeconds: number;
  /** The server's clock in unix nanoseconds; default the system clock (millisecond resolution). */
  readonly clock?: () => UnixNanos;
}

const systemClock = (): UnixNanos => BigInt(Date.now()) * NANOS_PER_MILLISECOND;

/** How often a RecomputeTravelTimes call reads the pending ranges to report progress. */
const RECOMPUTE_POLL_MS = 500;

/** One detector's battery voltages in a range, newest first. */
export interface VoltageReport {
  readonly detectorId: DetectorId;
  readonly voltages: number[];
}

/**
 * A detector's position and, when it has reported any, its latest status; and its
 * health once the workers have judged it.
 */
export interface DetectorOverview {
  readonly detectorId: DetectorId;
  readonly coordinates: Coordinates;
  readonly latestStatus?: DetectorStatus;
  readonly health?: DetectorHealth;
}

/** An origin–destination matrix and the detectors it covers, in the order asked. */
export interface OriginDestinationAnswer extends OriginDestinationMatrix {
  readonly detectorIds: readonly DetectorId[];
}

/** The reliability figures of a target over a range. */
export interface ReliabilityAnswer {
  readonly target: TrafficTarget;
  readonly range: ClosedRange;
  readonly figures: ReliabilityFigures;
}

/** A ListAlerts request as the wire carries it, the enums already in domain terms. */
export interface AlertListInput extends AlertFilter, PageRequestInput {
  /** Alerts open at some time in it; either side may be open. */
  readonly range?: TimeRange;
  readonly openOnly: boolean;
}

/** Status look-ups in flight at once while listing detectors. */
const STATUS_LOOKUP_CONCURRENCY = 16;
/**
 * Detectors whose voltages are read at once. Fewer than for ListDetectors: each may hand
 * back up to `maxLimitPerDetector` whole status reports before their voltages are taken.
 */
const VOLTAGE_LOOKUP_CONCURRENCY = 4;

/**
 * The QueryService use cases, in domain terms: what clients read back. Every method
 * validates its input first and throws a domain `ValidationError` naming the wire field,
 * or the repository's typed errors; the gRPC handlers map both with `toGrpcError`.
 */
export class QueryService {
  readonly limits: QueryLimits;
  private readonly repository: Repository;
  private readonly logger: Logger;
  private readonly eventRetentionSeconds: number;
  private readonly clock: () => UnixNanos;

  constructor(options: QueryServiceOptions) {
    this.repository = options.repository;
    this.logger = options.logger;
    this.limits = resolveQueryLimits(options.limits);
    this.eventRetentionSeconds = options.eventRetentionSeconds;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The newest `limit` sightings of each detector in the range, grouped by (detector,
   * device); see `groupSightings` for the order. With `deviceIds: 'answer_local'` the
   * groups carry ids that hold within this answer only (`AnswerLocalDeviceIds`). When
   * `signal` aborts, the reading stops at the next page and the call rejects with its reason.
   */
  async getEvents(
    input: DetectorQueryInput,
    deviceIds: DeviceIdDisclosure = 'pseudonyms',
    signal?: AbortSignal,
  ): Promise<GroupedSightings> {
    const query = parseDetectorQuery(input, this.limits);
    const { maxSightingsPerAnswer } = this.limits;
    const grouper = new SightingGrouper();
    for await (const page of this.repository.events.listPages({ ...query, order: 'newest_first' })) {
      signal?.throwIfAborted();
      for (const sighting of page) grouper.add(sighting);
      // Checked per page: the store's reads stop there, and what is held is bounded.
      if (grouper.sightingCount > maxSightingsPerAnswer) {
        throw answerTooLarge(
          `${maxSightingsPerAnswer} sightings`,
          'GetEvents',
          'lower limit, narrow range or detector_ids, or read them with StreamEvents and range.before set',
        );
      }
    }
    const grouped = grouper.grouped();
    if (deviceIds === 'pseudonyms') return grouped;
    return { ...grouped, deviceIds: await new AnswerLocalDeviceIds().idsOf(grouped.deviceIds) };
  }

  /**
   * The replay of the range, oldest first, then (without `before`) live sightings until
   * `signal` aborts; see `replayThenFollow`. Validates at once, before the first read.
   * With `deviceIds: 'answer_local'` the ids hold for this stream only. `onReplayed` is
   * called once the replay is sent, when the stream turns to following.
   */
  streamEvents(
    input: DetectorQueryInput,
    signal: AbortSignal,
    deviceIds: DeviceIdDisclosure = 'pseudonyms',
    onReplayed?: () => void,
  ): AsyncIterable<Sighting> {
    const query = parseDetectorQuery(input, this.limits);
    this.logger.debug(
      { detectors: query.detectorIds.length, live: query.range.before === undefined },
      'event stream started',
    );
    const sightings = replayThenFollow(
      this.repository.events,
      query,
      signal,
      this.limits.maxSightingsPerLiveReplay,
      onReplayed,
    );
    return deviceIds === 'pseudonyms' ? sightings : withAnswerLocalIds(sightings);
  }

  /**
   * One report per detector, in the order asked, each with its newest `limit` voltages in
   * the range. When `signal` aborts, no further detectors are read.
   */
  async getBatteryVoltage(input: DetectorQueryInput, signal?: AbortSignal): Promise<VoltageReport[]> {
    const query = parseDetectorQuery(input, this.limits);
    const { maxVoltagesPerAnswer } = this.limits;
    const reports: VoltageReport[] = [];
    let voltages = 0;
    // A few detectors at a time, keeping only their voltages, so a selection of more than
    // an answer holds stops reading there.
    for (let start = 0; start < query.detectorIds.length; start += VOLTAGE_LOOKUP_CONCURRENCY) {
      signal?.throwIfAborted();
      const batch = query.detectorIds.slice(start, start + VOLTAGE_LOOKUP_CONCURRENCY);
      const read = await Promise.all(
        batch.map(async (detectorId) => {
          const statuses = await this.repository.detectors.listStatus({
            detectorId,
            range: query.range,
            limit: query.limitPerDetector,
            order: 'newest_first',
          });
          return { detectorId, voltages: statuses.map((status) => status.batteryVoltage) };
        }),
      );
      for (const report of read) {
        reports.push(report);
        voltages += report.voltages.length;
      }
      if (voltages > maxVoltagesPerAnswer) {
        throw answerTooLarge(
          `${maxVoltagesPerAnswer} voltages`,
          'GetBatteryVoltage',
          'lower limit, or narrow range or detector_ids',
        );
      }
    }
    return reports;
  }

  /**
   * One page of the detectors with a position, by detector id, each with its latest
   * status report; see `parsePageRequest` for `page_size` and `page_token`.
   *
   * The repository port has no range read of coordinates, so every position is read
   * (a few dozen bytes each) and the page is cut here from the sorted list; the costly
   * part, a status look-up per detector, is done for the page's detectors only.
   */
  async listDetectors(
    input: PageRequestInput = { pageSize: 0, pageToken: '' },
  ): Promise<Page<DetectorOverview>> {
    const request = parsePageRequest('detectors', input, this.pageSizes());
    const sorted = (await this.repository.detectors.listCoordinates()).sort((a, b) =>
      compareIds(a.detectorId, b.detectorId),
    );
    const page = pageOf('detectors', sorted, (entry) => entry.detectorId, request);
    const positioned = page.items;
    // One read of every health record per page: a record is a few dozen bytes, one per detector.
    const healthOf = new Map(
      page.items.length === 0
        ? []
        : (await this.repository.detectorHealth.list()).map((health) => [health.detectorId, health]),
    );
    const overviews: DetectorOverview[] = [];
    for (let start = 0; start < positioned.length; start += STATUS_LOOKUP_CONCURRENCY) {
      const batch = positioned.slice(start, start + STATUS_LOOKUP_CONCURRENCY);
      const latest = await Promise.all(
        batch.map(({ detectorId }) => this.repository.detectors.listStatus({ detectorId, limit: 1 })),
      );
      batch.forEach(({ detectorId, coordinates }, index) => {
        const latestStatus = latest[index]?.[0];
        const health = healthOf.get(detectorId);
        overviews.push({
          detectorId,
          coordinates,
          ...(latestStatus === undefined ? {} : { latestStatus }),
          ...(health === undefined ? {} : { health }),
        });
      });
    }
    return { ...page, items: overviews };
  }

  /**
   * One page of the links, or of those into one destination (`dest_detector_id` on the
   * wire; empty means all), ordered by destination, then source. A page holds the links
   * of up to `page_size` destinations, each destination's links whole.
   *
   * The repository port lists links without a range read, so the page is cut here from
   * the sorted list (links are small and few next to sightings).
   */
  async listLinks(
    destination?: string,
    input: PageRequestInput = { pageSize: 0, pageToken: '' },
  ): Promise<Page<DetectorLink[]>> {
    const destinationId =
      destination === undefined || destination === ''
        ? undefined
        : parseDetectorId(destination, 'dest_detector_id');
    const request = parsePageRequest('links', input, this.pageSizes());
    const links = (await this.repository.links.list(destinationId)).sort(
      (a, b) => compareIds(a.destination, b.destination) || compareIds(a.source, b.source),
    );
    return pageOf('links', groupByDestination(links), (group) => group[0]!.destination, request);
  }

  /** The page sizes of a list, whose items may allow fewer per page than `maxPageSize`. */
  private pageSizes(maxSize = this.limits.maxPageSize): { defaultSize: number; maxSize: number } {
    return { defaultSize: Math.min(this.limits.defaultPageSize, maxSize), maxSize };
  }

  /**
   * The estimates of the selected links (or routes) whose interval end is in the range,
   * the newest `limit` of each, link by link (by destination, then source, when the
   * selection is resolved through the links; routes by name), each one's oldest first:
   * the order a chart draws. Links or routes without estimates in the range are absent.
   * When `signal` aborts, no further links or routes are read.
   */
  async getTravelTimes(input: TravelTimeQueryInput, signal?: AbortSignal): Promise<TravelTimeEstimate[]> {
    const query = parseTravelTimeQuery(input, this.limits);
    const { maxEstimatesPerAnswer } = this.limits;
    const { selection } = query;
    const newestFirst: TravelTimeEstimate[] = [];
    const reads = isRouteSelection(selection)
      ? (await selectedRoutes(this.repository.routes, selection)).map(
          (route) => () =>
            this.repository.routeTravelTimes.list({
              routes: [route],
              range: query.range,
              limitPerRoute: query.limitPerLink,
              order: 'newest_first',
            }),
        )
      : (await selectedLinks(this.repository.links, selection)).map(
          (link) => () =>
            this.repository.travelTimes.list({
              links: [link],
              range: query.range,
              limitPerLink: query.limitPerLink,
              order: 'newest_first',
            }),
        );
    // One by one, so a selection of more than an answer holds stops reading there.
    for (const read of reads) {
      signal?.throwIfAborted();
      for (const estimate of await read()) newestFirst.push(estimate);
      if (newestFirst.length > maxEstimatesPerAnswer) {
        throw answerTooLarge(
          `${maxEstimatesPerAnswer} estimates`,
          'GetTravelTimes',
          isRouteSelection(selection)
            ? 'lower limit, narrow range, or select one route (links.route)'
            : 'lower limit, narrow range, or select fewer links (links.dest_detector_id or links.link)',
        );
      }
    }
    return oldestFirstPerLink(newestFirst);
  }

  /** The newest estimate of each selected link or route, in selection order; those without one are absent. */
  async getLatestTravelTimes(links: LinkSelectorInput | undefined): Promise<TravelTimeEstimate[]> {
    const selection = parseLinkSelection(links);
    if (!isRouteSelection(selection)) {
      return this.repository.travelTimes.latest(await selectedLinks(this.repository.links, selection));
    }
    const routes = await selectedRoutes(this.repository.routes, selection);
    // An empty list asks the port for every route's; no route listed means none.
    return routes.length === 0 ? [] : this.repository.routeTravelTimes.latest(routes);
  }

  /**
   * Estimates of the selected links (or routes) as they are put from this call on, in
   * commit order, until `signal` aborts. The selection filters each estimate rather than
   * resolving the links once, so a link or route created later is followed too.
   * Validates at once.
   */
  streamTravelTimes(
    links: LinkSelectorInput | undefined,
    signal: AbortSignal,
  ): AsyncIterable<TravelTimeEstimate> {
    const selection = parseLinkSelection(links);
    this.logger.debug({ links: selection.kind }, 'travel-time stream started');
    // Called now rather than on the first read, so nothing put after this call is missed.
    const followed = isRouteSelection(selection)
      ? this.repository.routeTravelTimes.follow(signal)
      : this.repository.travelTimes.follow(signal);
    return onlySelected(followed, (estimate) => isSelected(selection, estimate));
  }

  /**
   * Asks the travel-time workers to estimate the selected links' intervals ending in the
   * range again, and reports how far they have got until they are done or `signal` aborts
   * (the work goes on); see `recomputeAndReport`. Validates the request's form at once;
   * a selection without links or a range outside the retained time is refused with
   * `RecomputeRefusedError`.
   */
  recomputeTravelTimes(input: RecomputeRequestInput, signal: AbortSignal): AsyncIterable<RecomputeProgress> {
    const selection = linksToRecompute(parseLinkSelection(input.links));
    const range = parseRecomputeRange(input.range, {
      now: this.clock(),
      eventRetentionSeconds: this.eventRetentionSeconds,
    });
    const context = { repository: this.repository, logger: this.logger, pollMs: RECOMPUTE_POLL_MS };
    return recomputeAndReport(context, selection, range, signal);
  }

  /**
   * One page of the routes, by name; see `parsePageRequest` for `page_size` and
   * `page_token` (at most `maxRoutesPerPage`: a route is up to 3.4 KB on the wire).
   */
  async listRoutes(input: PageRequestInput = { pageSize: 0, pageToken: '' }): Promise<Page<Route>> {
    const request = parsePageRequest('routes', input, this.pageSizes(this.limits.maxRoutesPerPage));
    // The port lists routes whole (a few dozen, each under 4 KB); the page is cut here.
    const sorted = (await this.repository.routes.list()).sort((a, b) => compareIds(a.name, b.name));
    return pageOf('routes', sorted, (route) => route.name, request);
  }

  /**
   * Trips between the detectors over the range; see `countTrips` for what is read and
   * held. When `signal` aborts, the reading stops at the next page.
   */
  async getOriginDestination(
    input: OriginDestinationInput,
    signal?: AbortSignal,
  ): Promise<OriginDestinationAnswer> {
    const query = parseOriginDestinationQuery(input);
    const matrix = await countTrips(
      this.repository.events,
      query,
      this.limits.maxSightingsPerOriginDestination,
      signal,
    );
    return { detectorIds: query.detectorIds, ...matrix };
  }

  /** The target's typical profile; `NoTypicalProfileError` before the workers computed one. */
  async getTypicalProfile(input: TrafficTargetInput): Promise<TypicalProfile> {
    const target = parseTrafficTarget(input);
    const profile = await this.repository.profiles.get(target);
    if (profile === undefined) throw new NoTypicalProfileError(target);
    return profile;
  }

  /**
   * The FHWA reliability figures of the target's stored estimates whose interval end is
   * in the range, against its typical profile's free-flow figure. Before the workers
   * have computed a profile (or when it has no free-flow figure) the answer still gives
   * the mean, the 95th percentile and the buffer index, which need no free flow, and
   * leaves the travel time and planning time indices out: an engineer looking at a new
   * corridor learns its spread on the first day instead of being refused.
   * At most `maxEstimatesPerAnswer` estimates are read; a range holding more is refused.
   */
  async getReliability(
    input: { readonly target: TrafficTargetInput; readonly range?: TimeRange },
    signal?: AbortSignal,
  ): Promise<ReliabilityAnswer> {
    const target = parseTrafficTarget(input.target);
    const range = parseClosedRange(input.range);
    const profile = await this.repository.profiles.get(target);
    signal?.throwIfAborted();
    const { maxEstimatesPerAnswer } = this.limits;
    // One more than the most, to tell a range that holds too many.
    const estimates =
      target.kind === 'link'
        ? await this.repository.travelTimes.list({
            links: [{ source: target.source, destination: target.destination }],
            range,
            limitPerLink: maxEstimatesPerAnswer + 1,
          })
        : await this.repository.routeTravelTimes.list({
            routes: [target.route],
            range,
            limitPerRoute: maxEstimatesPerAnswer + 1,
          });
    if (estimates.length > maxEstimatesPerAnswer) {
      throw new ValidationError(
        'out_of_range',
        'range',
        `holds more than ${maxEstimatesPerAnswer} estimates, the most one GetReliability reads; narrow it`,
      );
    }
    return { target, range, figures: reliabilityOf(estimates, profile?.freeFlowSeconds) };
  }

  /**
   * One page of the alerts matching the request, newest start first (then by id); see
   * `parsePageRequest` for `page_size` and `page_token` (at most `maxAlertsPerPage`). The port lists the matching
   * alerts whole (alerts are few: raised per condition, not per interval) and the page
   * is cut here; a token is a position, so a walk neither repeats nor skips an alert.
   */
  async listAlerts(input: AlertListInput): Promise<Page<Alert>> {
    const request = parsePageRequest('alerts', input, this.pageSizes(this.limits.maxAlertsPerPage));
    const range = parseRange(input.range);
    const alerts = await this.repository.alerts.list({
      range,
      kinds: input.kinds,
      ...(input.minSeverity === undefined ? {} : { minSeverity: input.minSeverity }),
      openOnly: input.openOnly,
    });
    const positioned = alerts
      .map((alert) => ({ position: alertPosition(alert.start, alert.id), alert }))
      .sort((a, b) => compareIds(a.position, b.position));
    const page = pageOf('alerts', positioned, (entry) => entry.position, request);
    return { ...page, items: page.items.map((entry) => entry.alert) };
  }

  /** Alerts as they are raised, updated or cleared from this call on, filtered, until `signal` aborts. */
  streamAlerts(filter: AlertFilter, signal: AbortSignal): AsyncIterable<Alert> {
    this.logger.debug({ kinds: filter.kinds, minSeverity: filter.minSeverity }, 'alert stream started');
    const followed = this.repository.alerts.follow(signal);
    return onlySelected(followed, (alert) => alertMatches(filter, alert));
  }
}

/** Whether an alert is of a chosen kind (none chosen: any) and at least the least severity asked. */
function alertMatches(filter: AlertFilter, alert: Alert): boolean {
  if (filter.kinds.length > 0 && !filter.kinds.includes(alert.kind)) return false;
  if (filter.minSeverity === undefined) return true;
  return ALERT_SEVERITIES.indexOf(alert.severity) >= ALERT_SEVERITIES.indexOf(filter.minSeverity);
}

/**
 * The workers recompute links' intervals from raw sightings; a route's estimates follow
 * from its links', so a route is refused here with the way to recompute it.
 */
function linksToRecompute(selection: LinkSelection): LinksOnlySelection {
  if (!isRouteSelection(selection)) return selection;
  throw new ValidationError(
    'unknown_value',
    selection.kind === 'route' ? 'links.route' : 'links.all_routes',
    'RecomputeTravelTimes recomputes links, not routes; select the links of the route ' +
      '(links.link or links.dest_detector_id, or links.all)',
  );
}

/** Refuses a request selecting more than `most` (e.g. `500000 sightings`) for one answer of `rpc`. */
function answerTooLarge(most: string, rpc: string, wayOut: string): ValidationError {
  return new ValidationError(
    'out_of_range',
    'limit',
    `selects more than ${most} in all, the most one ${rpc} answer holds; ${wayOut}`,
  );
}

/** Links sorted by destination, as one non-empty run per destination. */
function groupByDestination(links: readonly DetectorLink[]): DetectorLink[][] {
  const groups: DetectorLink[][] = [];
  for (const link of links) {
    const last = groups.at(-1);
    if (last !== undefined && last[0]!.destination === link.destination) last.push(link);
    else groups.push([link]);
  }
  return groups;
}

/** A link-by-link (or route-by-route) list, each newest first, turned to each oldest first. */
function oldestFirstPerLink(estimates: readonly TravelTimeEstimate[]): TravelTimeEstimate[] {
  const runs: TravelTimeEstimate[][] = [];
  for (const estimate of estimates) {
    const run = runs.at(-1);
    const first = run?.[0];
    const sameLink =
      first !== undefined &&
      first.route === estimate.route &&
      first.source === estimate.source &&
      first.destination === estimate.destination;
    if (run !== undefined && sameLink) run.push(estimate);
    else runs.push([estimate]);
  }
  return runs.flatMap((run) => run.reverse());
}

async function* onlySelected<Item>(
  items: AsyncIterable<Item>,
  selected: (item: Item) => boolean,
): AsyncGenerator<Item> {
  for await (const item of items) if (selected(item)) yield item;
}

/** The stream with each device id replaced by its id for this stream alone; the previous period's is dropped. */
async function* withAnswerLocalIds(sightings: AsyncIterable<Sighting>): AsyncGenerator<Sighting> {
  const ids = new AnswerLocalDeviceIds();
  for await (const { detectorId, deviceId, time } of sightings) {
    yield { detectorId, deviceId: ids.idOf(deviceId), time };
  }
}

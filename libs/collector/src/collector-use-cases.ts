import {
  DEVICE_KINDS,
  NANOS_PER_MILLISECOND,
  parseRoute,
  parseRouteName,
  routeLinks,
  ValidationError,
  type DetectorId,
  type Pseudonymiser,
  type UnixNanos,
} from '@message-bus/domain';
import type { collector } from '@message-bus/proto';
import type { Repository } from '@message-bus/repository';
import type { Logger, ServerMetrics } from '@message-bus/server-kit';
import {
  acceptCoordinates,
  acceptDetectorLinkDeletion,
  acceptDetectorLinks,
  acceptDetectorStatus,
} from './detector-requests';
import {
  acceptEventLog,
  emptyCounts,
  EventLogRejection,
  REJECTION_REASONS,
  type AcceptedEventLog,
  type SightingCounts,
} from './event-log';
import { GroupCommitWriter, type PendingWrites } from './group-commit-writer';

/** The collector's limits; every field has a default (`DEFAULT_COLLECTOR_LIMITS`). */
export interface CollectorLimits {
  /** How far ahead of the receiver's clock a sighting or report time may be, in seconds; e.g. `300`. */
  readonly maxAheadSeconds: number;
  /** Most sightings, one per (event, time) pair, in one EventLog; e.g. `10_000`. */
  readonly maxSightingsPerLog: number;
  /** Most sightings grouped into one store append across concurrent calls; e.g. `10_000`. */
  readonly maxSightingsPerAppend: number;
  /** Store appends running at once; e.g. `2`. Calls arriving meanwhile are grouped into the next. */
  readonly maxAppendsInFlight: number;
  /**
   * Sightings of one StreamEventLog call accepted but not yet committed; e.g. `10_000`.
   * At this many the server stops reading the stream until the oldest log is committed
   * (one log is always taken, however large). Enough to keep group commit fed while a
   * commit waits for the disk, few enough to bound a stream's memory.
   */
  readonly maxSightingsInFlightPerStream: number;
  /** Most source detectors in one CreateDetectorLink; e.g. `1_000`. */
  readonly maxSourcesPerLink: number;
}

export const DEFAULT_COLLECTOR_LIMITS: Readonly<CollectorLimits> = {
  maxAheadSeconds: 300,
  maxSightingsPerLog: 10_000,
  maxSightingsPerAppend: 10_000,
  maxAppendsInFlight: 2,
  maxSightingsInFlightPerStream: 10_000,
  maxSourcesPerLink: 1_000,
};

export interface CollectorUseCasesOptions {
  /** Where everything is stored; e.g. a `KvRepository` over etcd or lmdb. */
  readonly repository: Repository;
  /** Replaces raw device ids before anything stores them; all collectors of one store share its secret. */
  readonly pseudonymiser: Pseudonymiser;
  /** Counts ingested and rejected sightings and times store calls. */
  readonly metrics: ServerMetrics;
  /** Rejections and store failures are logged here, never with a raw device id. */
  readonly logger: Logger;
  /** The receiver's clock in unix nanoseconds; default the system clock (millisecond resolution). */
  readonly clock?: () => UnixNanos;
  /** Overrides of `DEFAULT_COLLECTOR_LIMITS`, e.g. `{ maxAheadSeconds: 60 }`. */
  readonly limits?: Partial<CollectorLimits>;
  /**
   * How long the store keeps raw sightings (the `--retention` option), e.g. `604_800`:
   * older sightings are refused. They would expire at once, and accepting them let a
   * writer choose any past day's pseudonym key (see docs/privacy.md). Unset: any age.
   */
  readonly eventRetentionSeconds?: number;
}

/** A consecutive pair of a route that is not a stored link: `detector_ids[index]` → `detector_ids[index + 1]`. */
export interface MissingRouteLink {
  readonly index: number;
  readonly source: DetectorId;
  readonly destination: DetectorId;
}

const systemClock = (): UnixNanos => BigInt(Date.now()) * NANOS_PER_MILLISECOND;

/**
 * What the CollectorService does, independent of gRPC: validates whole requests before
 * storing any part of them, pseudonymises device ids on receipt, and resolves only once
 * the store has committed. Sightings of concurrent calls share store appends (group commit).
 * Errors: domain `ValidationError` (an `EventLogRejection` for event logs) for bad input,
 * the repository's `StoreError`s for store failures.
 */
export class CollectorUseCases {
  readonly limits: Readonly<CollectorLimits>;
  readonly #repository: Repository;
  readonly #pseudonymiser: Pseudonymiser;
  readonly #metrics: ServerMetrics;
  readonly #logger: Logger;
  readonly #clock: () => UnixNanos;
  readonly #eventRetentionSeconds: number | undefined;
  readonly #writer: GroupCommitWriter;

  constructor(options: CollectorUseCasesOptions) {
    this.limits = resolveLimits(options.limits ?? {});
    this.#repository = options.repository;
    this.#pseudonymiser = options.pseudonymiser;
    this.#metrics = options.metrics;
    this.#metrics.initialiseSightingCounts(REJECTION_REASONS);
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#eventRetentionSeconds = options.eventRetentionSeconds;
    this.#writer = new GroupCommitWriter({
      append: (sightings) =>
        this.#metrics.timeStoreOperation('events.append', () => this.#repository.events.append(sightings)),
      maxSightingsPerAppend: this.limits.maxSightingsPerAppend,
      maxAppendsInFlight: this.limits.maxAppendsInFlight,
    });
  }

  /** Stores one log's sightings; resolves with their counts once committed. Nothing is stored if any part is invalid. */
  async createEventLog(log: collector.EventLog): Promise<SightingCounts> {
    const accepted = this.#accept(log, undefined);
    await this.#store(accepted);
    return accepted.counts;
  }

  /**
   * Stores the logs of a stream as they arrive, pulling the next log only while fewer
   * than `maxSightingsInFlightPerStream` are waiting for the store: a slow store slows the
   * reader, which is what pushes back on the sender. Resolves with the sightings stored
   * per kind once the stream has ended and every log is committed.
   *
   * On an invalid log k (or a store failure) the stream is read no further and nothing
   * after it is stored; the call first waits for logs 0..k-1 to settle, so when it
   * rejects with the `log k: ...` error, those are committed. If one of them failed
   * instead, it rejects with that store error. Resending the whole stream is safe: a
   * sighting's key derives from (detector, device, time), so it is stored once.
   */
  async ingestEventLogStream(logs: AsyncIterable<collector.EventLog>): Promise<SightingCounts> {
    const counts = emptyCounts();
    const inFlight: { readonly stored: Promise<void>; readonly sightings: number }[] = [];
    let sightingsInFlight = 0;
    let storeFailure: { error: unknown } | undefined;
    let position = 0;
    let readFailure: { error: unknown } | undefined;
    try {
      for await (const log of logs) {
        const accepted = this.#accept(log, position);
        position += 1;
        const stored = this.#store(accepted).then(
          () => addCounts(counts, accepted.counts),
          (error: unknown) => {
            storeFailure ??= { error };
          },
        );
        inFlight.push({ stored, sightings: accepted.sightings.length });
        sightingsInFlight += accepted.sightings.length;
        while (sightingsInFlight >= this.limits.maxSightingsInFlightPerStream) {
          const oldest = inFlight.shift()!;
          await oldest.stored;
          sightingsInFlight -= oldest.sightings;
        }
        if (storeFailure !== undefined) break;
      }
    } catch (error) {
      readFailure = { error };
    }
    // Settle what was accepted before answering, whatever ended the stream. A store
    // failure of an earlier log outranks a later invalid log: those logs are not stored.
    await Promise.all(inFlight.map(({ stored }) => stored));
    if (storeFailure !== undefined) throw storeFailure.error;
    if (readFailure !== undefined) throw readFailure.error;
    return counts;
  }

  /** Stores a link from each source to the destination; every source is validated before any link is written. */
  async createDetectorLink(request: collector.DetectorLink): Promise<void> {
    const links = this.#validate('CreateDetectorLink', () =>
      acceptDetectorLinks(request, this.limits.maxSourcesPerLink),
    );
    await Promise.all(
      links.map((link) =>
        this.#metrics.timeStoreOperation('links.put', () => this.#repository.links.put(link)),
      ),
    );
  }

  /**
   * Removes the link from `src_detector_id` to `dest_detector_id`; resolves to whether it
   * existed. Its travel-time estimates are kept, as estimates outlive their links.
   */
  async deleteDetectorLink(request: collector.DeleteDetectorLinkRequest): Promise<boolean> {
    const { destination, source } = this.#validate('DeleteDetectorLink', () =>
      acceptDetectorLinkDeletion(request),
    );
    return this.#metrics.timeStoreOperation('links.delete', () =>
      this.#repository.links.delete(destination, source),
    );
  }

  /**
   * Stores the route, or replaces its detectors, once every consecutive pair is a stored
   * link; resolves to the first pair that is not (and stores nothing then), or undefined.
   */
  async createRoute(request: collector.Route): Promise<MissingRouteLink | undefined> {
    const route = this.#validate('CreateRoute', () =>
      parseRoute(
        { name: request.name, detectorIds: request.detectorIds },
        { name: 'name', detectorIds: 'detector_ids' },
      ),
    );
    const pairs = routeLinks(route);
    const sourcesOf = await Promise.all(
      pairs.map(({ destination }) =>
        this.#metrics.timeStoreOperation('links.list', () => this.#repository.links.list(destination)),
      ),
    );
    const missing = pairs.findIndex(
      ({ source }, index) => !sourcesOf[index]!.some((link) => link.source === source),
    );
    if (missing >= 0) return { index: missing, ...pairs[missing]! };
    await this.#metrics.timeStoreOperation('routes.put', () => this.#repository.routes.put(route));
    return undefined;
  }

  /** Removes the route named; resolves to whether it existed. Its estimates stay until they expire. */
  async deleteRoute(request: collector.DeleteRouteRequest): Promise<boolean> {
    const name = this.#validate('DeleteRoute', () => parseRouteName(request.name, 'name'));
    return this.#metrics.timeStoreOperation('routes.delete', () => this.#repository.routes.delete(name));
  }

  async createCoordinates(request: collector.Coordinates): Promise<void> {
    const entry = this.#validate('CreateCoordinates', () => acceptCoordinates(request));
    await this.#metrics.timeStoreOperation('detectors.putCoordinates', () =>
      this.#repository.detectors.putCoordinates(entry),
    );
  }

  /** Stores a status report at its `time`, or at the receive time when `time` is unset. */
  async createDetectorStatus(request: collector.DetectorStatus): Promise<void> {
    const status = this.#validate('CreateDetectorStatus', () =>
      acceptDetectorStatus(request, { now: this.#clock(), maxAheadSeconds: this.limits.maxAheadSeconds }),
    );
    await this.#metrics.timeStoreOperation('detectors.appendStatus', () =>
      this.#repository.detectors.appendStatus(status),
    );
  }

  /** Sightings accepted but not yet committed, e.g. for a gauge or a shutdown log line. */
  get pendingWrites(): PendingWrites {
    return this.#writer.pending;
  }

  /** Refuses new event logs and resolves once every accepted sighting is committed (or has failed). */
  close(): Promise<void> {
    return this.#writer.close();
  }

  /** Validates and pseudonymises a log; `position` is its index in a stream. */
  #accept(log: collector.EventLog, position: number | undefined): AcceptedEventLog {
    try {
      return acceptEventLog(log, {
        pseudonymiser: this.#pseudonymiser,
        now: this.#clock(),
        maxAheadSeconds: this.limits.maxAheadSeconds,
        ...(this.#eventRetentionSeconds === undefined ? {} : { maxAgeSeconds: this.#eventRetentionSeconds }),
        maxSightingsPerLog: this.limits.maxSightingsPerLog,
      });
    } catch (error) {
      if (!(error instanceof EventLogRejection)) throw error;
      this.#metrics.countRejected(error.reason, error.sightingCount);
      this.#logger.info(
        {
          reason: error.reason,
          field: error.field,
          sightings: error.sightingCount,
          streamPosition: position,
        },
        'event log rejected',
      );
      throw position === undefined ? error : error.within(`log ${position}`);
    }
  }

  async #store(accepted: AcceptedEventLog): Promise<void> {
    await this.#writer.write(accepted.sightings);
    for (const kind of DEVICE_KINDS) {
      const count = accepted.counts[kind];
      if (count > 0) this.#metrics.countIngested(kind, count);
    }
  }

  #validate<T>(rpc: string, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof ValidationError) {
        this.#logger.info({ rpc, code: error.code, field: error.field }, 'request rejected');
      }
      throw error;
    }
  }
}

function addCounts(total: SightingCounts, more: SightingCounts): void {
  for (const kind of DEVICE_KINDS) total[kind] += more[kind];
}

function resolveLimits(overrides: Partial<CollectorLimits>): CollectorLimits {
  const limits = { ...DEFAULT_COLLECTOR_LIMITS, ...overrides };
  const { maxAheadSeconds, ...counts } = limits;
  if (!Number.isFinite(maxAheadSeconds) || maxAheadSeconds < 0) {
    throw new RangeError(
      `CollectorLimits.maxAheadSeconds must be a finite number ≥ 0, got ${maxAheadSeconds}`,
    );
  }
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`CollectorLimits.${name} must be a positive integer, got ${value}`);
    }
  }
  return limits;
}

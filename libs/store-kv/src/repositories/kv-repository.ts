import type {
  AlertRepository,
  DetectorHealthRepository,
  DetectorRepository,
  EventRepository,
  LinkRepository,
  Repository,
  StoreHealth,
  TravelTimeRepository,
  RecomputeQueue,
  RouteRepository,
  RouteTravelTimeRepository,
  TypicalProfileRepository,
} from '@message-bus/repository';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { NANOS_PER_MILLISECOND, type UnixNanos } from '@message-bus/domain';
import { Keyspace } from '../keys/keyspace';
import type { KvBackend } from '../kv-backend';
import { KvAlertRepository } from './kv-alert-repository';
import { KvDetectorHealthRepository } from './kv-detector-health-repository';
import { KvDetectorRepository } from './kv-detector-repository';
import { KvEventRepository } from './kv-event-repository';
import { KvLinkRepository } from './kv-link-repository';
import { KvRecomputeQueue } from './kv-recompute-queue';
import { KvRouteRepository } from './kv-route-repository';
import { KvRouteTravelTimeRepository } from './kv-route-travel-time-repository';
import { KvStore } from './kv-store';
import { KvTravelTimeRepository } from './kv-travel-time-repository';
import { KvTypicalProfileRepository } from './kv-typical-profile-repository';
import type { MalformedRecordHandler } from './malformed-records';

const SECONDS_PER_DAY = 24 * 60 * 60;
/** Seven days, the retention of raw events unless configured otherwise. */
export const DEFAULT_EVENT_RETENTION_SECONDS = 7 * SECONDS_PER_DAY;
/** 90 days of travel-time estimates: a season to compare against, and bounded growth (one per link per interval). */
export const DEFAULT_TRAVEL_TIME_RETENTION_SECONDS = 90 * SECONDS_PER_DAY;
/** 30 days of detector status reports: a month of battery history. */
export const DEFAULT_STATUS_RETENTION_SECONDS = 30 * SECONDS_PER_DAY;
/** 14 days of typical profiles after their last put: a target no longer computed drops out. */
export const DEFAULT_PROFILE_RETENTION_SECONDS = 14 * SECONDS_PER_DAY;
/** 90 days of alerts after their last put (raised, updated or cleared): a season of incidents. */
export const DEFAULT_ALERT_RETENTION_SECONDS = 90 * SECONDS_PER_DAY;
/** A third of the workers' default 30-second lag: 20 s left for a write's latency and clock skew. */
export const DEFAULT_LATE_AFTER_SECONDS = 10;

/**
 * How a `KvRepository` names its keys and how long it keeps what expires (links,
 * coordinates, routes and detector health never do).
 */
export interface KvRepositoryOptions {
  /**
   * The namespace every key starts with, one segment like a detector id: `tdc` gives
   * `/tdc/detectors/...`. Use the original system's `--etcd.prefix` to share its data.
   */
  readonly prefix: string;
  /**
   * How long raw events are kept, in seconds, counted from the end of their 100-second
   * time bucket (so every event is kept at least this long). Default 604800 (7 days).
   */
  readonly eventRetentionSeconds?: number;
  /**
   * How long travel-time estimates are kept, in seconds, counted from the end of the
   * 27.8-hour window their interval end falls in (see `TimeWindowExpiries`). Default
   * 7776000 (90 days).
   */
  readonly travelTimeRetentionSeconds?: number;
  /** How long detector status reports are kept, counted likewise. Default 2592000 (30 days). */
  readonly statusRetentionSeconds?: number;
  /**
   * How long a typical profile is kept after its last put, in seconds (rounded up to the
   * hour). Default 1209600 (14 days). Route estimates are kept like link estimates.
   */
  readonly profileRetentionSeconds?: number;
  /** How long an alert is kept after its last put (raised, updated or cleared), likewise. Default 7776000 (90 days). */
  readonly alertRetentionSeconds?: number;
  /**
   * Sightings appended more than this many seconds after their time are late: they mark
   * their bucket for the travel-time workers to recompute (see `RecomputeQueue`). Keep it
   * below the workers' lag by more than a write's latency and the clocks' skew, so that
   * no sighting is unmarked yet too late for its interval. Default 10.
   */
  readonly lateAfterSeconds?: number;
  /** The current time, for telling late sightings and expiring profiles and alerts; e.g. `() => BigInt(Date.now()) * 1_000_000n` (the default). */
  readonly clock?: () => UnixNanos;
  /** Called for each stored record a read skips as malformed, e.g. `(key, reason) => log.warn(...)`. */
  readonly onMalformedRecord?: MalformedRecordHandler;
}

/**
 * The repository port implemented once over any ordered KV backend (etcd, lmdb), in
 * the keyspace of `Keyspace`. Reads skip malformed records instead of failing; they
 * are counted in `malformedRecordsSkipped`.
 */
export class KvRepository implements Repository {
  readonly events: EventRepository;
  readonly links: LinkRepository;
  readonly detectors: DetectorRepository;
  readonly travelTimes: TravelTimeRepository;
  readonly recompute: RecomputeQueue;
  readonly routes: RouteRepository;
  readonly routeTravelTimes: RouteTravelTimeRepository;
  readonly profiles: TypicalProfileRepository;
  readonly alerts: AlertRepository;
  readonly detectorHealth: DetectorHealthRepository;
  readonly keyspace: Keyspace;
  private readonly store: KvStore;

  constructor(backend: KvBackend, options: KvRepositoryOptions) {
    const eventRetention = retentionOption(options, 'eventRetentionSeconds');
    const travelTimeRetention = retentionOption(options, 'travelTimeRetentionSeconds');
    const statusRetention = retentionOption(options, 'statusRetentionSeconds');
    const profileRetention = retentionOption(options, 'profileRetentionSeconds');
    const alertRetention = retentionOption(options, 'alertRetentionSeconds');
    this.keyspace = new Keyspace(options.prefix);
    this.store = new KvStore(backend, this.keyspace, options.onMalformedRecord);
    const lateAfterSeconds = options.lateAfterSeconds ?? DEFAULT_LATE_AFTER_SECONDS;
    if (!Number.isFinite(lateAfterSeconds) || lateAfterSeconds < 0) {
      throw new StoreInvalidArgumentError(
        `lateAfterSeconds: ${lateAfterSeconds} is not a number of seconds ≥ 0`,
      );
    }
    const clock = options.clock ?? (() => BigInt(Date.now()) * NANOS_PER_MILLISECOND);
    this.events = new KvEventRepository(this.store, eventRetention, { lateAfterSeconds, clock });
    this.links = new KvLinkRepository(this.store);
    this.detectors = new KvDetectorRepository(this.store, statusRetention);
    this.travelTimes = new KvTravelTimeRepository(this.store, travelTimeRetention);
    this.recompute = new KvRecomputeQueue(this.store);
    this.routes = new KvRouteRepository(this.store);
    this.routeTravelTimes = new KvRouteTravelTimeRepository(this.store, travelTimeRetention);
    this.profiles = new KvTypicalProfileRepository(this.store, profileRetention, clock);
    this.alerts = new KvAlertRepository(this.store, alertRetention, clock);
    this.detectorHealth = new KvDetectorHealthRepository(this.store);
  }

  /** Stored records that reads skipped because their key or value was malformed, since construction. */
  get malformedRecordsSkipped(): number {
    return this.store.malformed.count;
  }

  async health(): Promise<StoreHealth> {
    if (this.store.isClosed) return { reachable: false, reason: 'the repository is closed' };
    try {
      return await this.store.backend.health();
    } catch (error) {
      return { reachable: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Each retention option's default. */
const DEFAULT_RETENTIONS = {
  eventRetentionSeconds: DEFAULT_EVENT_RETENTION_SECONDS,
  travelTimeRetentionSeconds: DEFAULT_TRAVEL_TIME_RETENTION_SECONDS,
  statusRetentionSeconds: DEFAULT_STATUS_RETENTION_SECONDS,
  profileRetentionSeconds: DEFAULT_PROFILE_RETENTION_SECONDS,
  alertRetentionSeconds: DEFAULT_ALERT_RETENTION_SECONDS,
} as const satisfies Partial<Record<keyof KvRepositoryOptions, number>>;

/** A retention option, or its default, checked: a whole number of seconds above 0. */
function retentionOption(options: KvRepositoryOptions, name: keyof typeof DEFAULT_RETENTIONS): number {
  const seconds = options[name] ?? DEFAULT_RETENTIONS[name];
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new StoreInvalidArgumentError(`${name}: ${seconds} is not a whole number of seconds > 0`);
  }
  return seconds;
}

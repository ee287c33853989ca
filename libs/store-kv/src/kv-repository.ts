import type {
  DetectorRepository,
  EventRepository,
  LinkRepository,
  Repository,
  StoreHealth,
  TravelTimeRepository,
} from '@message-bus/repository';
import { StoreInvalidArgumentError } from '@message-bus/repository';
import { Keyspace } from './keyspace';
import type { KvBackend } from './kv-backend';
import { KvDetectorRepository } from './kv-detector-repository';
import { KvEventRepository } from './kv-event-repository';
import { KvLinkRepository } from './kv-link-repository';
import { KvStore } from './kv-store';
import { KvTravelTimeRepository } from './kv-travel-time-repository';
import type { MalformedRecordHandler } from './malformed-records';

/** Seven days, the retention of raw events unless configured otherwise. */
export const DEFAULT_EVENT_RETENTION_SECONDS = 7 * 24 * 60 * 60;

export interface KvRepositoryOptions {
  /**
   * The namespace every key starts with, one segment like a detector id: `tdc` gives
   * `/tdc/detectors/...`. Use the original system's `--etcd.prefix` to share its data.
   */
  readonly prefix: string;
  /**
   * How long raw events are kept, in seconds, counted from the end of their 100-second
   * time bucket (so every event is kept at least this long). Default 604800 (7 days).
   * Estimates, links, coordinates and status reports do not expire.
   */
  readonly eventRetentionSeconds?: number;
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
  readonly keyspace: Keyspace;
  private readonly store: KvStore;

  constructor(backend: KvBackend, options: KvRepositoryOptions) {
    const retention = options.eventRetentionSeconds ?? DEFAULT_EVENT_RETENTION_SECONDS;
    if (!Number.isSafeInteger(retention) || retention <= 0) {
      throw new StoreInvalidArgumentError(
        `eventRetentionSeconds: ${retention} is not a whole number of seconds > 0`,
      );
    }
    this.keyspace = new Keyspace(options.prefix);
    this.store = new KvStore(backend, this.keyspace, options.onMalformedRecord);
    this.events = new KvEventRepository(this.store, retention);
    this.links = new KvLinkRepository(this.store);
    this.detectors = new KvDetectorRepository(this.store);
    this.travelTimes = new KvTravelTimeRepository(this.store);
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

import type { Sighting } from '@message-bus/domain';
import type { EventRepository, Repository, StoreHealth } from '@message-bus/repository';

/**
 * A real repository seen through a thin wrapper that counts `events.append` calls and
 * can hold them back (`hold()` … `release()`), to watch what the collector does while
 * the store is slow. Everything is delegated; nothing is faked.
 */
export class InstrumentedRepository implements Repository {
  /** The size of every `events.append` call, in call order. */
  readonly appendSizes: number[] = [];
  readonly events: EventRepository;
  readonly links: Repository['links'];
  readonly detectors: Repository['detectors'];
  readonly travelTimes: Repository['travelTimes'];
  readonly recompute: Repository['recompute'];
  readonly routes: Repository['routes'];
  readonly routeTravelTimes: Repository['routeTravelTimes'];
  readonly profiles: Repository['profiles'];
  readonly alerts: Repository['alerts'];
  readonly detectorHealth: Repository['detectorHealth'];
  #gate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;

  constructor(private readonly inner: Repository) {
    this.links = inner.links;
    this.detectors = inner.detectors;
    this.travelTimes = inner.travelTimes;
    this.recompute = inner.recompute;
    this.routes = inner.routes;
    this.routeTravelTimes = inner.routeTravelTimes;
    this.profiles = inner.profiles;
    this.alerts = inner.alerts;
    this.detectorHealth = inner.detectorHealth;
    this.events = {
      append: async (sightings: readonly Sighting[]) => {
        this.appendSizes.push(sightings.length);
        await this.#gate;
        await inner.events.append(sightings);
      },
      list: (query) => inner.events.list(query),
      listPages: (query) => inner.events.listPages(query),
      follow: (detectorIds, signal) => inner.events.follow(detectorIds, signal),
    };
  }

  /** Appends from now on wait until `release()`. */
  hold(): void {
    this.#gate ??= new Promise((resolve) => {
      this.#openGate = resolve;
    });
  }

  release(): void {
    this.#openGate?.();
    this.#gate = undefined;
    this.#openGate = undefined;
  }

  health(): Promise<StoreHealth> {
    return this.inner.health();
  }

  /** The wrapped repository stays open: its owner closes it. */
  async close(): Promise<void> {}
}

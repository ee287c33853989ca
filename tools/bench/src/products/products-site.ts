import {
  NANOS_PER_SECOND,
  type DetectorStatus,
  type Route,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import { createLogger } from '@message-bus/server-kit';
import type { Scenario } from '@message-bus/simulation';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import { InProcessWorkLeases, TravelTimeWorker, type TravelTimeWorkerOptions } from '@message-bus/traveltime';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'bench';
/** The worker's interval and lag, as cqserver's defaults. */
export const INTERVAL_SECONDS = 60;
export const LAG_SECONDS = 30;
/**
 * Sightings are appended in one batch per worker round, so anything up to a round old
 * on arrival is normal, not late: late marks would make the worker recompute what it
 * is about to compute anyway.
 */
const LATE_AFTER_SECONDS = 86_400;

/** What the site is fed, in time order. */
export interface SiteFeed {
  readonly sightings: readonly Sighting[];
  readonly statuses: readonly DetectorStatus[];
}

/** The worker's options the suite chooses (the traffic products' thresholds and the like). */
export type ProductOptions = Omit<TravelTimeWorkerOptions, 'repository' | 'leases' | 'logger' | 'clock'>;

/**
 * A real embedded store (lmdb in a temp dir) and the real travel-time worker, living in
 * simulated time: the store's clock, its expiry sweep and the worker's clock all read
 * `now`, which only `advance` moves.
 */
export class ProductsSite {
  now: UnixNanos;
  rounds = 0;
  /** When each alert was first seen open after a round: the time it was raised, as a user saw it. */
  readonly raisedAt = new Map<string, UnixNanos>();
  readonly repository: KvRepository;
  private readonly worker: TravelTimeWorker;
  private readonly leases = new InProcessWorkLeases();
  private sightingIndex = 0;
  private statusIndex = 0;

  private constructor(
    readonly path: string,
    start: UnixNanos,
    private readonly feed: SiteFeed,
    options: ProductOptions,
  ) {
    this.now = start;
    const backend = new LmdbBackend({ path, now: () => Number(this.now / 1_000_000n) });
    this.repository = new KvRepository(backend, {
      prefix: PREFIX,
      clock: () => this.now,
      lateAfterSeconds: LATE_AFTER_SECONDS,
    });
    this.worker = new TravelTimeWorker({
      intervalSeconds: INTERVAL_SECONDS,
      lagSeconds: LAG_SECONDS,
      ...options,
      repository: this.repository,
      leases: this.leases,
      logger: createLogger({ name: 'bench-products', level: 'silent' }),
      clock: () => this.now,
    });
  }

  /** Opens a site in a temp dir with the scenario's detectors, links and `routes`. */
  static async open(
    scenario: Scenario,
    routes: readonly Route[],
    start: UnixNanos,
    feed: SiteFeed,
    options: ProductOptions,
  ): Promise<ProductsSite> {
    const path = await mkdtemp(join(await storeParent(), 'bench-products-'));
    const site = new ProductsSite(path, start, feed, options);
    for (const { id, coordinates } of scenario.detectors) {
      await site.repository.detectors.putCoordinates({ detectorId: id, coordinates });
    }
    for (const { source, destination, maxSeconds } of scenario.links) {
      await site.repository.links.put({ source, destination, maxSeconds });
    }
    for (const route of routes) await site.repository.routes.put(route);
    return site;
  }

  /**
   * Runs the site to `until`: a worker round every `roundSeconds` (at interval ends
   * plus the lag, the first after `now`), each after the sightings and status reports
   * timed up to it are stored, each round repeated until it has no backlog.
   * `afterRound` sees the site after every round.
   */
  async advance(
    until: UnixNanos,
    roundSeconds: number,
    afterRound?: (site: ProductsSite) => Promise<void>,
  ): Promise<void> {
    const step = BigInt(roundSeconds) * NANOS_PER_SECOND;
    const lag = BigInt(LAG_SECONDS) * NANOS_PER_SECOND;
    for (let due = this.now - ((this.now - lag) % step) + step; due <= until; due += step) {
      this.now = due;
      await this.deliverUpTo(due);
      for (let report = await this.worker.runOnce(due); ; report = await this.worker.runOnce(due)) {
        this.rounds += 1;
        if (!report.backlog) break;
      }
      for (const alert of await this.repository.alerts.list({ openOnly: true })) {
        if (!this.raisedAt.has(alert.id)) this.raisedAt.set(alert.id, due);
      }
      await afterRound?.(this);
    }
  }

  async close(): Promise<void> {
    await this.worker.stop();
    await this.leases.close();
    await this.repository.close();
    await rm(this.path, { recursive: true, force: true });
  }

  private async deliverUpTo(time: UnixNanos): Promise<void> {
    const { sightings, statuses } = this.feed;
    const firstSighting = this.sightingIndex;
    while (this.sightingIndex < sightings.length && sightings[this.sightingIndex]!.time <= time) {
      this.sightingIndex += 1;
    }
    if (this.sightingIndex > firstSighting) {
      await this.repository.events.append(sightings.slice(firstSighting, this.sightingIndex));
    }
    while (this.statusIndex < statuses.length && statuses[this.statusIndex]!.time <= time) {
      await this.repository.detectors.appendStatus(statuses[this.statusIndex]!);
      this.statusIndex += 1;
    }
  }
}

/**
 * Where the store lives: RAM (/dev/shm) where there is one. Every worker round awaits
 * several durable commits; on a disk their fsyncs, not the work, would set the pace of a
 * run that simulates weeks. What is measured here is accuracy, never speed.
 */
async function storeParent(): Promise<string> {
  try {
    await access('/dev/shm');
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

import {
  NANOS_PER_SECOND,
  parseDetectorId,
  type DetectorId,
  type Sighting,
  type TravelTimeEstimate,
  type UnixNanos,
} from '@message-bus/domain';
import type { Repository, TravelTimeRepository } from '@message-bus/repository';
import { createLogger, type Logger } from '@message-bus/server-kit';
import { LmdbBackend } from '@message-bus/store-embedded';
import { KvRepository } from '@message-bus/store-kv';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/**
 * A three-detector corridor for the worker tests: d1 → d2 → d3, links d1→d2, d1→d3 and
 * d2→d3. Every 30 s a vehicle passes d1, reaches d2 120 s later and d3 90 s after that.
 * d1 and d2 have coordinates; d3 has none, so links into d3 have no speed.
 */
export const d1 = parseDetectorId('d1');
export const d2 = parseDetectorId('d2');
export const d3 = parseDetectorId('d3');
export const LINKS = [
  { destination: d2, source: d1, maxSeconds: 600 },
  { destination: d3, source: d1, maxSeconds: 900 },
  { destination: d3, source: d2, maxSeconds: 600 },
] as const;
export const SECONDS = NANOS_PER_SECOND;
export const MINUTE = 60n * SECONDS;
export const HOUR = 60n * MINUTE;
/** Where the seeded traffic starts: a whole hour, two hours ago (well inside retention). */
export const T0: UnixNanos = ((BigInt(Date.now()) * 1_000_000n) / HOUR) * HOUR - 2n * HOUR;

export const silentLogger: Logger = createLogger({
  name: 'test',
  level: 'silent',
  destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
});

/** A logger whose JSON lines are kept, parsed, for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    name: 'test',
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** RFC 3339 in UTC with nanoseconds, as the worker logs the times of its progress. */
export const RFC3339_NANOS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

/** The unix milliseconds of `nanos`, to compare with `Date.parse` of a logged time. */
export function millisOf(nanos: UnixNanos): number {
  return Number(nanos / 1_000_000n);
}

export function vehicleSightings(from: UnixNanos, to: UnixNanos): Sighting[] {
  const sightings: Sighting[] = [];
  for (let start = from, n = 0; start < to; start += 30n * SECONDS, n++) {
    const deviceId = `vehicle${n.toString().padStart(15, '0')}`;
    sightings.push({ detectorId: d1, deviceId, time: start });
    sightings.push({ detectorId: d2, deviceId, time: start + 120n * SECONDS });
    sightings.push({ detectorId: d3, deviceId, time: start + 210n * SECONDS });
  }
  return sightings;
}

export interface Corridor {
  readonly repository: Repository;
  readonly path: string;
  /** What the store takes for now when it tells late sightings from live ones. */
  readonly storeClock: { now: UnixNanos };
  close(): Promise<void>;
}

/**
 * The embedded store in a temp dir, with the corridor's links and coordinates, and
 * traffic over [T0, T0 + hours) stored as it happened: the store's clock (`storeClock`,
 * which a test may move on to append late sightings) reads T0 while it is seeded.
 * `withheld` sightings are left out, for a test to append late.
 */
export async function openCorridor(
  hours = 1n,
  withheld: (sighting: Sighting) => boolean = () => false,
): Promise<Corridor> {
  const path = await mkdtemp(join(tmpdir(), 'traveltime-'));
  const storeClock = { now: T0 };
  const repository = new KvRepository(new LmdbBackend({ path }), {
    prefix: 'tdc',
    clock: () => storeClock.now,
  });
  for (const link of LINKS) await repository.links.put(link);
  await repository.detectors.putCoordinates({
    detectorId: d1,
    coordinates: { latitude: 5_220_000, longitude: 2_100_000 },
  });
  await repository.detectors.putCoordinates({
    detectorId: d2,
    coordinates: { latitude: 5_221_000, longitude: 2_100_000 },
  });
  await repository.events.append(vehicleSightings(T0, T0 + hours * HOUR).filter((s) => !withheld(s)));
  return {
    repository,
    path,
    storeClock,
    async close() {
      await repository.close();
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** Every estimate put through the repository, in put order. */
export interface CountedPuts {
  readonly estimates: TravelTimeEstimate[];
}

/** The repository with its travel-time puts recorded; everything else passes through. */
export function countingPuts(inner: Repository, record: CountedPuts): Repository {
  const travelTimes: TravelTimeRepository = {
    put: (estimates) => {
      record.estimates.push(...estimates);
      return inner.travelTimes.put(estimates);
    },
    list: (query) => inner.travelTimes.list(query),
    latest: (links) => inner.travelTimes.latest(links),
    follow: (signal) => inner.travelTimes.follow(signal),
  };
  return {
    events: inner.events,
    links: inner.links,
    detectors: inner.detectors,
    travelTimes,
    recompute: inner.recompute,
    routes: inner.routes,
    routeTravelTimes: inner.routeTravelTimes,
    profiles: inner.profiles,
    alerts: inner.alerts,
    detectorHealth: inner.detectorHealth,
    health: () => inner.health(),
    close: () => inner.close(),
  };
}

/** The estimates without their congestion figures, which depend on the profile when each was written. */
export function travelTimesOnly(estimates: readonly TravelTimeEstimate[]): TravelTimeEstimate[] {
  return estimates.map(
    ({
      typicalSeconds: _t,
      freeFlowSeconds: _f,
      ratioToTypical: _rt,
      ratioToFreeFlow: _rf,
      level: _l,
      ...rest
    }) => rest,
  );
}

/** `destination/source@intervalEnd` of each estimate, for counting. */
export function intervalKeys(estimates: readonly TravelTimeEstimate[]): string[] {
  return estimates.map((estimate) => `${estimate.source}->${estimate.destination}@${estimate.intervalEnd}`);
}

/** The keys every link should have for interval ends first..last (inclusive), per link. */
export function expectedKeys(
  ranges: ReadonlyArray<{ source: DetectorId; destination: DetectorId; first: UnixNanos; last: UnixNanos }>,
): string[] {
  const keys: string[] = [];
  for (const { source, destination, first, last } of ranges) {
    for (let end = first; end <= last; end += MINUTE) keys.push(`${source}->${destination}@${end}`);
  }
  return keys.sort();
}

/** Keys that occur more than once. */
export function duplicates(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  return keys.filter((key) => (seen.has(key) ? true : (seen.add(key), false)));
}

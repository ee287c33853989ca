import { parseDetectorId, type DetectorId } from '../src/ids/detector-id';
import type { DetectorLink } from '../src/detector-link';
import type { Sighting } from '../src/sighting';
import type { UnixNanos } from '../src/time';

// Deterministic synthetic traffic for the estimator's tests: independent of
// libs/simulation, small enough to reason about, seeded so every run is identical.

/** 2027-01-15T08:00:00Z as unix nanoseconds: synthetic times are seconds after it. */
export const BASE: UnixNanos = 1_800_000_000n * 1_000_000_000n;

export const SOURCE: DetectorId = parseDetectorId('det-A');
export const DESTINATION: DetectorId = parseDetectorId('det-B');
export const LINK: DetectorLink = { source: SOURCE, destination: DESTINATION, maxSeconds: 1800 };

/** `seconds` (may be fractional or negative) after BASE, exact to the nanosecond. */
export function at(seconds: number): UnixNanos {
  return BASE + BigInt(Math.round(seconds * 1e9));
}

/** One device's trip over LINK: seen once at the source and once at the destination. */
export interface Trip {
  readonly deviceId: string;
  /** Seconds after BASE. */
  readonly departure: number;
  readonly arrival: number;
}

/** Single-sighting passes for each trip, at SOURCE and DESTINATION. */
export function sightingsOf(trips: readonly Trip[]): { source: Sighting[]; destination: Sighting[] } {
  return {
    source: trips.map((trip) => ({ detectorId: SOURCE, deviceId: trip.deviceId, time: at(trip.departure) })),
    destination: trips.map((trip) => ({
      detectorId: DESTINATION,
      deviceId: trip.deviceId,
      time: at(trip.arrival),
    })),
  };
}

/** Trips arriving at the given times (seconds after BASE) with the given travel times. */
export function tripsArriving(arrivals: readonly number[], travelSeconds: readonly number[]): Trip[] {
  return arrivals.map((arrival, index) => ({
    deviceId: `dev-${index}`,
    departure: arrival - (travelSeconds[index] as number),
    arrival,
  }));
}

/** mulberry32: a small, fast, well-mixed PRNG; returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SyntheticTrafficOptions {
  readonly seed: number;
  /** Arrivals are simulated in [startSeconds, endSeconds) after BASE. */
  readonly startSeconds: number;
  readonly endSeconds: number;
  /** Detected trips per hour (Poisson arrivals). */
  readonly tripsPerHour: number;
  /** The true travel time of a vehicle arriving at a given second. */
  readonly truth: (arrivalSeconds: number) => number;
  /** Relative spread of ordinary travel times (log-normal), e.g. 0.08. */
  readonly spread: number;
  /** Share of vehicles that stop or detour on the way, adding 1 to 20 minutes. */
  readonly stopShare: number;
}

/**
 * Poisson arrivals at DESTINATION; each vehicle's travel time is truth × log-normal
 * noise, plus a stop of 60–1200 s for `stopShare` of them. Each pass is 1–3 sightings
 * 5 s apart (the last source sighting is the departure, the first destination sighting
 * the arrival, so `last-first` measures the trip).
 */
export function syntheticTraffic(options: SyntheticTrafficOptions): {
  source: Sighting[];
  destination: Sighting[];
} {
  const random = seededRandom(options.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const source: Sighting[] = [];
  const destination: Sighting[] = [];
  let arrival = options.startSeconds;
  for (let vehicle = 0; ; vehicle += 1) {
    arrival += (-Math.log(1 - random()) * 3600) / options.tripsPerHour;
    if (arrival >= options.endSeconds) break;
    const stop = random() < options.stopShare ? 60 + random() * 1140 : 0;
    const travel = options.truth(arrival) * Math.exp(options.spread * gaussian()) + stop;
    const deviceId = `veh-${vehicle}`;
    const sightingsPerPass = 1 + Math.floor(random() * 3);
    for (let sighting = 0; sighting < sightingsPerPass; sighting += 1) {
      source.push({ detectorId: SOURCE, deviceId, time: at(arrival - travel - 5 * sighting) });
      destination.push({ detectorId: DESTINATION, deviceId, time: at(arrival + 5 * sighting) });
    }
  }
  return { source, destination };
}

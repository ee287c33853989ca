import { createHash } from 'node:crypto';
import {
  NANOS_PER_SECOND,
  parseDetectorId,
  type DetectorId,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';
import { EventValueCodec, Keyspace } from '@message-bus/store-kv';

/** One event as a raw client writes it: the key and value bytes the keyspace produces. */
export interface EncodedEvent {
  readonly key: Buffer;
  readonly value: Buffer;
}

const SECONDS_PER_HOUR = 3600n;

/**
 * The benchmark's sightings. Every detector's events are spread evenly over the same
 * recent hour (inside the retention, so etcd leases live for days and nothing expires
 * mid-run, and every trial shares the same 36 bucket leases as a real collector would).
 * Each trial and round gets its own detectors, so every write stores new keys; detector
 * ids all have the same length, so every contender writes keys of the same size.
 */
export class EventWorkload {
  readonly keyspace: Keyspace;
  private readonly values = new EventValueCodec();
  /** The hour every sighting falls in: `after` inclusive, `before` exclusive. */
  readonly hour: { readonly after: UnixNanos; readonly before: UnixNanos };
  private readonly devices: readonly string[];

  constructor(
    prefix: string,
    /** Most events one detector gets in the hour; e.g. `10_000`. Larger trials use more detectors. */
    readonly eventsPerDetectorHour: number,
    now: Date = new Date(),
  ) {
    this.keyspace = new Keyspace(prefix);
    const currentHour = BigInt(Math.floor(now.getTime() / 1000)) / SECONDS_PER_HOUR;
    const after = (currentHour - 1n) * SECONDS_PER_HOUR * NANOS_PER_SECOND;
    this.hour = { after, before: after + SECONDS_PER_HOUR * NANOS_PER_SECOND };
    this.devices = Array.from({ length: eventsPerDetectorHour }, (_, index) => pseudonymLike(index));
  }

  /**
   * A fixed-width detector id naming what wrote it; e.g. `bench-repo-b10000-r003-p01`
   * for the repository's part 1 of round 3 at batch 10,000.
   */
  detectorId(contender: string, batchSize: number, round: number, part: number): DetectorId {
    if (contender.length !== 4) throw new Error(`contender code "${contender}" must have 4 characters`);
    const id = `bench-${contender}-b${pad(batchSize, 5)}-r${pad(round, 3)}-p${pad(part, 2)}`;
    return parseDetectorId(id, 'detectorId');
  }

  /**
   * `count` sightings in time order: one detector's hour after another, each detector
   * getting up to `eventsPerDetectorHour` events spread evenly over the hour.
   */
  sightings(contender: string, batchSize: number, round: number, count: number): Sighting[] {
    const sightings: Sighting[] = [];
    for (let part = 0; sightings.length < count; part += 1) {
      const detectorId = this.detectorId(contender, batchSize, round, part);
      const events = Math.min(this.eventsPerDetectorHour, count - sightings.length);
      sightings.push(...this.detectorHour(detectorId, events));
    }
    return sightings;
  }

  /** `count` sightings of one detector, spread evenly over the hour, oldest first. */
  detectorHour(detectorId: DetectorId, count: number): Sighting[] {
    const step = (this.hour.before - this.hour.after) / BigInt(count);
    return Array.from({ length: count }, (_, index) => ({
      detectorId,
      deviceId: this.devices[index % this.devices.length]!,
      // A few odd nanoseconds, so times are not all round milliseconds.
      time: this.hour.after + BigInt(index) * step + BigInt((index * 7919) % 1_000_000),
    }));
  }

  /** The key and value bytes the repository stores for each sighting. */
  encode(sightings: readonly Sighting[]): EncodedEvent[] {
    return sightings.map((sighting) => this.encodeOne(sighting));
  }

  /** The key and value bytes the repository stores for one sighting. */
  encodeOne(sighting: Sighting): EncodedEvent {
    const value = this.values.encode(sighting.time);
    return {
      key: Buffer.from(this.keyspace.eventKey(sighting), 'utf8'),
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    };
  }
}

/** `items` in consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size));
  return slices;
}

/** A device id shaped like the collector's pseudonyms: 22 base64url characters. */
export function pseudonymLike(index: number): string {
  return createHash('sha256').update(`bench device ${index}`).digest().subarray(0, 16).toString('base64url');
}

function pad(value: number, width: number): string {
  const text = String(value);
  if (text.length > width) throw new Error(`${value} does not fit in ${width} digits`);
  return text.padStart(width, '0');
}

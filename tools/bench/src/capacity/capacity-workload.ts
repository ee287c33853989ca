import {
  NANOS_PER_SECOND,
  parseDetectorId,
  parseRawDeviceId,
  Pseudonymiser,
  type DetectorId,
  type Sighting,
  type UnixNanos,
} from '@message-bus/domain';

/** What a stored fleet looks like: how many detectors, and how often each sees a device. */
export interface FleetShape {
  /** Detectors taking turns; e.g. `1_000`. */
  readonly detectors: number;
  /** Seconds between two sightings of one detector; e.g. `36` (100 an hour: 1,000 vehicles, 10 % detected). */
  readonly secondsBetweenSightings: number;
  /** Distinct devices the sightings cycle through, so a device is seen at several detectors; e.g. `50_000`. */
  readonly devices: number;
  /** Sightings the run may store at most, which sets how far back the first one lies; e.g. `600_000`. */
  readonly maxSightings: number;
}

/** The byte of a fixed master secret, so every run stores the same pseudonyms (never a real device's). */
const BENCH_MASTER_SECRET_BYTE = 0xc4;

/**
 * Sightings of a fleet as the collector stores them: detector ids like `det-00042` (9
 * characters, as short as a real site's), device ids pseudonymised by the collector's
 * own `Pseudonymiser` from MAC-shaped raw ids, times in time order across detectors, one
 * sighting per detector every `secondsBetweenSightings`, the last ones just before
 * `now`. Sighting `i` is detector `i mod detectors` at slot `⌊i / detectors⌋`, so any
 * range of indices is new keys, and the store can grow in steps.
 */
export class CapacityWorkload {
  readonly #pseudonyms: readonly string[];
  readonly #firstSlotTime: UnixNanos;
  readonly #step: bigint;
  readonly #detectorIds: readonly DetectorId[];

  constructor(
    readonly shape: FleetShape,
    now: Date = new Date(),
  ) {
    const pseudonymiser = new Pseudonymiser({
      masterSecret: new Uint8Array(32).fill(BENCH_MASTER_SECRET_BYTE),
      rotation: { kind: 'never' },
      overlapSeconds: 0,
    });
    const nowNanos = BigInt(now.getTime()) * 1_000_000n;
    this.#pseudonyms = Array.from(
      { length: shape.devices },
      (_, index) =>
        pseudonymiser.pseudonymsAt('bluetooth', parseRawDeviceId(macAddress(index)), nowNanos).current,
    );
    this.#detectorIds = Array.from({ length: shape.detectors }, (_, index) =>
      parseDetectorId(`det-${String(index).padStart(5, '0')}`, 'detectorId'),
    );
    this.#step = BigInt(shape.secondsBetweenSightings) * NANOS_PER_SECOND;
    const slots = BigInt(Math.ceil(shape.maxSightings / shape.detectors));
    // A minute of slack before now, so no sighting lies in the future of the store's clock.
    this.#firstSlotTime = nowNanos - 60n * NANOS_PER_SECOND - slots * this.#step;
  }

  /** How far back the oldest sighting lies, in seconds. */
  get spanSeconds(): number {
    return Math.ceil(this.shape.maxSightings / this.shape.detectors) * this.shape.secondsBetweenSightings;
  }

  /** Sightings `from` (inclusive) to `to` (exclusive), in time order. */
  sightings(from: number, to: number): Sighting[] {
    if (to > this.shape.maxSightings)
      throw new Error(`${to} sightings exceed the fleet's ${this.shape.maxSightings}`);
    const { detectors, devices } = this.shape;
    return Array.from({ length: to - from }, (_, offset) => {
      const index = from + offset;
      const slot = Math.floor(index / detectors);
      return {
        detectorId: this.#detectorIds[index % detectors]!,
        // A stride coprime with most pool sizes spreads each device over many detectors.
        deviceId: this.#pseudonyms[(index * 7919) % devices]!,
        // A few odd nanoseconds, so times are not round seconds.
        time: this.#firstSlotTime + BigInt(slot) * this.#step + BigInt((index * 104_729) % 1_000_000_000),
      };
    });
  }
}

/** A MAC-shaped raw id, as a Bluetooth detector reports it. */
function macAddress(index: number): string {
  return index.toString(16).padStart(12, '0').match(/../g)!.join(':');
}

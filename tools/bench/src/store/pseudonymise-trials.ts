import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { parseRawDeviceId, Pseudonymiser, type RawDeviceId, type UnixNanos } from '@message-bus/domain';
import type { Trial } from '../measure';

/** Which devices the pseudonymise trials see: `distinctDevices` WiFi MAC addresses, in turn. */
export interface PseudonymiseShape {
  readonly distinctDevices: number;
}

/**
 * One key, one period and the same ids for both contenders, so they do the same
 * HMAC work: the period's key derived once (as the pseudonymiser caches it), then one
 * HMAC-SHA256 per sighting, outside any rotation overlap.
 */
export class PseudonymiseWorkload {
  readonly #masterSecret = randomBytes(32);
  readonly #startedAt: Date;
  /** When every sighting is seen: the run's start, inside the period that starts at its hour. */
  readonly #time: UnixNanos;
  readonly #rawIds: readonly RawDeviceId[];

  constructor(shape: PseudonymiseShape, startedAt: Date) {
    this.#startedAt = startedAt;
    this.#time = BigInt(startedAt.getTime()) * 1_000_000n;
    this.#rawIds = Array.from({ length: shape.distinctDevices }, (_, index) =>
      parseRawDeviceId(macAddress(index)),
    );
  }

  /** `Pseudonymiser.pseudonymsAt` per sighting: what the collector pays before it stores a sighting. */
  pseudonymiser(id: string, sightings: number): Trial {
    return this.#trial(id, sightings, this.#pseudonymiserFunction());
  }

  /**
   * The baseline: node:crypto's `createHmac` per sighting over the same message with the
   * same period key, the straightforward way to write the pseudonymiser.
   */
  createHmac(id: string, sightings: number): Trial {
    return this.#trial(id, sightings, this.#createHmacFunction());
  }

  /** Throws unless both contenders give the same pseudonym: they must do the same work. */
  checkAgreement(): void {
    const rawId = this.#rawIds[0]!;
    const ours = this.#pseudonymiserFunction()(rawId);
    const baseline = this.#createHmacFunction()(rawId);
    if (ours !== baseline) throw new Error(`the pseudonymiser gives ${ours}, createHmac ${baseline}`);
  }

  #pseudonymiserFunction(): (rawId: RawDeviceId) => string {
    const pseudonymiser = new Pseudonymiser({
      masterSecret: this.#masterSecret,
      // Rotating at the run's hour makes that hour's start the period start the baseline uses.
      rotation: { kind: 'daily', utcHour: this.#startedAt.getUTCHours() },
      overlapSeconds: 0,
    });
    return (rawId) => pseudonymiser.pseudonymsAt('wifi', rawId, this.#time).current;
  }

  #createHmacFunction(): (rawId: RawDeviceId) => string {
    const periodStart = new Date(this.#startedAt);
    periodStart.setUTCMinutes(0, 0, 0);
    const periodKey = Buffer.from(
      hkdfSync(
        'sha256',
        this.#masterSecret,
        'message-bus pseudonymiser v1',
        `message-bus pseudonym period ${periodStart.toISOString().slice(0, 16)}Z`,
        32,
      ),
    );
    return (rawId) =>
      createHmac('sha256', periodKey).update(`wifi\0${rawId}`, 'utf8').digest().toString('base64url', 0, 16);
  }

  #trial(id: string, sightings: number, pseudonymOf: (rawId: RawDeviceId) => string): Trial {
    const rawIds = this.#rawIds;
    return {
      id,
      async prepare() {
        return async () => {
          let characters = 0;
          for (let index = 0; index < sightings; index += 1) {
            characters += pseudonymOf(rawIds[index % rawIds.length]!).length;
          }
          // Uses every result, so no pseudonym can be optimised away.
          if (characters !== sightings * 22) throw new Error(`${id}: a pseudonym is not 22 characters`);
        };
      },
    };
  }
}

/** A MAC address such as a WiFi detector reports: `02:00:00:00:30:39` for 12345. */
function macAddress(index: number): string {
  const hex = index.toString(16).padStart(12, '0');
  return hex.replace(/(..)(?!$)/g, '$1:').toUpperCase();
}

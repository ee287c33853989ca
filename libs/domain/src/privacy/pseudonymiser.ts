import { hmac, type _HMAC } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { RAW_DEVICE_ID_MAX_LENGTH, type DeviceKind, type Pseudonym, type RawDeviceId } from '../ids/device';
import { integerInRange } from '../integer';
import { floorDiv, formatNanosIso, NANOS_PER_SECOND, type UnixNanos } from '../time';
import { ValidationError } from '../validation-error';

/** When the pseudonym key changes: never, or every day at `utcHour`:00 UTC. */
export type RotationPolicy =
  { readonly kind: 'never' } | { readonly kind: 'daily'; readonly utcHour: number };

export interface PseudonymiserOptions {
  /** The secret every pseudonym derives from; at least 32 random bytes. Copied, never exposed. */
  readonly masterSecret: Uint8Array;
  readonly rotation: RotationPolicy;
  /**
   * Whole seconds after each rotation boundary during which the previous period's
   * pseudonym is given too (0..86399), so a trip that crosses the boundary still matches.
   */
  readonly overlapSeconds: number;
}

export interface PseudonymsAt {
  readonly current: Pseudonym;
  /** Set only within `overlapSeconds` after a rotation boundary: the previous period's `current`. */
  readonly previous?: Pseudonym;
}

export const MIN_MASTER_SECRET_BYTES = 32;

/** With rotation `never` there is one period; `periodStart` reports it as starting at the epoch. */
export const NEVER_ROTATING_PERIOD_START: UnixNanos = 0n;

const DAY_NANOS = 86_400n * NANOS_PER_SECOND;
const HOUR_NANOS = 3_600n * NANOS_PER_SECOND;
const PSEUDONYM_BYTES = 16;
/** The longest HMAC message: the longest prefix, then 128 code points of at most 4 UTF-8 bytes. */
const MAX_MESSAGE_BYTES = 16 + 4 * RAW_DEVICE_ID_MAX_LENGTH;
/** Current and previous period, plus a few for imports that replay older data. */
const KEY_CACHE_SIZE = 8;

// The salt, the info strings and the message layout define every pseudonym ever
// stored: changing any of them breaks matching across the change. They are a contract.
// Strings, which hkdfSync encodes as UTF-8: a module-level Buffer could be written to.
const HKDF_SALT = 'message-bus pseudonymiser v1';
const HKDF_INFO_PREFIX = 'message-bus pseudonym period ';
/**
 * `kindTag || 0x00`, the start of every HMAC message; kind names never contain 0x00.
 * Strings, so one write encodes prefix and id together.
 */
const MESSAGE_PREFIX: Readonly<Record<DeviceKind, string>> = {
  wifi: 'wifi\0',
  bluetooth: 'bluetooth\0',
  mobile: 'mobile\0',
};

/**
 * HMAC-SHA256 keyed with one period's key: the key's inner and outer pad blocks already
 * hashed, so each message costs its own blocks only. @noble/hashes (audited) rather than
 * node:crypto's `createHmac`, which sets up a fresh native HMAC for every message; the
 * pseudonymise rows of `npm run bench:store` measure the two side by side.
 */
type KeyedHmac = _HMAC<ReturnType<typeof sha256.create>>;

/**
 * Turns raw device identifiers into pseudonyms: base64url of the first 16 bytes of
 * HMAC-SHA256(periodKey, kind || 0x00 || utf8(rawId)), 22 characters of
 * `[A-Za-z0-9_-]`. Each rotation period's key is HKDF-SHA256 of the master secret
 * with the period's start in the info (`message-bus pseudonym period 2026-11-30T03:00Z`,
 * or `... period never`), so pseudonyms of different periods are unlinkable without
 * the master secret. Raw identifiers are neither kept nor logged; the secret and the
 * derived keys live in private fields that inspection and JSON do not show.
 */
export class Pseudonymiser {
  readonly #masterSecret: KeyObject;
  readonly #rotation: RotationPolicy;
  readonly #overlapNanos: bigint;
  /** Period start → key, least recently used first; deriving a key per sighting would be wasteful. */
  readonly #periodKeys = new Map<bigint, KeyedHmac>();
  #lastPeriodKey: { readonly periodStart: bigint; readonly key: KeyedHmac } | undefined;
  /** The HMAC being computed: a copy of a period's keyed state, overwritten for each message. */
  #hmac: KeyedHmac | undefined;
  /** The UTF-8 message being hashed, zeroed after each use. */
  readonly #message = Buffer.alloc(MAX_MESSAGE_BYTES);
  readonly #digest = Buffer.alloc(32);

  constructor(options: PseudonymiserOptions) {
    const { masterSecret, rotation, overlapSeconds } = options;
    if (masterSecret.length < MIN_MASTER_SECRET_BYTES) {
      throw new ValidationError(
        'too_short',
        'masterSecret',
        `is ${masterSecret.length} bytes; at least ${MIN_MASTER_SECRET_BYTES} random bytes are needed`,
      );
    }
    if (rotation.kind === 'daily') {
      integerInRange(
        rotation.utcHour,
        0,
        23,
        'rotation.utcHour',
        (value) => `is ${value}; an hour of the day is 0 to 23`,
      );
    } else if (rotation.kind !== 'never') {
      throw new ValidationError('unknown_value', 'rotation.kind', 'is neither "never" nor "daily"');
    }
    const overlap = integerInRange(
      overlapSeconds,
      0,
      86_399,
      'overlapSeconds',
      (value) => `is ${value}; the overlap is 0 to 86399 seconds, shorter than a rotation period`,
    );
    this.#masterSecret = createSecretKey(Buffer.from(masterSecret));
    this.#rotation =
      rotation.kind === 'daily' ? { kind: 'daily', utcHour: rotation.utcHour } : { kind: 'never' };
    this.#overlapNanos = BigInt(overlap) * NANOS_PER_SECOND;
  }

  /**
   * The pseudonym of `rawId` seen on a `kind` radio at `time`, and within the overlap
   * after a rotation boundary (boundary inclusive, boundary + overlap exclusive) the
   * previous period's pseudonym too.
   */
  pseudonymsAt(kind: DeviceKind, rawId: RawDeviceId, time: UnixNanos): PseudonymsAt {
    const start = this.periodStart(time);
    const current = this.#pseudonymOf(this.#keyOf(start), kind, rawId);
    if (this.#rotation.kind === 'never' || time - start >= this.#overlapNanos) return { current };
    return { current, previous: this.#pseudonymOf(this.#keyOf(start - DAY_NANOS), kind, rawId) };
  }

  /** The start of the rotation period holding `time` (inclusive). */
  periodStart(time: UnixNanos): UnixNanos {
    if (this.#rotation.kind === 'never') return NEVER_ROTATING_PERIOD_START;
    const offset = BigInt(this.#rotation.utcHour) * HOUR_NANOS;
    return floorDiv(time - offset, DAY_NANOS) * DAY_NANOS + offset;
  }

  #pseudonymOf(key: KeyedHmac, kind: DeviceKind, rawId: RawDeviceId): Pseudonym {
    // A RawDeviceId has no lone surrogate, so this UTF-8 is exactly utf8(kind) || 0x00 || utf8(rawId).
    const length = this.#message.write(MESSAGE_PREFIX[kind] + rawId, 0, 'utf8');
    const mac = key._cloneInto(this.#hmac);
    this.#hmac = mac;
    mac.update(this.#message.subarray(0, length));
    mac.digestInto(this.#digest); // also wipes the copied state
    this.#message.fill(0, 0, length); // no raw id stays behind in memory
    return this.#digest.toString('base64url', 0, PSEUDONYM_BYTES) as Pseudonym;
  }

  #keyOf(periodStart: bigint): KeyedHmac {
    // Nearly every call asks for the current period's key: a bigint-keyed Map lookup and
    // the LRU reordering cost more than the HMAC's key setup, so the last one is kept.
    const last = this.#lastPeriodKey;
    if (last !== undefined && last.periodStart === periodStart) return last.key;
    const key = this.#cachedKeyOf(periodStart);
    this.#lastPeriodKey = { periodStart, key };
    return key;
  }

  #cachedKeyOf(periodStart: bigint): KeyedHmac {
    const cached = this.#periodKeys.get(periodStart);
    if (cached !== undefined) {
      this.#periodKeys.delete(periodStart);
      this.#periodKeys.set(periodStart, cached);
      return cached;
    }
    const label = this.#rotation.kind === 'never' ? 'never' : `${formatNanosIso(periodStart).slice(0, 16)}Z`;
    const keyBytes = new Uint8Array(
      hkdfSync('sha256', this.#masterSecret, HKDF_SALT, HKDF_INFO_PREFIX + label, 32),
    );
    const key = hmac.create(sha256, keyBytes);
    keyBytes.fill(0);
    if (this.#periodKeys.size >= KEY_CACHE_SIZE) {
      const leastRecent = this.#periodKeys.keys().next().value;
      if (leastRecent !== undefined) this.#periodKeys.delete(leastRecent);
    }
    this.#periodKeys.set(periodStart, key);
    return key;
  }
}

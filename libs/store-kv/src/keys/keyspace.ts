import type { DetectorId, RouteName, TrafficTarget, UnixNanos } from '@message-bus/domain';
import {
  checkDeviceSegment,
  checkIdSegment,
  deviceSegmentProblem,
  idSegmentProblem,
  prefixEnd,
} from './key-segment';
import { checkKeyTime, formatKeyTime, KEY_TIME_LIMIT, parseNanosText, type KeyTimeRange } from './key-time';
import { RECOMPUTE_ORIGINS, StoreInvalidArgumentError, type RecomputeOrigin } from '@message-bus/repository';
import { murmur3x86128 } from './murmur3';
import { accept, reject, type Parsed } from '../parsed';
import { decodeUlidTime, encodeUlidTime, ULID_LENGTH, ulidProblem, UlidWriter } from './ulid';

/**
 * The key layout shared by every ordered-KV store, byte-compatible with the original
 * Go system (jozuenoon/message_bus, `collector/etcd.go` and `query/etcd.go`), so either
 * system can run on the other's etcd data.
 *
 * What the original does, and what this keyspace matches:
 * - Keys are `"/" + path.Join(prefix, ...)`: one leading `/`, segments joined by `/`, no
 *   trailing `/`. The prefix is `--etcd.prefix` (default `tdc`); the original's reader
 *   takes the detector id from the 4th `/`-separated field, so the prefix is exactly one
 *   segment here.
 * - Event key `/{prefix}/detectors/{detector}/{bucket}/{ULID}.{device}`. The bucket is
 *   `strconv.FormatInt(s - s%100, 10)` of the unix second `s`: plain decimal, not
 *   padded, which is 10 digits for every time from 2001-09-09 on. This keyspace always
 *   writes 10 digits (zero-padded) so byte order stays time order, identical to the
 *   original for every real deployment.
 * - The ULID's time is the event's unix millisecond (`ulid.Timestamp(t)`); the original
 *   draws its 80-bit part from math/rand seeded with the nanosecond time. Here it is a
 *   hash of (detector, device, nanoseconds), see `eventUlid`, so a retried write
 *   produces the same key.
 * - The original's reader takes the device id as the text after the first `.` of the last
 *   segment; device ids may contain dots, so this keyspace splits right after the
 *   26-character ULID instead.
 * - Link key `/{prefix}/links/{destination}/{source}`.
 *
 * Kinds the original does not have, each under its own top-level segment:
 * - `/{prefix}/coordinates/{detector}`
 * - `/{prefix}/status/{detector}/{19-digit zero-padded unix nanoseconds}`
 * - `/{prefix}/traveltimes/{destination}/{source}/{19-digit zero-padded interval end}`
 * - `/{prefix}/locks/{name}`: a worker's claim on a piece of work, e.g. `locks/traveltime/{destination}`
 * - `/{prefix}/late/{detector}/{10-digit bucket}`: sightings of that event bucket were
 *   appended after the fact, so the estimates they feed are due again
 * - `/{prefix}/recompute/{destination}/{19-digit from}/{origin}/{id}`: estimates of the
 *   destination's links to compute again, from `from` on
 * - `/{prefix}/routes/{name}`: a named route, its detectors in the value
 * - `/{prefix}/route-times/{route}/{19-digit zero-padded interval end}`: a route's estimates
 * - `/{prefix}/profiles/link/{destination}/{source}` and `/{prefix}/profiles/route/{name}`:
 *   the typical profile of a link or route
 * - `/{prefix}/alerts/{ULID}`: an alert, its ULID's time its start, so a reverse scan
 *   reads the newest start first
 * - `/{prefix}/detector-health/{detector}`: a detector's health as last judged
 *
 * Key builders check every id they write into a key with `checkIdSegment` (detector
 * ids, prefix) or `checkDeviceSegment` (device ids), so nothing unsafe reaches a written
 * key. Prefix and range builders, which only read, take ids their caller checked: the
 * repository checks the ids of a query once, at its entry.
 */

/** Width of an event time bucket, as in the original. */
export const EVENT_BUCKET_SECONDS = 100;
const BUCKET_DIGITS = 10;
const BUCKET_PATTERN = /^[0-9]{1,10}$/;
const NANOS_PER_MILLISECOND = 1_000_000n;

/** The unix second that starts the bucket holding `time`. */
export function eventBucket(time: UnixNanos): number {
  return bucketOfMillisecond(Number(time / NANOS_PER_MILLISECOND));
}

/** The bucket of unix millisecond `ms`; milliseconds up to 2^53 are exact as a number, so the arithmetic stays exact. */
export function bucketOfMillisecond(ms: number): number {
  const second = Math.floor(ms / 1000);
  return second - (second % EVENT_BUCKET_SECONDS);
}

/**
 * The deterministic ULID of a sighting: time = its unix millisecond; the 80-bit part =
 * the first 10 bytes of MurmurHash3 x86_128 (seed 0) over `u16be(len) detector-utf8
 * u16be(len) device-utf8 i64be(nanoseconds)`. The same (detector, device, time) always
 * gives the same ULID; sightings within one millisecond still differ. A fast
 * non-cryptographic hash suffices: the device id follows the ULID in the key, so two
 * sightings can only collide if they are the same sighting. Makes a writer per call:
 * keys are written by `Keyspace#eventKey`, which keeps one.
 */
export function eventUlid(detectorId: string, deviceId: string, time: UnixNanos): string {
  return new EventKeyWriter().ulid(detectorId, deviceId, time);
}

/** Big enough for the length-prefixed hash input of the longest ids (device: 128 × 4 UTF-8 bytes). */
const ENTROPY_INPUT_BYTES = 1024;
/** Big enough for the longest bucket prefix and an ASCII device id. */
const KEY_BYTES = 512;
const NANOSECONDS_BYTES = 8;
const DOT = 0x2e;

/**
 * Writes the ULIDs and keys of sightings, owning the bytes of the one being written:
 * the hash input, the hash, and the key. Sightings come in runs of one detector's
 * bucket, so the detector's bytes and the bucket prefix stay written across a run.
 */
class EventKeyWriter {
  private readonly entropyInput = Buffer.alloc(ENTROPY_INPUT_BYTES);
  /** Writes the nanoseconds: `setBigInt64` is a V8 intrinsic, far cheaper than `Buffer#writeBigInt64BE`. */
  private readonly entropyInputView = new DataView(
    this.entropyInput.buffer,
    this.entropyInput.byteOffset,
    this.entropyInput.byteLength,
  );
  private readonly entropyOutput = new Uint8Array(16);
  private readonly keyBytes = Buffer.alloc(KEY_BYTES);
  private readonly ulidWriter = new UlidWriter();
  /** The detector whose length-prefixed bytes start `entropyInput`, and where they end. */
  private detectorInInput: { readonly id: string; readonly end: number } | undefined;
  private prefixInKeyBytes = '';

  ulid(detectorId: string, deviceId: string, time: UnixNanos): string {
    this.hashSighting(detectorId, deviceId, time);
    return this.ulidWriter.ulid(Number(time / NANOS_PER_MILLISECOND), this.entropyOutput);
  }

  /**
   * `${prefix}${ULID}.${deviceId}` as one flat string, made in one step from its bytes
   * when the device id is ASCII (nearly always): no concatenation pieces to collect, and
   * nothing for a writer to flatten before it encodes the key.
   */
  key(prefix: string, detectorId: string, deviceId: string, time: UnixNanos, ms: number): string {
    const deviceBytes = this.hashSighting(detectorId, deviceId, time);
    if (deviceBytes !== deviceId.length) {
      return `${prefix}${this.ulidWriter.ulid(ms, this.entropyOutput)}.${deviceId}`;
    }
    const keyBytes = this.keyBytes;
    if (this.prefixInKeyBytes !== prefix) {
      keyBytes.write(prefix, 0, 'latin1');
      this.prefixInKeyBytes = prefix;
    }
    const ulidAt = prefix.length;
    this.ulidWriter.write(ms, this.entropyOutput, keyBytes, ulidAt);
    const dotAt = ulidAt + ULID_LENGTH;
    keyBytes[dotAt] = DOT;
    const deviceAt = dotAt + 1;
    const deviceStart = this.detectorInInput!.end + 2;
    const input = this.entropyInput;
    for (let i = 0; i < deviceBytes; i += 1) keyBytes[deviceAt + i] = input[deviceStart + i]!;
    return keyBytes.toString('latin1', 0, deviceAt + deviceBytes);
  }

  /** Hashes the sighting's ULID entropy input into `entropyOutput`; returns the device id's UTF-8 length. */
  private hashSighting(detectorId: string, deviceId: string, time: UnixNanos): number {
    if (this.detectorInInput?.id !== detectorId) {
      this.detectorInInput = { id: detectorId, end: this.writeLengthPrefixed(detectorId, 0) };
    }
    const detectorEnd = this.detectorInInput.end;
    const timeAt = this.writeLengthPrefixed(deviceId, detectorEnd);
    this.entropyInputView.setBigInt64(timeAt, time);
    murmur3x86128(this.entropyInput, timeAt + NANOSECONDS_BYTES, this.entropyOutput);
    return timeAt - detectorEnd - 2;
  }

  /** Writes `u16be(byte length) utf8(text)` at `offset`; returns the offset after it. */
  private writeLengthPrefixed(text: string, offset: number): number {
    const input = this.entropyInput;
    const start = offset + 2;
    let length = text.length;
    // Ids are nearly always ASCII, copied here more cheaply than by a call into Buffer#write.
    for (let i = 0; i < length; i += 1) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        length = input.write(text, start, 'utf8');
        break;
      }
      input[start + i] = code;
    }
    input.writeUInt16BE(length, offset);
    return start + length;
  }
}

export interface EventKeyInput {
  readonly detectorId: string;
  readonly deviceId: string;
  readonly time: UnixNanos;
}

/** What an event key holds. `ulidTimeMs` orders keys within a bucket. */
export interface EventKeyParts {
  readonly detectorId: string;
  readonly bucket: number;
  readonly ulid: string;
  readonly ulidTimeMs: number;
  readonly deviceId: string;
}

export interface LinkKeyParts {
  readonly destination: DetectorId;
  readonly source: DetectorId;
}

export interface StatusKeyParts {
  readonly detectorId: DetectorId;
  readonly time: UnixNanos;
}

export interface LateSightingsKeyParts {
  readonly detectorId: DetectorId;
  /** The unix second that starts the marked event bucket. */
  readonly bucket: number;
}

export interface RecomputeKeyParts {
  readonly destination: DetectorId;
  readonly from: UnixNanos;
  readonly origin: RecomputeOrigin;
  readonly id: string;
}

export interface RouteEstimateKeyParts {
  readonly route: RouteName;
  readonly intervalEnd: UnixNanos;
}

export interface EstimateKeyParts {
  readonly destination: DetectorId;
  readonly source: DetectorId;
  readonly intervalEnd: UnixNanos;
}

interface ParsedBucketPrefix {
  readonly detectorId: string;
  readonly bucket: number;
  readonly afterBucket: number;
}

/** Keys `start <= key < end`. */
export interface KeyRange {
  readonly start: string;
  readonly end: string;
}

export class Keyspace {
  /** `/{prefix}/`: everything this system stores. */
  readonly root: string;
  readonly detectorsRoot: string;
  readonly linksRoot: string;
  readonly coordinatesRoot: string;
  readonly statusRoot: string;
  readonly travelTimesRoot: string;
  readonly locksRoot: string;
  readonly lateRoot: string;
  readonly recomputeRoot: string;
  readonly routesRoot: string;
  readonly routeTimesRoot: string;
  readonly profilesRoot: string;
  readonly alertsRoot: string;
  readonly detectorHealthRoot: string;
  /** Owns the bytes of the event key being written. */
  private readonly eventKeyWriter = new EventKeyWriter();
  /** The bucket prefix `eventKey` built last, and the one `parseEventKey` read last: caches. */
  private lastBucket = { detectorId: '', bucket: -1, prefix: '' };
  private lastParsedBucketPrefix: { text: string; parsed: Parsed<ParsedBucketPrefix> } | undefined;

  /** `prefix`: one segment like a detector id, e.g. `tdc` (the original's default). */
  constructor(readonly prefix: string) {
    checkIdSegment(prefix, 'prefix');
    this.root = `/${prefix}/`;
    this.detectorsRoot = `${this.root}detectors/`;
    this.linksRoot = `${this.root}links/`;
    this.coordinatesRoot = `${this.root}coordinates/`;
    this.statusRoot = `${this.root}status/`;
    this.travelTimesRoot = `${this.root}traveltimes/`;
    this.locksRoot = `${this.root}locks/`;
    this.lateRoot = `${this.root}late/`;
    this.recomputeRoot = `${this.root}recompute/`;
    this.routesRoot = `${this.root}routes/`;
    this.routeTimesRoot = `${this.root}route-times/`;
    this.profilesRoot = `${this.root}profiles/`;
    this.alertsRoot = `${this.root}alerts/`;
    this.detectorHealthRoot = `${this.root}detector-health/`;
  }

  // --- events -------------------------------------------------------------------

  /** `/{prefix}/detectors/{detector}/`: every event of one detector (an id checked by the caller). */
  detectorPrefix(detectorId: string): string {
    return `${this.detectorsRoot}${detectorId}/`;
  }

  /** `/{prefix}/detectors/{detector}/{bucket}/`: one detector's events of one 100-second bucket (an id checked by the caller). */
  bucketPrefix(detectorId: string, bucket: number): string {
    return `${this.detectorPrefix(detectorId)}${String(bucket).padStart(BUCKET_DIGITS, '0')}/`;
  }

  /** The key of one sighting. `field` names it in errors, e.g. `sightings[3]`. */
  eventKey(sighting: EventKeyInput, field = 'sighting'): string {
    const { detectorId, deviceId, time } = sighting;
    const valid =
      typeof detectorId === 'string' &&
      idSegmentProblem(detectorId) === undefined &&
      typeof deviceId === 'string' &&
      deviceSegmentProblem(deviceId) === undefined &&
      typeof time === 'bigint' &&
      time >= 0n &&
      time < KEY_TIME_LIMIT;
    if (!valid) {
      // Field names are built only here: the checks again, to throw the precise error.
      checkIdSegment(detectorId, `${field}.detectorId`);
      checkDeviceSegment(deviceId, `${field}.deviceId`);
      checkKeyTime(time, `${field}.time`);
    }
    const ms = Number(time / NANOS_PER_MILLISECOND);
    const bucket = bucketOfMillisecond(ms);
    // Sightings arrive in runs of one detector's bucket: its prefix is built once per run.
    const last = this.lastBucket;
    let prefix: string;
    if (last.detectorId === detectorId && last.bucket === bucket) prefix = last.prefix;
    else {
      prefix = this.bucketPrefix(detectorId, bucket);
      this.lastBucket = { detectorId, bucket, prefix };
    }
    return this.eventKeyWriter.key(prefix, detectorId, deviceId, time, ms);
  }

  /**
   * The keys that can hold one detector's events in `range`: from the bucket and ULID
   * millisecond of `after` to those of the last nanosecond before `before`. Events in
   * the first and last millisecond still need filtering by their exact time. The id is
   * checked by the caller.
   */
  eventRange(detectorId: string, range: KeyTimeRange): KeyRange {
    const detector = this.detectorPrefix(detectorId);
    const start = this.eventBoundary(detectorId, range.after);
    if (range.before === undefined) return { start, end: prefixEnd(detector) };
    const last = range.before - 1n;
    return { start, end: this.eventBoundary(detectorId, last, 1) };
  }

  /** Reads an event key; keys written by the original (random ULIDs, dotted device ids) included. */
  parseEventKey(key: string): Parsed<EventKeyParts> {
    const bucketPart = this.parseEventBucketPrefix(key);
    if (!bucketPart.ok) return bucketPart;
    const { detectorId, bucket, afterBucket } = bucketPart.value;
    const ulid = key.slice(afterBucket + 1, afterBucket + 1 + ULID_LENGTH);
    const problem = ulidProblem(ulid);
    if (problem !== undefined) return reject(`has a last segment whose ULID ${problem}`);
    const dot = afterBucket + 1 + ULID_LENGTH;
    if (key.charAt(dot) !== '.') return reject('has no "." between the ULID and the device id');
    const deviceId = key.slice(dot + 1);
    if (deviceId.length === 0) return reject('has an empty device id');
    return accept({ detectorId, bucket, ulid, ulidTimeMs: decodeUlidTime(ulid), deviceId });
  }

  /**
   * The `{detector}/{bucket}/` part of an event key, checked; `afterBucket` is the index
   * of the `/` ending it. Keys are read in runs of one bucket, so the last prefix read is
   * kept and a key starting with it needs no second look.
   */
  private parseEventBucketPrefix(key: string): Parsed<ParsedBucketPrefix> {
    const last = this.lastParsedBucketPrefix;
    if (last !== undefined && key.startsWith(last.text)) {
      return key.includes('/', last.text.length) ? this.rejectEventKeySegments(key) : last.parsed;
    }
    if (!key.startsWith(this.detectorsRoot)) return reject(`is not under ${this.detectorsRoot}`);
    const start = this.detectorsRoot.length;
    const afterDetector = key.indexOf('/', start);
    const afterBucket = afterDetector < 0 ? -1 : key.indexOf('/', afterDetector + 1);
    if (afterBucket < 0 || key.includes('/', afterBucket + 1)) return this.rejectEventKeySegments(key);
    const detectorId = key.slice(start, afterDetector);
    if (detectorId.length === 0) return reject('has an empty detector id');
    const bucketText = key.slice(afterDetector + 1, afterBucket);
    if (!BUCKET_PATTERN.test(bucketText))
      return reject(`has bucket ${JSON.stringify(bucketText)}, not 1 to 10 digits`);
    const bucket = Number(bucketText);
    if (bucket % EVENT_BUCKET_SECONDS !== 0)
      return reject(`has bucket ${bucketText}, not a multiple of 100 seconds`);
    const parsed = accept({ detectorId, bucket, afterBucket });
    this.lastParsedBucketPrefix = { text: key.slice(0, afterBucket + 1), parsed };
    return parsed;
  }

  private rejectEventKeySegments(key: string): Parsed<never> {
    const count = key.slice(this.detectorsRoot.length).split('/').length;
    return reject(
      `has ${count} segments after ${this.detectorsRoot}, expected {detector}/{bucket}/{ULID}.{device}`,
    );
  }

  /** The first key of `time`'s millisecond (or of the millisecond `msOffset` later). */
  private eventBoundary(detectorId: string, time: UnixNanos, msOffset = 0): string {
    const ms = Number(time / NANOS_PER_MILLISECOND) + msOffset;
    return this.bucketPrefix(detectorId, eventBucket(time)) + encodeUlidTime(ms);
  }

  // --- links --------------------------------------------------------------------

  /** `/{prefix}/links/{destination}/`: every link into one detector (an id checked by the caller). */
  linkPrefix(destination: string): string {
    return `${this.linksRoot}${destination}/`;
  }

  /** `field` names the link in errors, e.g. `link` → `link.source`. */
  linkKey(link: { readonly destination: string; readonly source: string }, field = 'link'): string {
    const destination = checkIdSegment(link.destination, `${field}.destination`);
    return this.linkPrefix(destination) + checkIdSegment(link.source, `${field}.source`);
  }

  parseLinkKey(key: string): Parsed<LinkKeyParts> {
    const segments = this.idSegmentsUnder(this.linksRoot, key, 2);
    if (!segments.ok) return segments;
    const [destination, source] = segments.value as [DetectorId, DetectorId];
    return accept({ destination, source });
  }

  // --- coordinates ------------------------------------------------------------

  coordinatesKey(detectorId: string, field = 'detectorId'): string {
    return this.coordinatesRoot + checkIdSegment(detectorId, field);
  }

  parseCoordinatesKey(key: string): Parsed<DetectorId> {
    const segments = this.idSegmentsUnder(this.coordinatesRoot, key, 1);
    return segments.ok ? accept(segments.value[0] as DetectorId) : segments;
  }

  // --- status reports -----------------------------------------------------------

  /** `/{prefix}/status/{detector}/`: every report of one detector (an id checked by the caller). */
  statusPrefix(detectorId: string): string {
    return `${this.statusRoot}${detectorId}/`;
  }

  /** `field` names the report in errors, e.g. `status` → `status.time`. */
  statusKey(status: { readonly detectorId: string; readonly time: UnixNanos }, field = 'status'): string {
    const prefix = this.statusPrefix(checkIdSegment(status.detectorId, `${field}.detectorId`));
    return prefix + formatKeyTime(checkKeyTime(status.time, `${field}.time`));
  }

  statusRange(detectorId: string, range: KeyTimeRange): KeyRange {
    return this.timeKeyedRange(this.statusPrefix(detectorId), range);
  }

  parseStatusKey(key: string): Parsed<StatusKeyParts> {
    const segments = this.segmentsUnder(this.statusRoot, key, 2);
    if (!segments.ok) return segments;
    const [detectorId = '', timeText = ''] = segments.value;
    const idProblem = idSegmentProblem(detectorId);
    if (idProblem !== undefined) return reject(`has a detector id that ${idProblem}`);
    const time = parseTimeSegment(timeText);
    return time.ok ? accept({ detectorId: detectorId as DetectorId, time: time.value }) : time;
  }

  // --- travel-time estimates ----------------------------------------------------

  /** `/{prefix}/traveltimes/{destination}/{source}/`: every estimate of one link (ids checked by the caller). */
  estimateLinkPrefix(link: { readonly destination: string; readonly source: string }): string {
    return `${this.travelTimesRoot}${link.destination}/${link.source}/`;
  }

  /** `field` names the estimate in errors, e.g. `estimates[2]` → `estimates[2].intervalEnd`. */
  estimateKey(estimate: EstimateKeyParts, field = 'estimate'): string {
    const prefix = this.estimateLinkPrefix(checkLink(estimate, field));
    return prefix + formatKeyTime(checkKeyTime(estimate.intervalEnd, `${field}.intervalEnd`));
  }

  estimateRange(
    link: { readonly destination: string; readonly source: string },
    range: KeyTimeRange,
  ): KeyRange {
    return this.timeKeyedRange(this.estimateLinkPrefix(link), range);
  }

  parseEstimateKey(key: string): Parsed<EstimateKeyParts> {
    const segments = this.segmentsUnder(this.travelTimesRoot, key, 3);
    if (!segments.ok) return segments;
    const [destination = '', source = '', timeText = ''] = segments.value;
    for (const id of [destination, source]) {
      const problem = idSegmentProblem(id);
      if (problem !== undefined) return reject(`has a detector id that ${problem}`);
    }
    const intervalEnd = parseTimeSegment(timeText);
    if (!intervalEnd.ok) return intervalEnd;
    return accept({
      destination: destination as DetectorId,
      source: source as DetectorId,
      intervalEnd: intervalEnd.value,
    });
  }

  // --- routes -------------------------------------------------------------------

  routeKey(name: string, field = 'name'): string {
    return this.routesRoot + checkIdSegment(name, field);
  }

  parseRouteKey(key: string): Parsed<RouteName> {
    const segments = this.idSegmentsUnder(this.routesRoot, key, 1);
    return segments.ok ? accept(segments.value[0] as RouteName) : segments;
  }

  /** `/{prefix}/route-times/{route}/`: every estimate of one route (a name checked by the caller). */
  routeEstimatePrefix(route: string): string {
    return `${this.routeTimesRoot}${route}/`;
  }

  /** `field` names the estimate in errors, e.g. `estimates[2]` → `estimates[2].route`. */
  routeEstimateKey(estimate: RouteEstimateKeyParts, field = 'estimate'): string {
    const prefix = this.routeEstimatePrefix(checkIdSegment(estimate.route, `${field}.route`));
    return prefix + formatKeyTime(checkKeyTime(estimate.intervalEnd, `${field}.intervalEnd`));
  }

  routeEstimateRange(route: string, range: KeyTimeRange): KeyRange {
    return this.timeKeyedRange(this.routeEstimatePrefix(route), range);
  }

  parseRouteEstimateKey(key: string): Parsed<RouteEstimateKeyParts> {
    const segments = this.segmentsUnder(this.routeTimesRoot, key, 2);
    if (!segments.ok) return segments;
    const [route = '', timeText = ''] = segments.value;
    const problem = idSegmentProblem(route);
    if (problem !== undefined) return reject(`has a route name that ${problem}`);
    const intervalEnd = parseTimeSegment(timeText);
    return intervalEnd.ok
      ? accept({ route: route as RouteName, intervalEnd: intervalEnd.value })
      : intervalEnd;
  }

  // --- typical profiles -----------------------------------------------------------

  /** `field` names the target in errors, e.g. `profile.target` → `profile.target.source`. */
  profileKey(target: TrafficTarget, field = 'target'): string {
    if (target?.kind === 'link') {
      const link = checkLink(target, field);
      return `${this.profilesRoot}link/${link.destination}/${link.source}`;
    }
    if (target?.kind === 'route') {
      return `${this.profilesRoot}route/${checkIdSegment(target.route, `${field}.route`)}`;
    }
    throw new StoreInvalidArgumentError(`${field}.kind: must be link or route`);
  }

  parseProfileKey(key: string): Parsed<TrafficTarget> {
    const segments = this.segmentsUnder(
      this.profilesRoot,
      key,
      key.startsWith(`${this.profilesRoot}link/`) ? 3 : 2,
    );
    if (!segments.ok) return segments;
    const [kind = '', ...ids] = segments.value;
    if (kind !== 'link' && kind !== 'route') {
      return reject(`has target kind ${JSON.stringify(kind.slice(0, 40))}, not link or route`);
    }
    for (const id of ids) {
      const problem = idSegmentProblem(id);
      if (problem !== undefined) return reject(`has an id that ${problem}`);
    }
    const [first = '', second = ''] = ids;
    return kind === 'link'
      ? accept({ kind, destination: first as DetectorId, source: second as DetectorId })
      : accept({ kind, route: first as RouteName });
  }

  // --- alerts -------------------------------------------------------------------

  /** `/{prefix}/alerts/{id}`; the id must be a ULID (upper case), whose time orders the keys. */
  alertKey(id: string, field = 'id'): string {
    if (typeof id !== 'string')
      throw new StoreInvalidArgumentError(`${field}: must be a string, got ${typeof id}`);
    const problem = ulidProblem(id);
    if (problem !== undefined) {
      throw new StoreInvalidArgumentError(`${field}: ${JSON.stringify(id.slice(0, 40))} ${problem}`);
    }
    return this.alertsRoot + id;
  }

  /** The first key of alerts whose ULID time is `ms` or later. */
  alertTimeBoundary(ms: number): string {
    return this.alertsRoot + encodeUlidTime(ms);
  }

  parseAlertKey(key: string): Parsed<string> {
    const segments = this.segmentsUnder(this.alertsRoot, key, 1);
    if (!segments.ok) return segments;
    const [id = ''] = segments.value;
    const problem = ulidProblem(id);
    return problem === undefined ? accept(id) : reject(`has an id that ${problem}`);
  }

  // --- detector health ------------------------------------------------------------

  detectorHealthKey(detectorId: string, field = 'detectorId'): string {
    return this.detectorHealthRoot + checkIdSegment(detectorId, field);
  }

  parseDetectorHealthKey(key: string): Parsed<DetectorId> {
    const segments = this.idSegmentsUnder(this.detectorHealthRoot, key, 1);
    return segments.ok ? accept(segments.value[0] as DetectorId) : segments;
  }

  // --- recompute marks -----------------------------------------------------------

  /** `/{prefix}/late/{detector}/{bucket}`: the detector's bucket had sightings appended late. */
  lateSightingsKey(detectorId: string, bucket: number): string {
    return `${this.lateRoot}${checkIdSegment(detectorId, 'detectorId')}/${String(bucket).padStart(BUCKET_DIGITS, '0')}`;
  }

  parseLateSightingsKey(key: string): Parsed<LateSightingsKeyParts> {
    const segments = this.idSegmentsUnder(this.lateRoot, key, 2);
    if (!segments.ok) return segments;
    const [detectorId = '', bucketText = ''] = segments.value;
    if (bucketText.length !== BUCKET_DIGITS || !BUCKET_PATTERN.test(bucketText)) {
      return reject(`has bucket ${JSON.stringify(bucketText.slice(0, 40))}, not ${BUCKET_DIGITS} digits`);
    }
    return accept({ detectorId: detectorId as DetectorId, bucket: Number(bucketText) });
  }

  /** `/{prefix}/recompute/{destination}/`: every pending range of one destination (an id checked by the caller). */
  recomputePrefix(destination: string): string {
    return `${this.recomputeRoot}${destination}/`;
  }

  /** `field` names the range in errors, e.g. `ranges[1]` → `ranges[1].id`. */
  recomputeKey(range: RecomputeKeyParts, field = 'range'): string {
    const prefix = this.recomputePrefix(checkIdSegment(range.destination, `${field}.destination`));
    const from = formatKeyTime(checkKeyTime(range.from, `${field}.from`));
    if (!RECOMPUTE_ORIGINS.includes(range.origin)) {
      throw new StoreInvalidArgumentError(
        `${field}.origin: ${JSON.stringify(range.origin)} is not one of ${RECOMPUTE_ORIGINS.join(', ')}`,
      );
    }
    return `${prefix}${from}/${range.origin}/${checkIdSegment(range.id, `${field}.id`)}`;
  }

  parseRecomputeKey(key: string): Parsed<RecomputeKeyParts> {
    const segments = this.segmentsUnder(this.recomputeRoot, key, 4);
    if (!segments.ok) return segments;
    const [destination = '', fromText = '', origin = '', id = ''] = segments.value;
    for (const segment of [destination, id]) {
      const problem = idSegmentProblem(segment);
      if (problem !== undefined) return reject(`has an id that ${problem}`);
    }
    const from = parseTimeSegment(fromText);
    if (!from.ok) return from;
    if (!(RECOMPUTE_ORIGINS as readonly string[]).includes(origin)) {
      return reject(
        `has origin ${JSON.stringify(origin.slice(0, 40))}, not one of ${RECOMPUTE_ORIGINS.join(', ')}`,
      );
    }
    return accept({
      destination: destination as DetectorId,
      from: from.value,
      origin: origin as RecomputeOrigin,
      id,
    });
  }

  // --- work locks ---------------------------------------------------------------

  /**
   * `/{prefix}/locks/{name}`. `name` is id segments joined by `/`, e.g. `traveltime/det-7`;
   * each segment is checked like a detector id, so `field` names the bad one in errors.
   */
  lockKey(name: string, field = 'name'): string {
    if (typeof name !== 'string') checkIdSegment(name, field);
    const segments = name.split('/');
    segments.forEach((segment, index) =>
      checkIdSegment(segment, segments.length === 1 ? field : `${field} segment ${index + 1}`),
    );
    return this.locksRoot + name;
  }

  // --- helpers ------------------------------------------------------------------

  private timeKeyedRange(prefix: string, range: KeyTimeRange): KeyRange {
    return {
      start: prefix + formatKeyTime(range.after),
      end: range.before === undefined ? prefixEnd(prefix) : prefix + formatKeyTime(range.before),
    };
  }

  private segmentsUnder(root: string, key: string, count: number): Parsed<string[]> {
    if (!key.startsWith(root)) return reject(`is not under ${root}`);
    const segments = key.slice(root.length).split('/');
    if (segments.length !== count)
      return reject(`has ${segments.length} segments after ${root}, expected ${count}`);
    return accept(segments);
  }

  private idSegmentsUnder(root: string, key: string, count: number): Parsed<string[]> {
    const segments = this.segmentsUnder(root, key, count);
    if (!segments.ok) return segments;
    for (const segment of segments.value) {
      const problem = idSegmentProblem(segment);
      if (problem !== undefined) return reject(`has a detector id that ${problem}`);
    }
    return segments;
  }
}

/**
 * Throws `StoreInvalidArgumentError` naming `field` (e.g. `links[2]` → `links[2].source`)
 * unless both ids of `link` can be key segments.
 */
export function checkLink<T extends { readonly destination: string; readonly source: string }>(
  link: T,
  field: string,
): T {
  checkIdSegment(link.destination, `${field}.destination`);
  checkIdSegment(link.source, `${field}.source`);
  return link;
}

function parseTimeSegment(text: string): Parsed<UnixNanos> {
  if (text.length !== 19) return reject(`has time ${JSON.stringify(text.slice(0, 40))}, not 19 digits`);
  return parseNanosText(text);
}

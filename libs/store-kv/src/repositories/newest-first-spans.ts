import type { DetectorId, UnixNanos } from '@message-bus/domain';
import type { KeyTimeRange } from '../keys/key-time';
import { bucketOfMillisecond, type Keyspace } from '../keys/keyspace';
import type { KvEntry } from '../kv-backend';
import type { KvStore } from './kv-store';

const NANOS_PER_MILLISECOND = 1_000_000n;
/**
 * Most entries asked of one read: a reverse read of up to this many is one descending
 * range request on etcd (`EtcdBackend`'s default page size); beyond it the backend reads
 * the range ascending first.
 */
const MAX_READ_ENTRIES = 1000;
/** A span aims to hold this share of a read at most, so that most spans take one request. */
const SPAN_FILL = 0.75;
/** A span aims at this many times the entries still wanted, so that one span usually ends the read. */
const SPAN_MARGIN = 1.25;
/** Fewest entries asked of a read: the reader may still filter some out (the range's edge milliseconds). */
const MIN_READ_ENTRIES = 16;
/** The density a first span is sized for without a read of the detector before: a busy detector's sighting a second. */
const FIRST_SPAN_MS_PER_ENTRY = 1000;
/** The densest a remembered density is taken to be: a sighting every 1/100 ms. */
const MIN_MS_PER_ENTRY = 0.01;
/** Detectors whose last read's density is remembered; beyond, the least recently read is forgotten. */
const REMEMBERED_DETECTORS = 4096;
/**
 * Most a span grows over the one before, per entry that one held: through a silence it
 * widens by this factor per read, and a density seen in few entries is not trusted far.
 */
const MAX_SPAN_GROWTH = 8;

/**
 * One detector's event entries in `range`, newest first, exactly as one reverse scan of
 * the range's keys hands them out, read in spans of time walked back from the range's
 * end (or from `now` when it has none; the first span also holds every key above it),
 * down to `oldestKept`, the retention's edge, below which the rest is one last span (as
 * is a rest narrower than the span before it).
 *
 * For a backend where a reverse read costs its whole range (etcd sorts it whole before
 * cutting it to the limit), a reader of the newest few entries of a long history would
 * otherwise pay for the history. Each read asks for the entries still wanted (at most
 * `MAX_READ_ENTRIES`) over a span sized to hold about that many at the density seen
 * last: a span that held fewer is followed by one sized from its count (at most
 * `MAX_SPAN_GROWTH` times as wide per entry it held, so a silence is crossed in a
 * logarithm of its length),
 * and a span that held more continues below the last key read, over a width its
 * entries' own spread of time gives. So a read takes about wanted / `MAX_READ_ENTRIES`
 * requests plus that logarithm, each over a span of about the entries it returns, and
 * the spans tile the range, so no key is read twice.
 *
 * The first span is sized by how far back, per entry, the detector's last read reached
 * (`densities`): a sparse detector read again takes one span, not a widening series.
 *
 * `entriesWanted` is how many entries the reader expects to take; it may take more
 * (reads then go on with small spans) or stop early (the walk stops with it).
 */
export async function* newestFirstSpans(
  store: KvStore,
  detectorId: DetectorId,
  range: KeyTimeRange,
  entriesWanted: number,
  now: UnixNanos,
  oldestKept: UnixNanos,
  densities: SpanDensities,
): AsyncGenerator<readonly KvEntry[]> {
  const { keyspace } = store;
  const whole = keyspace.eventRange(detectorId, range);
  // Below the oldest kept sighting, the rest of the range is one last span.
  const afterMs = (range.after > oldestKept ? range.after : oldestKept) / NANOS_PER_MILLISECOND;
  let end = whole.end;
  const anchorMs = ceilDiv(range.before ?? now, NANOS_PER_MILLISECOND);
  let upperMs = anchorMs;
  let taken = 0;
  let oldestTaken: string | undefined;
  let wanted = entriesWanted;
  let widthMs = spanTarget(wanted) * (densities.of(detectorId) ?? FIRST_SPAN_MS_PER_ENTRY);
  try {
    for (;;) {
      const width = BigInt(Math.max(1, Math.ceil(widthMs)));
      const lowerMs = upperMs - width;
      // A rest narrower than this span is read with it: one request instead of two.
      const last = lowerMs - width <= afterMs;
      const start = last
        ? whole.start
        : keyspace.eventRange(detectorId, { after: lowerMs * NANOS_PER_MILLISECOND, before: undefined })
            .start;
      const limit = Math.min(wanted, MAX_READ_ENTRIES);
      let held = 0;
      let newestKey: string | undefined;
      let oldestKey: string | undefined;
      for await (const page of store.scanPages({ start, end, reverse: true }, limit)) {
        newestKey ??= page[0]?.key;
        oldestKey = page[page.length - 1]?.key;
        held += page.length;
        taken += page.length;
        oldestTaken = oldestKey;
        yield page;
        if (held >= limit) break;
      }
      wanted = Math.max(entriesWanted - taken, MIN_READ_ENTRIES);
      if (held < limit || oldestKey === undefined || newestKey === undefined) {
        // The span is read whole; the next lies below it.
        if (last) return;
        // The more entries a density comes from, the further it is trusted.
        const grown = widthMs * MAX_SPAN_GROWTH * Math.max(1, held);
        widthMs = held === 0 ? grown : Math.min((widthMs * spanTarget(wanted)) / held, grown);
        end = start;
        upperMs = lowerMs;
        continue;
      }
      // The span holds more: go on below the last key read. Where the keys tell their
      // millisecond, the next span ends just above the last one and is as wide as the
      // entries read say the wanted ones take; otherwise it is the rest of this span.
      end = oldestKey;
      const newestMs = keyMillisecond(keyspace, newestKey);
      const oldestMs = keyMillisecond(keyspace, oldestKey);
      if (newestMs !== undefined && oldestMs !== undefined) {
        upperMs = BigInt(oldestMs + 1);
        widthMs = (spanTarget(wanted) * (newestMs - oldestMs + 1)) / held;
      } else {
        widthMs = Number(upperMs - lowerMs);
      }
    }
  } finally {
    const oldestMs = oldestTaken === undefined ? undefined : keyMillisecond(keyspace, oldestTaken);
    if (oldestMs !== undefined) densities.remember(detectorId, Number(anchorMs - BigInt(oldestMs)) / taken);
  }
}

/**
 * How far back, per entry, each detector's last newest-first read reached from its
 * range's end: the density its next first span is sized for. Bounded: a few numbers
 * per detector, for the `REMEMBERED_DETECTORS` read most recently.
 */
export class SpanDensities {
  private readonly msPerEntry = new Map<string, number>();

  of(detectorId: string): number | undefined {
    return this.msPerEntry.get(detectorId);
  }

  remember(detectorId: string, msPerEntry: number): void {
    // Re-inserted, so the map's order is the order of reads and its first key the least recent.
    this.msPerEntry.delete(detectorId);
    if (this.msPerEntry.size >= REMEMBERED_DETECTORS) {
      const [leastRecent] = this.msPerEntry.keys();
      if (leastRecent !== undefined) this.msPerEntry.delete(leastRecent);
    }
    this.msPerEntry.set(detectorId, Math.max(msPerEntry, MIN_MS_PER_ENTRY));
  }
}

/** The ULID millisecond of an event key, when the key is well formed and its bucket holds that millisecond. */
function keyMillisecond(keyspace: Keyspace, key: string): number | undefined {
  const parsed = keyspace.parseEventKey(key);
  if (!parsed.ok || bucketOfMillisecond(parsed.value.ulidTimeMs) !== parsed.value.bucket) return undefined;
  return parsed.value.ulidTimeMs;
}

/** Entries a span aims to hold when `wanted` are still wanted. */
function spanTarget(wanted: number): number {
  return Math.min(wanted * SPAN_MARGIN, MAX_READ_ENTRIES * SPAN_FILL);
}

function ceilDiv(value: bigint, divisor: bigint): bigint {
  return (value + divisor - 1n) / divisor;
}

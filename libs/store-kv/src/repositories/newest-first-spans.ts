import type { DetectorId, UnixNanos } from '@message-bus/domain';
import type { KeyTimeRange } from '../keys/key-time';
import { bucketOfMillisecond, type Keyspace } from '../keys/keyspace';
import type { KvEntry } from '../kv-backend';
import type { KvStore } from './kv-store';

const NANOS_PER_MILLISECOND = 1_000_000n;
/**
 * Most entries asked of one read: a reverse read of up to this many is one descending
 * range request on etcd (`EtcdBackend`'s default, ten pages of 1,000); beyond it the
 * backend reads the range ascending first.
 */
const MAX_READ_ENTRIES = 10_000;
/** A span aims to hold this share of a read at most, so that most spans take one request. */
const SPAN_FILL = 0.75;
/** A span aims at this many times the entries still wanted, so that one span usually ends the read. */
const SPAN_MARGIN = 1.25;
/** Fewest entries asked of a read: the reader may still filter some out (the range's edge milliseconds). */
const MIN_READ_ENTRIES = 16;
/** The density a detector's first read sizes its first span for: a busy detector's sighting a second. */
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
 * (`densities`), and below where its oldest sighting lay when a read last reached it, the
 * rest is one last span: a sparse detector read again takes one or two spans.
 * While the reader has fewer than it asked for, the next span is read while it takes
 * the last one's entries (two spans held at most), so its decoding overlaps the round trip.
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
  const anchorMs = ceilDiv(range.before ?? now, NANOS_PER_MILLISECOND);
  let end = whole.end;
  let upperMs = anchorMs;
  let taken = 0;
  let oldestTaken: string | undefined;
  let wanted = entriesWanted;
  const known = densities.of(detectorId);
  let widthMs = spanTarget(wanted) * (known?.msPerEntry ?? FIRST_SPAN_MS_PER_ENTRY);
  // Where the detector's oldest sighting lay when a read last reached it, the rest of the
  // range below is taken as one last span: a short history ends in one read, not a widening series.
  const restFromMs = known?.oldestMs !== undefined && known.oldestMs > afterMs ? known.oldestMs : afterMs;
  let reachedOldest = false;
  /** Starts reading the span below `end` that the walk's state gives. */
  const begin = (): SpanRead => {
    const width = BigInt(Math.max(1, Math.ceil(widthMs)));
    const lowerMs = upperMs - width;
    // A rest narrower than this span is read with it: one request instead of two.
    const last = lowerMs - width <= restFromMs;
    const start = last
      ? whole.start
      : keyspace.eventRange(detectorId, { after: lowerMs * NANOS_PER_MILLISECOND, before: undefined })
          .start;
    const limit = Math.min(wanted, MAX_READ_ENTRIES);
    const pages = readSpan(store, { start, end, reverse: true }, limit);
    // Observed when awaited; this keeps a failure of a read started ahead from being "unhandled".
    pages.catch(() => undefined);
    return { start, lowerMs, last, limit, pages };
  };
  try {
    for (let span = begin(); ;) {
      const pages = await span.pages;
      const newestKey = pages[0]?.[0]?.key;
      const oldestKey = pages.at(-1)?.at(-1)?.key;
      const held = pages.reduce((sum, page) => sum + page.length, 0);
      taken += held;
      oldestTaken = oldestKey ?? oldestTaken;
      wanted = Math.max(entriesWanted - taken, MIN_READ_ENTRIES);
      const exhausted = held < span.limit || oldestKey === undefined || newestKey === undefined;
      if (exhausted) {
        // The span is read whole; the next lies below it. The more entries a density
        // comes from, the further it is trusted.
        const grown = widthMs * MAX_SPAN_GROWTH * Math.max(1, held);
        widthMs = held === 0 ? grown : Math.min((widthMs * spanTarget(wanted)) / held, grown);
        end = span.start;
        upperMs = span.lowerMs;
      } else {
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
          widthMs = Number(upperMs - span.lowerMs);
        }
      }
      const done = exhausted && span.last;
      reachedOldest = done && range.after <= oldestKept;
      // Fewer entries than the reader's limit so far: it will ask for more, so the next
      // span is read while it takes this one's.
      const ahead = !done && taken < entriesWanted - MIN_READ_ENTRIES ? begin() : undefined;
      for (const page of pages) yield page;
      if (done) return;
      span = ahead ?? begin();
    }
  } finally {
    const oldestMs = oldestTaken === undefined ? undefined : keyMillisecond(keyspace, oldestTaken);
    if (oldestMs !== undefined) {
      const msPerEntry = Number(anchorMs - BigInt(oldestMs)) / taken;
      densities.remember(detectorId, msPerEntry, reachedOldest ? BigInt(oldestMs) : known?.oldestMs);
    }
  }
}

/** A span being read: its bounds and its pages, read whole (up to its limit) before they are handed on. */
interface SpanRead {
  readonly start: string;
  readonly lowerMs: bigint;
  /** The span reaches the range's start (or the retention's edge): nothing lies below it. */
  readonly last: boolean;
  readonly limit: number;
  readonly pages: Promise<(readonly KvEntry[])[]>;
}

/** The pages of `range`, up to `limit` entries, all read before any is handed on (at most `limit` held). */
async function readSpan(
  store: KvStore,
  range: { readonly start: string; readonly end: string; readonly reverse: boolean },
  limit: number,
): Promise<(readonly KvEntry[])[]> {
  const pages: (readonly KvEntry[])[] = [];
  let held = 0;
  for await (const page of store.scanPages(range, limit)) {
    pages.push(page);
    held += page.length;
    if (held >= limit) break;
  }
  return pages;
}

/**
 * How far back, per entry, each detector's last newest-first read reached from its
 * range's end: the density its next first span is sized for. Bounded: a few numbers
 * per detector, for the `REMEMBERED_DETECTORS` read most recently.
 */
export class SpanDensities {
  private readonly detectors = new Map<string, SpanDensity>();

  of(detectorId: string): SpanDensity | undefined {
    return this.detectors.get(detectorId);
  }

  remember(detectorId: string, msPerEntry: number, oldestMs: bigint | undefined): void {
    // Re-inserted, so the map's order is the order of reads and its first key the least recent.
    this.detectors.delete(detectorId);
    if (this.detectors.size >= REMEMBERED_DETECTORS) {
      const [leastRecent] = this.detectors.keys();
      if (leastRecent !== undefined) this.detectors.delete(leastRecent);
    }
    this.detectors.set(detectorId, { msPerEntry: Math.max(msPerEntry, MIN_MS_PER_ENTRY), oldestMs });
  }
}

interface SpanDensity {
  /** How far back from its range's end the last read reached, per entry read. */
  readonly msPerEntry: number;
  /** The millisecond of the detector's oldest sighting, when a read last reached it. */
  readonly oldestMs: bigint | undefined;
}

/** The ULID millisecond of an event key, when the key is well formed and its bucket holds that millisecond. */
function keyMillisecond(keyspace: Keyspace, key: string): number | undefined {
  const parsed = keyspace.parseEventKey(key);
  if (!parsed.ok || bucketOfMillisecond(parsed.value.ulidTimeMs) !== parsed.value.bucket) return undefined;
  return parsed.value.ulidTimeMs;
}

/**
 * Entries a span aims to hold when `wanted` are still wanted: a margin more, and a few
 * more again for small reads, whose density (taken from few entries and reaching back
 * from a clock that has moved on since) is the least sure.
 */
function spanTarget(wanted: number): number {
  return Math.min(wanted * SPAN_MARGIN + MIN_READ_ENTRIES, MAX_READ_ENTRIES * SPAN_FILL);
}

function ceilDiv(value: bigint, divisor: bigint): bigint {
  return (value + divisor - 1n) / divisor;
}

import { setTimeout as sleep } from 'node:timers/promises';
import {
  formatNanosIso,
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  ValidationError,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import type { LinkRef, NewRecomputeRange, Repository, TimeRange } from '@message-bus/repository';
import type { Logger } from '@message-bus/server-kit';
import { ulid } from 'ulid';
import { selectedLinks, type LinkSelectorInput, type LinksOnlySelection } from './link-selection';

/** A RecomputeTravelTimes request as the wire carries it, with times already in nanoseconds. */
export interface RecomputeRequestInput {
  /** Undefined when the client chose no links. */
  readonly links: LinkSelectorInput | undefined;
  readonly range?: TimeRange;
}

/** The interval ends to recompute: [after, before). */
export interface RecomputeRequestRange {
  readonly after: UnixNanos;
  readonly before: UnixNanos;
}

/** How far a recompute has got, counted in seconds of interval ends per destination. */
export interface RecomputeProgress {
  readonly destinations: number;
  readonly destinationsDone: number;
  /** Σ over the destinations of the range's length, in whole seconds (rounded up). */
  readonly spanSeconds: number;
  readonly spanSecondsDone: number;
  /** Every destination is finished. */
  readonly done: boolean;
}

/**
 * A recompute the service refuses for what the store holds rather than for the request's
 * form: `unknown_links` (the selection has no link), `outside_retained_time` (the range
 * starts before the oldest raw sightings kept, or ends after now). The gRPC edge gives
 * each its own status.
 */
export class RecomputeRefusedError extends Error {
  override readonly name = 'RecomputeRefusedError';

  constructor(
    readonly reason: 'unknown_links' | 'outside_retained_time',
    message: string,
  ) {
    super(message);
  }
}

/** What `parseRecomputeRange` checks the range against. */
export interface RetentionBounds {
  readonly now: UnixNanos;
  /** How long raw sightings are kept, e.g. `604_800` (168 h). */
  readonly eventRetentionSeconds: number;
}

/**
 * Both sides required and after < before; `after` no older than `now − retention`, since
 * older sightings are deleted and recomputing their intervals would replace good estimates
 * with empty ones; `before` not later than `now`, since later intervals have not ended.
 */
export function parseRecomputeRange(
  range: TimeRange | undefined,
  bounds: RetentionBounds,
): RecomputeRequestRange {
  const after = range?.after;
  const before = range?.before;
  if (after === undefined) {
    throw new ValidationError(
      'empty',
      'range.after',
      'is not set; give the oldest interval end to recompute',
    );
  }
  if (before === undefined) {
    throw new ValidationError(
      'empty',
      'range.before',
      'is not set; give the interval end to recompute up to (exclusive)',
    );
  }
  if (after >= before) {
    throw new ValidationError(
      'out_of_range',
      'range',
      `after (${formatNanosIso(after)}) is not earlier than before (${formatNanosIso(before)}); ` +
        'after is inclusive and before exclusive, so the range would be empty',
    );
  }
  const retention = formatRetention(bounds.eventRetentionSeconds);
  const oldest = bounds.now - BigInt(Math.round(bounds.eventRetentionSeconds * 1000)) * NANOS_PER_MILLISECOND;
  if (after < oldest) {
    throw new RecomputeRefusedError(
      'outside_retained_time',
      `range.after: ${formatNanosIso(after)} is older than the raw-sighting retention (${retention}) keeps; ` +
        `sightings before ${formatNanosIso(oldest)} are deleted, so recomputing their intervals would ` +
        `erase good estimates; the oldest time that can be recomputed is ${formatNanosIso(oldest)}`,
    );
  }
  if (before > bounds.now) {
    throw new RecomputeRefusedError(
      'outside_retained_time',
      `range.before: ${formatNanosIso(before)} is later than now (${formatNanosIso(bounds.now)}); ` +
        'only intervals that have ended can be recomputed',
    );
  }
  return { after, before };
}

/** What `recomputeAndReport` needs besides the request. */
export interface RecomputeContext {
  readonly repository: Repository;
  readonly logger: Logger;
  /** Between two reads of the pending ranges, e.g. `500`. */
  readonly pollMs: number;
}

/**
 * Records one `request` range per selected destination (a fresh ULID names the request),
 * then reports progress: once when recorded, whenever the pending ranges show more done,
 * and a last time with `done` when none of the request's ranges is pending. A second
 * identical request records new ranges, so the same work is simply done again.
 *
 * `signal` (the client cancelling) stops the reports at once; the workers go on.
 */
export async function* recomputeAndReport(
  context: RecomputeContext,
  selection: LinksOnlySelection,
  range: RecomputeRequestRange,
  signal: AbortSignal,
): AsyncGenerator<RecomputeProgress> {
  const { repository, logger, pollMs } = context;
  const sourcesByDestination = await destinationsOf(repository, selection);
  const id = ulid();
  const ranges: NewRecomputeRange[] = [...sourcesByDestination].map(([destination, sources]) => ({
    destination,
    ...(sources === undefined ? {} : { sources }),
    from: range.after,
    to: range.before,
    origin: 'request',
    id,
  }));
  await repository.recompute.add(ranges);
  logger.info(
    {
      id,
      destinations: ranges.length,
      after: formatNanosIso(range.after),
      before: formatNanosIso(range.before),
    },
    'travel-time recompute requested',
  );

  const spanPerDestination = wholeSecondsUp(range.before - range.after);
  // One destination: read only its ranges; several: one scan of the queue beats one read each.
  const onlyDestination = ranges.length === 1 ? ranges[0]?.destination : undefined;
  let reported = measure(
    ranges.length,
    spanPerDestination,
    new Map(ranges.map((each) => [each.destination, 0])),
  );
  yield reported;
  while (!reported.done) {
    if (!(await pause(pollMs, signal))) return;
    const pending = await repository.recompute.pending(onlyDestination);
    if (signal.aborted) return;
    const doneSecondsByDestination = new Map<DetectorId, number>();
    for (const each of pending) {
      if (each.origin !== 'request' || each.id !== id) continue;
      const done = each.doneBefore > each.from ? wholeSecondsUp(each.doneBefore - each.from) : 0;
      doneSecondsByDestination.set(each.destination, Math.min(done, spanPerDestination));
    }
    const progress = measure(ranges.length, spanPerDestination, doneSecondsByDestination);
    const advanced =
      progress.spanSecondsDone !== reported.spanSecondsDone ||
      progress.destinationsDone !== reported.destinationsDone;
    if (progress.done || advanced) {
      reported = progress;
      yield progress;
    }
  }
}

/**
 * Each destination the selection covers, with the sources to recompute (undefined: every
 * link into it). A selection without a link is refused: there would be nothing to do.
 */
async function destinationsOf(
  repository: Repository,
  selection: LinksOnlySelection,
): Promise<Map<DetectorId, readonly DetectorId[] | undefined>> {
  if (selection.kind === 'link') {
    const { source, destination } = selection.link;
    const listed = await repository.links.list(destination);
    if (!listed.some((link) => link.source === source)) {
      throw new RecomputeRefusedError(
        'unknown_links',
        `links.link: there is no link from "${source}" to "${destination}"; ListLinks shows the links there are`,
      );
    }
    return new Map([[destination, [source]]]);
  }
  const links: LinkRef[] = await selectedLinks(repository.links, selection);
  if (links.length === 0) {
    throw new RecomputeRefusedError(
      'unknown_links',
      selection.kind === 'destination'
        ? `links.dest_detector_id: there are no links into "${selection.destination}"; ListLinks shows the links there are`
        : 'links.all: there are no links, so there are no travel times to recompute',
    );
  }
  return new Map(links.map((link) => [link.destination, undefined]));
}

/**
 * Progress with `doneSecondsByDestination` holding each destination still pending (absent:
 * finished) and how many of its seconds are done.
 */
function measure(
  destinations: number,
  spanPerDestination: number,
  doneSecondsByDestination: ReadonlyMap<DetectorId, number>,
): RecomputeProgress {
  const pendingDestinations = doneSecondsByDestination.size;
  let pendingSecondsDone = 0;
  for (const seconds of doneSecondsByDestination.values()) pendingSecondsDone += seconds;
  return {
    destinations,
    destinationsDone: destinations - pendingDestinations,
    spanSeconds: destinations * spanPerDestination,
    spanSecondsDone: (destinations - pendingDestinations) * spanPerDestination + pendingSecondsDone,
    done: pendingDestinations === 0,
  };
}

/**
 * Waits `ms` without keeping the process alive for it (an unref'd timer); resolves
 * false at once when `signal` aborts, so a cancelled call stops polling.
 */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal, ref: false });
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}

function wholeSecondsUp(nanos: bigint): number {
  return Number((nanos + NANOS_PER_SECOND - 1n) / NANOS_PER_SECOND);
}

/** A retention as the `--retention` option is usually written: `168h`, `90m`, `45s`. */
function formatRetention(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

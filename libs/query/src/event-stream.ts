import { ValidationError, type DetectorId, type Sighting, type UnixNanos } from '@message-bus/domain';
import type { EventRepository, TimeRange } from '@message-bus/repository';
import type { DetectorQuery } from './query-arguments';

/**
 * The sightings of a query as one stream: first a replay of what is stored, then,
 * unless the range has a `before`, the sightings appended from then on, until `signal`
 * aborts.
 *
 * The replay holds the same sightings GetEvents returns (the newest `limitPerDetector`
 * of each detector in the range) but in time order, oldest first, across all detectors,
 * so replay and live sightings read as one timeline.
 *
 * No gap, no duplicate: the follow starts before the replay reads anything, and what it
 * delivers meanwhile is held back; a followed sighting already replayed is dropped.
 * The identities replayed are remembered for the whole stream (as many as the replay
 * holds), because a sighting written during the replay may reach the follow after the
 * replay has read it.
 *
 * `signal` is checked before each sighting read from the store, so an abort stops the
 * reading at once (the store hands out at most the page it had read): the stream then
 * ends with `signal.reason`, which the caller that aborted ignores.
 */
export async function* replayThenFollow(
  events: EventRepository,
  query: DetectorQuery,
  signal: AbortSignal,
  /**
   * Most sightings a replay followed live may hold, since each is remembered; more ends
   * the stream with a ValidationError before anything is sent. A replay with `before`
   * remembers nothing and is not bounded.
   */
  maxLiveReplaySightings = Infinity,
  /** Called once the replay has been sent, before following: the costly part is over. */
  onReplayed?: () => void,
): AsyncGenerator<Sighting> {
  const { range } = query;
  if (range.before !== undefined) {
    yield* replay(events, await findReplayWindows(events, query, signal), range.before, signal);
    onReplayed?.();
    return;
  }
  // Ends the follow however the stream ends: the caller aborts, stops reading, or the replay fails.
  const following = new AbortController();
  const stopFollowing = () => following.abort();
  signal.addEventListener('abort', stopFollowing, { once: true });
  if (signal.aborted) following.abort();
  try {
    const follow = new FollowQueue(events.follow(query.detectorIds, following.signal));
    const windows = await findReplayWindows(events, query, signal);
    const replaying = windows.reduce((sum, window) => sum + window.count, 0);
    if (replaying > maxLiveReplaySightings) {
      throw new ValidationError(
        'out_of_range',
        'limit',
        `selects ${replaying} sightings to replay, more than the ${maxLiveReplaySightings} a live StreamEvents ` +
          'remembers to drop repeats; lower limit or narrow range or detector_ids, or set range.before to ' +
          'replay any amount and follow from there in a second call',
      );
    }
    const replayed = new Set<string>();
    for await (const sighting of replay(events, windows, undefined, signal)) {
      replayed.add(identity(sighting));
      yield sighting;
    }
    onReplayed?.();
    for await (const sighting of follow.drain()) {
      const inRange = range.after === undefined || sighting.time >= range.after;
      if (inRange && !replayed.has(identity(sighting))) yield sighting;
    }
  } finally {
    signal.removeEventListener('abort', stopFollowing);
    following.abort();
  }
}

/** What makes a sighting the same one: its key derives from exactly these. */
function identity(sighting: Sighting): string {
  return `${sighting.detectorId}\u0000${sighting.deviceId}\u0000${sighting.time}`;
}

/** Each detector's replay window, for the detectors with sightings in range. */
async function findReplayWindows(
  events: EventRepository,
  query: DetectorQuery,
  signal: AbortSignal,
): Promise<ReplayWindow[]> {
  const windows = await Promise.all(
    query.detectorIds.map((detectorId) => findReplayWindow(events, detectorId, query, signal)),
  );
  return windows.filter((window) => window !== undefined);
}

/** The windows merged by time. */
function replay(
  events: EventRepository,
  windows: readonly ReplayWindow[],
  before: UnixNanos | undefined,
  signal: AbortSignal,
): AsyncGenerator<Sighting> {
  return mergeByTime(windows.map((window) => replayWindow(events, window, before, signal)));
}

/**
 * The oldest sighting of a detector's newest `limit` in range: where its oldest-first
 * replay starts, and how many of the sightings at exactly that instant belong to it.
 */
interface ReplayWindow {
  readonly detectorId: DetectorId;
  /** Sightings in the window when it was found. */
  readonly count: number;
  /** Undefined: the replay starts at the range's own start. */
  readonly start?: { readonly time: UnixNanos; readonly takenAtTime: number };
  readonly rangeAfter?: UnixNanos;
}

async function findReplayWindow(
  events: EventRepository,
  detectorId: DetectorId,
  query: DetectorQuery,
  signal: AbortSignal,
): Promise<ReplayWindow | undefined> {
  let count = 0;
  let oldest: UnixNanos | undefined;
  let takenAtOldest = 0;
  const newestFirst = events.list({
    detectorIds: [detectorId],
    range: query.range,
    limitPerDetector: query.limitPerDetector,
    order: 'newest_first',
  });
  for await (const sighting of newestFirst) {
    signal.throwIfAborted();
    count += 1;
    if (sighting.time === oldest) {
      takenAtOldest += 1;
    } else {
      oldest = sighting.time;
      takenAtOldest = 1;
    }
  }
  if (oldest === undefined) return undefined;
  const rangeAfter = query.range.after;
  if (count < query.limitPerDetector)
    return { detectorId, count, ...(rangeAfter === undefined ? {} : { rangeAfter }) };
  return { detectorId, count, start: { time: oldest, takenAtTime: takenAtOldest } };
}

/**
 * A window oldest first. Sightings sharing the start instant come in key order, the
 * reverse of the newest-first pass, so the window's are the last `takenAtTime` of them.
 */
async function* replayWindow(
  events: EventRepository,
  window: ReplayWindow,
  before: UnixNanos | undefined,
  signal: AbortSignal,
): AsyncGenerator<Sighting> {
  const after = window.start?.time ?? window.rangeAfter;
  const range: TimeRange = {
    ...(after === undefined ? {} : { after }),
    ...(before === undefined ? {} : { before }),
  };
  const oldestFirst = events.list({ detectorIds: [window.detectorId], range, order: 'oldest_first' });
  const { start } = window;
  const atStart: Sighting[] = [];
  for await (const sighting of oldestFirst) {
    signal.throwIfAborted();
    if (start !== undefined && sighting.time === start.time) {
      atStart.push(sighting);
      continue;
    }
    if (start !== undefined && atStart.length > 0) yield* atStart.splice(0).slice(-start.takenAtTime);
    yield sighting;
  }
  if (start !== undefined && atStart.length > 0) yield* atStart.slice(-start.takenAtTime);
}

/** Merges time-ordered sources into one time-ordered stream; ties go to the earlier source. */
async function* mergeByTime(sources: AsyncGenerator<Sighting>[]): AsyncGenerator<Sighting> {
  const heads = await Promise.all(sources.map((source) => source.next()));
  try {
    for (;;) {
      let next = -1;
      heads.forEach((head, index) => {
        if (head.done) return;
        const best = next < 0 ? undefined : heads[next];
        if (best === undefined || best.done || head.value.time < best.value.time) next = index;
      });
      const chosen = heads[next];
      const source = sources[next];
      if (chosen === undefined || chosen.done || source === undefined) return;
      yield chosen.value;
      heads[next] = await source.next();
    }
  } finally {
    await Promise.all(sources.map((source) => source.return(undefined)));
  }
}

/**
 * A follow read from the moment it is created: what it delivers while the replay runs
 * waits here, and `drain()` yields that and whatever follows, until the follow ends.
 */
class FollowQueue {
  private readonly queue: Sighting[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: { readonly error: unknown } | undefined;

  constructor(follow: AsyncIterable<Sighting>) {
    void this.pull(follow);
  }

  private async pull(follow: AsyncIterable<Sighting>): Promise<void> {
    try {
      for await (const sighting of follow) {
        this.queue.push(sighting);
        this.wake?.();
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.ended = true;
      this.wake?.();
    }
  }

  async *drain(): AsyncGenerator<Sighting> {
    for (;;) {
      const sighting = this.queue.shift();
      if (sighting !== undefined) {
        yield sighting;
        continue;
      }
      if (this.failure !== undefined) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import {
  formatNanosIso,
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  parseDetectorLink,
  type DetectorId,
  type UnixNanos,
} from '@message-bus/domain';
import { query } from '@message-bus/proto';
import {
  StoreQuotaExhaustedError,
  StoreUnavailableError,
  type RecomputeQueue,
  type RecomputeRange,
  type Repository,
} from '@message-bus/repository';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  allLinks,
  detector,
  EVENT_RETENTION_SECONDS,
  intoDestination,
  oneLink,
  startQueryServer,
  storeCases,
  StreamReader,
  timestamp,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';

const HOUR = 3600n * NANOS_PER_SECOND;
const seconds = (count: number) => BigInt(count) * NANOS_PER_SECOND;

/** What a client decodes for a progress message. */
function progress(
  destinations: number,
  destinationsDone: number,
  spanSeconds: number,
  spanSecondsDone: number,
  done = false,
): query.RecomputeTravelTimesProgress {
  return {
    destinations: BigInt(destinations),
    destinationsDone: BigInt(destinationsDone),
    spanSeconds: BigInt(spanSeconds),
    spanSecondsDone: BigInt(spanSecondsDone),
    done,
  };
}

function recompute(
  server: QueryServer,
  request: query.DeepPartial<query.RecomputeTravelTimesRequest>,
): StreamReader<query.RecomputeTravelTimesProgress> {
  return new StreamReader(
    server.client.recomputeTravelTimes(query.RecomputeTravelTimesRequest.fromPartial(request)),
  );
}

/** `repository` with its recompute queue replaced; everything else delegates. */
function withRecompute(repository: Repository, recompute: RecomputeQueue): Repository {
  return {
    events: repository.events,
    links: repository.links,
    detectors: repository.detectors,
    travelTimes: repository.travelTimes,
    recompute,
    routes: repository.routes,
    routeTravelTimes: repository.routeTravelTimes,
    profiles: repository.profiles,
    alerts: repository.alerts,
    detectorHealth: repository.detectorHealth,
    health: () => repository.health(),
    close: () => repository.close(),
  };
}

/** The store with its reads of pending ranges counted: how a test sees the server polling. */
function countingPendingReads(repository: Repository): { repository: Repository; reads(): number } {
  let reads = 0;
  const queue = repository.recompute;
  const counted: RecomputeQueue = {
    add: (ranges) => queue.add(ranges),
    pending: (destination) => {
      reads += 1;
      return queue.pending(destination);
    },
    advance: (range, doneBefore) => queue.advance(range, doneBefore),
    complete: (range) => queue.complete(range),
    lateSightings: (limit) => queue.lateSightings(limit),
    resolveLateSightings: (mark, ranges) => queue.resolveLateSightings(mark, ranges),
  };
  return { repository: withRecompute(repository, counted), reads: () => reads };
}

/** The store, failing every recompute write with `error`. */
function failingWrites(repository: Repository, error: Error): Repository {
  const queue = repository.recompute;
  return withRecompute(repository, {
    add: () => Promise.reject(error),
    pending: (destination) => queue.pending(destination),
    advance: (range, doneBefore) => queue.advance(range, doneBefore),
    complete: (range) => queue.complete(range),
    lateSightings: (limit) => queue.lateSightings(limit),
    resolveLateSightings: (mark, ranges) => queue.resolveLateSightings(mark, ranges),
  });
}

describe.each(storeCases)('RecomputeTravelTimes over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let server: QueryServer;

  /** The only links of this store: d1 ← s1, d1 ← s2, d2 ← s1. */
  const [d1, d2, s1, s2] = ['d1', 'd2', 's1', 's2'].map(detector) as [
    DetectorId,
    DetectorId,
    DetectorId,
    DetectorId,
  ];
  const now = (): UnixNanos => BigInt(Date.now()) * NANOS_PER_MILLISECOND;
  /** Two hours ago to one hour ago: well inside the retention, and ended. */
  const lastButOneHour = () => {
    const after = now() - 2n * HOUR;
    return {
      after,
      before: after + HOUR,
      range: { after: timestamp(after), before: timestamp(after + HOUR) },
    };
  };

  /** The pending ranges operators asked for: what the fake worker below works on. */
  const requested = async (): Promise<RecomputeRange[]> =>
    (await store.repository.recompute.pending()).filter((range) => range.origin === 'request');

  beforeAll(async () => {
    store = await storeCase.open();
    for (const [destination, source] of [
      [d1, s1],
      [d1, s2],
      [d2, s1],
    ] as const) {
      await store.repository.links.put(parseDetectorLink({ destination, source, maxSeconds: 600 }));
    }
    server = await startQueryServer(store.repository);
  });
  afterEach(async () => {
    // As a worker would: every request finished, so each test starts with none pending.
    for (const range of await requested()) await store.repository.recompute.complete(range);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  it('records one range per destination, then reports as a worker advances and completes them, and ends OK', async () => {
    const { after, before, range } = lastButOneHour();
    const reader = recompute(server, { links: allLinks, range });
    expect(await reader.waitForCount(1)).toEqual([progress(2, 0, 7200, 0)]);

    const ranges = await requested();
    expect(ranges.map(({ version: _version, id: _id, ...rest }) => rest)).toEqual([
      { destination: d1, from: after, to: before, origin: 'request', doneBefore: after },
      { destination: d2, from: after, to: before, origin: 'request', doneBefore: after },
    ]);
    const [intoD1, intoD2] = ranges as [RecomputeRange, RecomputeRange];
    expect(intoD1.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(intoD2.id).toBe(intoD1.id);

    // The fake worker: half of d1, then d1 finished, then ten minutes of d2, then d2 finished.
    const halfOfD1 = await store.repository.recompute.advance(intoD1, after + seconds(1800));
    expect(await reader.waitForCount(2)).toEqual([progress(2, 0, 7200, 0), progress(2, 0, 7200, 1800)]);
    expect(await store.repository.recompute.complete(halfOfD1!)).toBe(true);
    await reader.waitForCount(3);
    const tenMinutesOfD2 = await store.repository.recompute.advance(intoD2, after + seconds(600));
    await reader.waitForCount(4);
    expect(await store.repository.recompute.complete(tenMinutesOfD2!)).toBe(true);

    expect(await reader.ended).toBeUndefined();
    expect(reader.received).toEqual([
      progress(2, 0, 7200, 0),
      progress(2, 0, 7200, 1800),
      progress(2, 1, 7200, 3600),
      progress(2, 1, 7200, 4200),
      progress(2, 2, 7200, 7200, true),
    ]);
  });

  it('recomputes one link only from its source; the same request again is recorded again, and both finish', async () => {
    const { after, before, range } = lastButOneHour();
    const first = recompute(server, { links: oneLink(s2, d1), range });
    expect(await first.waitForCount(1)).toEqual([progress(1, 0, 3600, 0)]);
    const again = recompute(server, { links: oneLink(s2, d1), range });
    expect(await again.waitForCount(1)).toEqual([progress(1, 0, 3600, 0)]);

    const ranges = await requested();
    expect(ranges).toHaveLength(2);
    for (const each of ranges) {
      expect(each).toMatchObject({
        destination: d1,
        sources: [s2],
        from: after,
        to: before,
        origin: 'request',
      });
    }
    expect(ranges[0]!.id).not.toBe(ranges[1]!.id);

    for (const each of ranges) await store.repository.recompute.complete(each);
    for (const reader of [first, again]) {
      expect(await reader.ended).toBeUndefined();
      expect(reader.received).toEqual([progress(1, 0, 3600, 0), progress(1, 1, 3600, 3600, true)]);
    }
  });

  it('recomputes every link into a destination, with the span in whole seconds rounded up', async () => {
    const after = now() - HOUR;
    const before = after + seconds(90) + 1n;
    const reader = recompute(server, {
      links: intoDestination(d1),
      range: { after: timestamp(after), before: timestamp(before) },
    });
    expect(await reader.waitForCount(1)).toEqual([progress(1, 0, 91, 0)]);
    const [intoD1] = (await requested()) as [RecomputeRange];
    expect(intoD1).toMatchObject({ destination: d1, from: after, to: before });
    expect(intoD1.sources).toBeUndefined();
    await store.repository.recompute.complete(intoD1);
    expect(await reader.ended).toBeUndefined();
    expect(reader.received.at(-1)).toEqual(progress(1, 1, 91, 91, true));
  });

  it('stops reading the pending ranges at once when the client cancels; the ranges stay for the workers', async () => {
    const counted = countingPendingReads(store.repository);
    const countedServer = await startQueryServer(counted.repository);
    try {
      const reader = recompute(countedServer, { links: allLinks, range: lastButOneHour().range });
      await reader.waitForCount(1);
      await vi.waitFor(() => expect(counted.reads()).toBeGreaterThan(0), { timeout: 5_000, interval: 20 });
      reader.call.cancel();
      expect((await reader.ended)?.code).toBe(status.CANCELLED);

      // A read already under way when the cancel arrived may still finish; none starts after it.
      await sleep(600);
      const readsAfterCancel = counted.reads();
      await sleep(1500);
      expect(counted.reads()).toBe(readsAfterCancel);
      expect(reader.received).toEqual([progress(2, 0, 7200, 0)]);
      expect(await requested()).toHaveLength(2);
    } finally {
      await countedServer.stop();
    }
  });

  describe('refusals, against a server whose clock stands still', () => {
    const fixedNow = BigInt(Date.now()) * NANOS_PER_MILLISECOND;
    const oldest = fixedNow - BigInt(EVENT_RETENTION_SECONDS) * NANOS_PER_SECOND;
    let fixedServer: QueryServer;
    beforeAll(async () => {
      fixedServer = await startQueryServer(store.repository, undefined, () => fixedNow);
    });
    afterAll(() => fixedServer.stop());

    const refused = async (
      request: query.DeepPartial<query.RecomputeTravelTimesRequest>,
      code: status,
      details: string,
    ) => {
      const reader = recompute(fixedServer, request);
      const ended = await reader.ended;
      expect({ code: ended?.code, details: ended?.details }).toEqual({ code, details });
      expect(reader.received).toEqual([]);
    };
    const range = (after: UnixNanos, before: UnixNanos) => ({
      after: timestamp(after),
      before: timestamp(before),
    });
    const lastHour = range(fixedNow - HOUR, fixedNow);

    it('refuses a request without links, without a range or a side of it, or with after not before before', async () => {
      await refused(
        { range: lastHour },
        status.INVALID_ARGUMENT,
        'links: is not set; choose links.all, links.link, links.dest_detector_id, links.route or links.all_routes',
      );
      await refused(
        { links: allLinks },
        status.INVALID_ARGUMENT,
        'range.after: is not set; give the oldest interval end to recompute',
      );
      await refused(
        { links: allLinks, range: { after: timestamp(fixedNow - HOUR) } },
        status.INVALID_ARGUMENT,
        'range.before: is not set; give the interval end to recompute up to (exclusive)',
      );
      const at = fixedNow - HOUR;
      await refused(
        { links: allLinks, range: range(at, at) },
        status.INVALID_ARGUMENT,
        `range: after (${formatNanosIso(at)}) is not earlier than before (${formatNanosIso(at)}); ` +
          'after is inclusive and before exclusive, so the range would be empty',
      );
      expect(await requested()).toEqual([]);
    });

    it('refuses with OUT_OF_RANGE a range starting beyond the retention or ending after now, and accepts the oldest time', async () => {
      const tooOld = oldest - 1n;
      await refused(
        { links: allLinks, range: range(tooOld, fixedNow - HOUR) },
        status.OUT_OF_RANGE,
        `range.after: ${formatNanosIso(tooOld)} is older than the raw-sighting retention (168h) keeps; ` +
          `sightings before ${formatNanosIso(oldest)} are deleted, so recomputing their intervals would ` +
          `erase good estimates; the oldest time that can be recomputed is ${formatNanosIso(oldest)}`,
      );
      const future = fixedNow + 1n;
      await refused(
        { links: allLinks, range: range(fixedNow - HOUR, future) },
        status.OUT_OF_RANGE,
        `range.before: ${formatNanosIso(future)} is later than now (${formatNanosIso(fixedNow)}); ` +
          'only intervals that have ended can be recomputed',
      );
      expect(await requested()).toEqual([]);

      const reader = recompute(fixedServer, { links: oneLink(s1, d2), range: range(oldest, fixedNow) });
      const span = EVENT_RETENTION_SECONDS;
      expect(await reader.waitForCount(1)).toEqual([progress(1, 0, span, 0)]);
      reader.call.cancel();
    });

    it('refuses with NOT_FOUND a link that does not exist and a destination without links', async () => {
      await refused(
        { links: oneLink(s2, d2), range: lastHour },
        status.NOT_FOUND,
        `links.link: there is no link from "${s2}" to "${d2}"; ListLinks shows the links there are`,
      );
      const nowhere = detector('nowhere');
      await refused(
        { links: intoDestination(nowhere), range: lastHour },
        status.NOT_FOUND,
        `links.dest_detector_id: there are no links into "${nowhere}"; ListLinks shows the links there are`,
      );
      expect(await requested()).toEqual([]);
    });
  });

  it('refuses `all` with NOT_FOUND when the store has no links at all', async () => {
    const empty = await storeCase.open();
    const emptyServer = await startQueryServer(empty.repository);
    try {
      const reader = recompute(emptyServer, { links: allLinks, range: lastButOneHour().range });
      const ended = await reader.ended;
      expect({ code: ended?.code, details: ended?.details }).toEqual({
        code: status.NOT_FOUND,
        details: 'links.all: there are no links, so there are no travel times to recompute',
      });
    } finally {
      await emptyServer.stop();
      await empty.close();
    }
  });

  it('answers UNAVAILABLE and RESOURCE_EXHAUSTED when the store cannot record the ranges', async () => {
    for (const [error, code, details] of [
      [new StoreUnavailableError('etcd down'), status.UNAVAILABLE, 'store unavailable, try again later'],
      [new StoreQuotaExhaustedError('NOSPACE'), status.RESOURCE_EXHAUSTED, 'store is out of space'],
    ] as const) {
      const failingServer = await startQueryServer(failingWrites(store.repository, error));
      try {
        const reader = recompute(failingServer, { links: allLinks, range: lastButOneHour().range });
        const ended = await reader.ended;
        expect({ code: ended?.code, details: ended?.details }).toEqual({ code, details });
      } finally {
        await failingServer.stop();
      }
    }
  });
});

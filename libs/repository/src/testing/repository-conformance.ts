import {
  NANOS_PER_MILLISECOND,
  NANOS_PER_SECOND,
  type Alert,
  type DetectorHealth,
  type DetectorId,
  type DetectorLink,
  type DetectorStatus,
  type RouteName,
  type Sighting,
  type TravelTimeEstimate,
  type TypicalProfile,
  type UnixNanos,
} from '@message-bus/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreInvalidArgumentError } from '../errors';
import type { NewRecomputeRange, RecomputeRange } from '../recompute-queue';
import type { LinkRef, Repository } from '../repository';
import {
  alertUlid,
  at,
  detector,
  list,
  newestFirst,
  oldestFirst,
  pseudonym,
  shuffled,
  sighting,
  take,
  waitFor,
} from './conformance-helpers';

/** One test's store: a place for data, and a way to open repositories on it. */
export interface RepositoryFixture {
  /**
   * A repository on this fixture's data: empty the first time, and after a close, the
   * same data again (the suite closes the previous repository before calling it again).
   */
  open(): Promise<Repository>;
  /** Removes the data; called after the last repository opened has been closed. */
  cleanup(): Promise<void>;
}

/**
 * Registers the Vitest tests every repository adapter must pass, under
 * `describe(name)`. `createFixture` is called once per test and must give a store that
 * starts empty. Example (embedded store):
 *
 * ```ts
 * describeRepositoryConformance('lmdb', async () => {
 *   const path = await mkdtemp(join(tmpdir(), 'repo-'));
 *   return {
 *     open: async () => new KvRepository(new LmdbBackend({ path }), { prefix: 'tdc' }),
 *     cleanup: () => rm(path, { recursive: true, force: true }),
 *   };
 * });
 * ```
 */
export function describeRepositoryConformance(
  name: string,
  createFixture: () => RepositoryFixture | Promise<RepositoryFixture>,
): void {
  describe(name, () => {
    let fixture: RepositoryFixture;
    let repository: Repository;

    beforeEach(async () => {
      fixture = await createFixture();
      repository = await fixture.open();
    });

    afterEach(async () => {
      await repository.close();
      await fixture.cleanup();
    });

    async function reopen(): Promise<Repository> {
      await repository.close();
      repository = await fixture.open();
      return repository;
    }

    describe('events', () => {
      const A = detector('det-A');
      const B = detector('det-B');

      it('lists appended sightings newest first by default, across buckets', async () => {
        const sightings = [at(0), at(50), at(99, 999_999_999n), at(100), at(150), at(250)].map((time, i) =>
          sighting(A, i, time),
        );
        await repository.events.append(shuffled(sightings));
        expect(await list(repository, { detectorIds: [A] })).toEqual(newestFirst(sightings));
        expect(await list(repository, { detectorIds: [A], order: 'newest_first' })).toEqual(
          newestFirst(sightings),
        );
      });

      it('lists oldest first when asked', async () => {
        const sightings = [at(3), at(1), at(170), at(2, 5n)].map((time, i) => sighting(A, i, time));
        await repository.events.append(sightings);
        expect(await list(repository, { detectorIds: [A], order: 'oldest_first' })).toEqual(
          oldestFirst(sightings),
        );
      });

      it('orders sightings within one millisecond by their exact nanosecond', async () => {
        const millisecond = at(42);
        const sightings = Array.from({ length: 40 }, (_, i) =>
          sighting(A, i, millisecond + BigInt(i * 24_999)),
        );
        await repository.events.append(shuffled(sightings));
        expect(await list(repository, { detectorIds: [A], order: 'oldest_first' })).toEqual(sightings);
        expect(await list(repository, { detectorIds: [A], order: 'newest_first' })).toEqual(
          [...sightings].reverse(),
        );
        expect(
          await list(repository, { detectorIds: [A], order: 'oldest_first', limitPerDetector: 3 }),
        ).toEqual(sightings.slice(0, 3));
        expect(await list(repository, { detectorIds: [A], limitPerDetector: 3 })).toEqual(
          sightings.slice(-3).reverse(),
        );
      });

      it('takes after as inclusive and before as exclusive, to the nanosecond', async () => {
        const t = at(30, 123_456_789n);
        const [justBefore, exactly, justAfter] = [t - 1n, t, t + 1n].map((time, i) => sighting(A, i, time));
        await repository.events.append([justBefore!, exactly!, justAfter!]);
        const query = (after: UnixNanos, before: UnixNanos) =>
          list(repository, { detectorIds: [A], range: { after, before }, order: 'oldest_first' });
        expect(await query(t, t + 1n)).toEqual([exactly]);
        expect(await query(t - 1n, t + 2n)).toEqual([justBefore, exactly, justAfter]);
        expect(await query(t + 1n, t + 2n)).toEqual([justAfter]);
        expect(await query(t, t)).toEqual([]);
      });

      it('splits at a bucket boundary exactly', async () => {
        const boundary = at(100); // a multiple of 100 seconds: a bucket starts here
        const [last, first, second] = [boundary - 1n, boundary, boundary + 1n].map((time, i) =>
          sighting(A, i, time),
        );
        await repository.events.append([last!, first!, second!]);
        expect(await list(repository, { detectorIds: [A], range: { before: boundary } })).toEqual([last]);
        expect(
          await list(repository, { detectorIds: [A], range: { after: boundary }, order: 'oldest_first' }),
        ).toEqual([first, second]);
        const fullBuckets = {
          after: boundary - 100n * NANOS_PER_SECOND,
          before: boundary + 100n * NANOS_PER_SECOND,
        };
        expect(await list(repository, { detectorIds: [A], range: fullBuckets })).toEqual([
          second,
          first,
          last,
        ]);
      });

      it('leaves either side of a range open', async () => {
        const sightings = [at(10), at(20), at(30)].map((time, i) => sighting(A, i, time));
        await repository.events.append(sightings);
        expect(
          await list(repository, { detectorIds: [A], range: { after: at(20) }, order: 'oldest_first' }),
        ).toEqual(sightings.slice(1));
        expect(await list(repository, { detectorIds: [A], range: { before: at(20) } })).toEqual(
          sightings.slice(0, 1),
        );
        expect(await list(repository, { detectorIds: [A], range: {} })).toHaveLength(3);
      });

      it('limits per detector: the latest newest first, the earliest oldest first, within the range', async () => {
        const sightings = Array.from({ length: 20 }, (_, i) => sighting(A, i, at(i * 17)));
        await repository.events.append(sightings);
        expect(await list(repository, { detectorIds: [A], limitPerDetector: 4 })).toEqual(
          newestFirst(sightings).slice(0, 4),
        );
        expect(
          await list(repository, { detectorIds: [A], limitPerDetector: 4, order: 'oldest_first' }),
        ).toEqual(sightings.slice(0, 4));
        const range = { after: at(5 * 17), before: at(15 * 17) };
        expect(await list(repository, { detectorIds: [A], range, limitPerDetector: 2 })).toEqual([
          sightings[14],
          sightings[13],
        ]);
        expect(
          await list(repository, { detectorIds: [A], range, limitPerDetector: 2, order: 'oldest_first' }),
        ).toEqual([sightings[5], sightings[6]]);
        expect(await list(repository, { detectorIds: [A], limitPerDetector: 0 })).toEqual([]);
        expect(await list(repository, { detectorIds: [A], limitPerDetector: 1000 })).toHaveLength(20);
      });

      it('lists detector by detector in the order given, never mixing up ids that share a prefix', async () => {
        const prefixed = detector('det-A-2');
        const ofA = [sighting(A, 1, at(1)), sighting(A, 2, at(2))];
        const ofB = [sighting(B, 3, at(3)), sighting(B, 4, at(4))];
        const ofPrefixed = [sighting(prefixed, 5, at(5))];
        await repository.events.append([...ofPrefixed, ...ofB, ...ofA]);
        expect(await list(repository, { detectorIds: [B, A], order: 'oldest_first' })).toEqual([
          ...ofB,
          ...ofA,
        ]);
        expect(await list(repository, { detectorIds: [A, B], limitPerDetector: 1 })).toEqual([
          ofA[1],
          ofB[1],
        ]);
        expect(await list(repository, { detectorIds: [prefixed] })).toEqual(ofPrefixed);
        expect(await list(repository, { detectorIds: [detector('nobody')] })).toEqual([]);
        expect(await list(repository, { detectorIds: [] })).toEqual([]);
      });

      it('stores a retried batch once, and a sighting repeated within a batch once', async () => {
        const batch = Array.from({ length: 50 }, (_, i) => sighting(A, i, at(i)));
        await repository.events.append(batch);
        await repository.events.append(batch);
        await repository.events.append([batch[7]!, batch[7]!]);
        expect(await list(repository, { detectorIds: [A], order: 'oldest_first' })).toEqual(batch);
      });

      it('appends a batch of 10,000 sightings and lists every one back in order', async () => {
        // One detector-hour: a sighting every 0.36 s, each at a distinct nanosecond.
        const batch = Array.from({ length: 10_000 }, (_, i) =>
          sighting(A, i, at(0) + BigInt(i) * 360n * NANOS_PER_MILLISECOND + BigInt(i)),
        );
        await repository.events.append(batch);
        const listed = await list(repository, { detectorIds: [A], order: 'oldest_first' });
        expect(listed).toHaveLength(10_000);
        expect(listed).toEqual(batch);
        expect(await list(repository, { detectorIds: [A], limitPerDetector: 2 })).toEqual([
          batch[9_999],
          batch[9_998],
        ]);
      });

      it('stores the largest allowed ids', async () => {
        const longest = detector('L'.repeat(64));
        const sightings = [
          sighting(longest, 1, at(1)),
          { detectorId: longest, deviceId: 'd'.repeat(128), time: at(2) },
        ];
        await repository.events.append(sightings);
        expect(await list(repository, { detectorIds: [longest], order: 'oldest_first' })).toEqual(sightings);
      });

      it('keeps device ids with dots and the previous pseudonym exactly', async () => {
        const sightings: Sighting[] = [
          { detectorId: A, deviceId: 'aa:bb.cc.dd', time: at(1) },
          { detectorId: A, deviceId: pseudonym(2), time: at(2, 1n), previousDeviceId: pseudonym(1002) },
        ];
        await repository.events.append(sightings);
        const listed = await list(repository, { detectorIds: [A], order: 'oldest_first' });
        expect(listed).toEqual(sightings);
        expect(listed[0]).not.toHaveProperty('previousDeviceId');
      });

      it('refuses a batch with an id that cannot be a key, writing none of it', async () => {
        const good = sighting(A, 1, at(1));
        const slashedDetector = { ...sighting(A, 2, at(2)), detectorId: 'det/A' as DetectorId };
        const slashedDevice = { ...sighting(A, 3, at(3)), deviceId: 'dev/ice' };
        for (const bad of [slashedDetector, slashedDevice]) {
          await expect(repository.events.append([good, bad])).rejects.toBeInstanceOf(
            StoreInvalidArgumentError,
          );
        }
        expect(await list(repository, { detectorIds: [A] })).toEqual([]);
      });

      it('refuses a range whose after is later than its before, and a negative limit', async () => {
        const inverted = { detectorIds: [A], range: { after: at(2), before: at(1) } };
        await expect(list(repository, inverted)).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        await expect(list(repository, { detectorIds: [A], limitPerDetector: -1 })).rejects.toBeInstanceOf(
          StoreInvalidArgumentError,
        );
      });
    });

    describe('events: follow', () => {
      const A = detector('det-A');
      const B = detector('det-B');

      it('delivers sightings appended after it started, in order, and none from before', async () => {
        const before = [sighting(A, 1, at(1)), sighting(A, 2, at(2))];
        await repository.events.append(before);
        const controller = new AbortController();
        const following = repository.events.follow([A], controller.signal)[Symbol.asyncIterator]();
        const after = [sighting(A, 3, at(3)), sighting(A, 4, at(4))];
        const third = sighting(A, 5, at(5));
        await repository.events.append(after);
        await repository.events.append([third]);
        expect(await take(following, 3)).toEqual([...after, third]);
        controller.abort();
        expect(await following.next()).toEqual({ done: true, value: undefined });
      });

      it('delivers only the followed detectors, in commit order', async () => {
        const controller = new AbortController();
        const following = repository.events.follow([A, B], controller.signal)[Symbol.asyncIterator]();
        const first = sighting(B, 1, at(9));
        const ignored = sighting(detector('det-C'), 2, at(1));
        const prefixed = sighting(detector('det-A-2'), 3, at(1));
        const last = sighting(A, 4, at(1));
        for (const one of [first, ignored, prefixed, last]) await repository.events.append([one]);
        expect(await take(following, 2)).toEqual([first, last]);
        controller.abort();
      });

      it('ends cleanly when aborted while waiting, and at once when aborted before or following no detector', async () => {
        const controller = new AbortController();
        const received: Sighting[] = [];
        const loop = (async () => {
          for await (const one of repository.events.follow([A], controller.signal)) received.push(one);
        })();
        await repository.events.append([sighting(A, 1, at(1))]);
        await waitFor(() => received.length === 1);
        controller.abort();
        await expect(loop).resolves.toBeUndefined();
        expect(received).toEqual([sighting(A, 1, at(1))]);

        const aborted = AbortSignal.abort();
        const none = repository.events.follow([A], aborted)[Symbol.asyncIterator]();
        expect(await none.next()).toEqual({ done: true, value: undefined });
        const following = new AbortController();
        const noDetectors = repository.events.follow([], following.signal)[Symbol.asyncIterator]();
        expect(await noDetectors.next()).toEqual({ done: true, value: undefined });
      });
    });

    describe('links', () => {
      const link = (destination: string, source: string, maxSeconds: number): DetectorLink => ({
        destination: detector(destination),
        source: detector(source),
        maxSeconds,
      });

      it('puts and lists every link ordered by destination then source, or those into one destination', async () => {
        const links = [
          link('x', 's2', 600),
          link('x-1', 's', 60),
          link('x', 's1', 300),
          link('x.2', 's', 86_400),
        ];
        for (const one of links) await repository.links.put(one);
        const ordered = [
          link('x', 's1', 300),
          link('x', 's2', 600),
          link('x-1', 's', 60),
          link('x.2', 's', 86_400),
        ];
        expect(await repository.links.list()).toEqual(ordered);
        expect(await repository.links.list(detector('x'))).toEqual(ordered.slice(0, 2));
        expect(await repository.links.list(detector('x-1'))).toEqual([ordered[2]]);
        expect(await repository.links.list(detector('none'))).toEqual([]);
      });

      it('replaces the max seconds of an existing link', async () => {
        await repository.links.put(link('x', 's', 600));
        await repository.links.put(link('x', 's', 900));
        expect(await repository.links.list()).toEqual([link('x', 's', 900)]);
      });

      it('deletes a link and says whether it existed', async () => {
        await repository.links.put(link('x', 's1', 600));
        await repository.links.put(link('x', 's2', 600));
        expect(await repository.links.delete(detector('x'), detector('s1'))).toBe(true);
        expect(await repository.links.delete(detector('x'), detector('s1'))).toBe(false);
        expect(await repository.links.list()).toEqual([link('x', 's2', 600)]);
      });

      it('refuses a link whose ids cannot be a key', async () => {
        const bad = { ...link('x', 's', 600), source: 's/1' as DetectorId };
        await expect(repository.links.put(bad)).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        expect(await repository.links.list()).toEqual([]);
      });
    });

    describe('detectors: coordinates', () => {
      it('puts, replaces, gets and lists coordinates ordered by detector id', async () => {
        const [one, two, three] = [detector('d-2'), detector('d-10'), detector('d-1')];
        await repository.detectors.putCoordinates({
          detectorId: one,
          coordinates: { latitude: 1, longitude: 2 },
        });
        await repository.detectors.putCoordinates({
          detectorId: two,
          coordinates: { latitude: -9_000_000, longitude: 18_000_000 },
        });
        await repository.detectors.putCoordinates({
          detectorId: three,
          coordinates: { latitude: 5, longitude: 6 },
        });
        await repository.detectors.putCoordinates({
          detectorId: one,
          coordinates: { latitude: 5_232_000, longitude: 1_320_000 },
        });
        expect(await repository.detectors.getCoordinates(one)).toEqual({
          latitude: 5_232_000,
          longitude: 1_320_000,
        });
        expect(await repository.detectors.getCoordinates(detector('d-3'))).toBeUndefined();
        expect(await repository.detectors.listCoordinates()).toEqual([
          { detectorId: three, coordinates: { latitude: 5, longitude: 6 } },
          { detectorId: two, coordinates: { latitude: -9_000_000, longitude: 18_000_000 } },
          { detectorId: one, coordinates: { latitude: 5_232_000, longitude: 1_320_000 } },
        ]);
      });
    });

    describe('detectors: status reports', () => {
      const D = detector('det');
      const report = (time: UnixNanos, volts: number, detectorId: DetectorId = D): DetectorStatus => ({
        detectorId,
        time,
        batteryVoltage: volts,
        activeRadios: ['wifi', 'bluetooth'],
        detectionCounts: { wifi: 9_007_199_254_740_993n, bluetooth: 0n },
      });

      it('lists reports by range, newest first by default, with a limit', async () => {
        const reports = [1, 2, 3, 4, 5].map((second) => report(at(second * 60, 7n), 12 + second / 10));
        for (const one of shuffled(reports)) await repository.detectors.appendStatus(one);
        await repository.detectors.appendStatus(report(at(120, 7n), 11, detector('det-2')));
        expect(await repository.detectors.listStatus({ detectorId: D })).toEqual([...reports].reverse());
        expect(
          await repository.detectors.listStatus({ detectorId: D, order: 'oldest_first', limit: 2 }),
        ).toEqual(reports.slice(0, 2));
        const range = { after: reports[1]!.time, before: reports[3]!.time };
        expect(
          await repository.detectors.listStatus({ detectorId: D, range, order: 'oldest_first' }),
        ).toEqual(reports.slice(1, 3));
        expect(await repository.detectors.listStatus({ detectorId: D, range, limit: 1 })).toEqual([
          reports[2],
        ]);
        expect(await repository.detectors.listStatus({ detectorId: D, limit: 0 })).toEqual([]);
      });

      it('replaces a report at the same detector and time', async () => {
        await repository.detectors.appendStatus(report(at(1), 12.1));
        await repository.detectors.appendStatus(report(at(1), 12.9));
        expect(await repository.detectors.listStatus({ detectorId: D })).toEqual([report(at(1), 12.9)]);
      });
    });

    describe('travel-time estimates', () => {
      const AB: LinkRef = { source: detector('a'), destination: detector('b') };
      const CB: LinkRef = { source: detector('c'), destination: detector('b') };
      const estimate = (link: LinkRef, minute: number, median?: number): TravelTimeEstimate => ({
        ...link,
        intervalEnd: at(minute * 60),
        windowSeconds: 300,
        ...(median === undefined
          ? {}
          : { medianSeconds: median, p15Seconds: median - 5, p85Seconds: median + 9.5 }),
        validSamples: median === undefined ? 0 : 12,
        totalSamples: 14,
        status: median === undefined ? 'insufficient_data' : 'ok',
      });

      it('lists estimates by link and range, oldest first by default, with a limit per link', async () => {
        const ofAB = [1, 2, 3, 4].map((minute) => estimate(AB, minute, 60 + minute));
        const ofCB = [2, 5].map((minute) => estimate(CB, minute));
        await repository.travelTimes.put(shuffled([...ofAB, ...ofCB]));
        expect(await repository.travelTimes.list({ links: [AB] })).toEqual(ofAB);
        expect(await repository.travelTimes.list({ links: [CB, AB], limitPerLink: 1 })).toEqual([
          ofCB[0],
          ofAB[0],
        ]);
        expect(
          await repository.travelTimes.list({ links: [AB], order: 'newest_first', limitPerLink: 2 }),
        ).toEqual([ofAB[3], ofAB[2]]);
        const range = { after: at(2 * 60), before: at(4 * 60) };
        expect(await repository.travelTimes.list({ links: [AB, CB], range })).toEqual([
          ofAB[1],
          ofAB[2],
          ofCB[0],
        ]);
      });

      it('replaces an estimate of the same link and interval end', async () => {
        await repository.travelTimes.put([estimate(AB, 1, 60)]);
        await repository.travelTimes.put([estimate(AB, 1, 75)]);
        expect(await repository.travelTimes.list({ links: [AB] })).toEqual([estimate(AB, 1, 75)]);
      });

      it('gives the latest estimate of each link, of given links or of all', async () => {
        const other: LinkRef = { source: detector('b'), destination: detector('a') };
        await repository.travelTimes.put([
          estimate(AB, 1, 60),
          estimate(AB, 3, 62),
          estimate(CB, 2),
          estimate(other, 1, 9),
        ]);
        const none: LinkRef = { source: detector('z'), destination: detector('b') };
        expect(await repository.travelTimes.latest([CB, none, AB])).toEqual([
          estimate(CB, 2),
          estimate(AB, 3, 62),
        ]);
        const all = await repository.travelTimes.latest();
        expect(all).toHaveLength(3);
        expect(all).toEqual(
          expect.arrayContaining([estimate(AB, 3, 62), estimate(CB, 2), estimate(other, 1, 9)]),
        );
      });

      it('follows estimates put after it started until aborted', async () => {
        await repository.travelTimes.put([estimate(AB, 1, 60)]);
        const controller = new AbortController();
        const following = repository.travelTimes.follow(controller.signal)[Symbol.asyncIterator]();
        const later = [estimate(AB, 2, 61), estimate(CB, 2, 70)];
        await repository.travelTimes.put([later[0]!]);
        await repository.travelTimes.put([later[1]!]);
        expect(await take(following, 2)).toEqual(later);
        controller.abort();
        expect(await following.next()).toEqual({ done: true, value: undefined });
      });
    });

    describe('travel-time estimates: congestion figures', () => {
      const AB: LinkRef = { source: detector('a'), destination: detector('b') };
      const base: TravelTimeEstimate = {
        ...AB,
        intervalEnd: at(60),
        windowSeconds: 300,
        medianSeconds: 90,
        validSamples: 12,
        totalSamples: 14,
        status: 'ok',
      };

      it('keeps the congestion figures of an estimate exactly, and reads estimates without them as before', async () => {
        const figured: TravelTimeEstimate = {
          ...base,
          intervalEnd: at(120),
          typicalSeconds: 60,
          freeFlowSeconds: 45.5,
          ratioToTypical: 1.5,
          ratioToFreeFlow: 1.978,
          level: 'heavy',
        };
        await repository.travelTimes.put([base, figured]);
        expect(await repository.travelTimes.list({ links: [AB] })).toStrictEqual([base, figured]);
      });

      it("refuses a route's estimate among link estimates", async () => {
        const routed = { ...base, route: 'r1' as RouteName, routeMethod: 'matched' as const };
        await expect(repository.travelTimes.put([base, routed])).rejects.toThrow(/estimates\[1\]\.route/);
        expect(await repository.travelTimes.list({ links: [AB] })).toEqual([]);
      });
    });

    describe('routes', () => {
      const route = (name: string, ...ids: string[]) => ({
        name: name as RouteName,
        detectorIds: ids.map(detector),
      });

      it('puts, gets and lists routes ordered by name', async () => {
        const routes = [route('north-2', 'c', 'd'), route('north', 'a', 'b', 'c'), route('east', 'x', 'y')];
        for (const one of routes) await repository.routes.put(one);
        expect(await repository.routes.list()).toEqual([routes[2], routes[1], routes[0]]);
        expect(await repository.routes.get('north' as RouteName)).toEqual(routes[1]);
        expect(await repository.routes.get('nowhere' as RouteName)).toBeUndefined();
      });

      it('replaces the detectors of an existing route', async () => {
        await repository.routes.put(route('north', 'a', 'b'));
        await repository.routes.put(route('north', 'a', 'b', 'c'));
        expect(await repository.routes.list()).toEqual([route('north', 'a', 'b', 'c')]);
      });

      it('deletes a route and says whether it existed, leaving routes whose names it starts', async () => {
        await repository.routes.put(route('north', 'a', 'b'));
        await repository.routes.put(route('north-2', 'b', 'c'));
        expect(await repository.routes.delete('north' as RouteName)).toBe(true);
        expect(await repository.routes.delete('north' as RouteName)).toBe(false);
        expect(await repository.routes.list()).toEqual([route('north-2', 'b', 'c')]);
      });

      it('refuses a route whose name or detector ids cannot be a key', async () => {
        await expect(repository.routes.put(route('no/rth', 'a', 'b'))).rejects.toBeInstanceOf(
          StoreInvalidArgumentError,
        );
        const slashed = { name: 'north' as RouteName, detectorIds: [detector('a'), 'b/c' as DetectorId] };
        await expect(repository.routes.put(slashed)).rejects.toThrow(/detectorIds\[1\]/);
        await expect(repository.routes.get('a/b' as RouteName)).rejects.toBeInstanceOf(
          StoreInvalidArgumentError,
        );
        await expect(repository.routes.delete('' as RouteName)).rejects.toBeInstanceOf(
          StoreInvalidArgumentError,
        );
        expect(await repository.routes.list()).toEqual([]);
      });
    });

    describe('route travel-time estimates', () => {
      const R = 'north' as RouteName;
      const R2 = 'north-2' as RouteName;
      const estimate = (route: RouteName, minute: number, median?: number): TravelTimeEstimate => ({
        source: detector('a'),
        destination: detector('c'),
        intervalEnd: at(minute * 60),
        windowSeconds: 300,
        ...(median === undefined
          ? {}
          : {
              medianSeconds: median,
              p15Seconds: median - 5,
              p85Seconds: median + 9.5,
              ratioToTypical: 1.25,
            }),
        validSamples: median === undefined ? 0 : 12,
        totalSamples: 14,
        status: median === undefined ? 'insufficient_data' : 'ok',
        route,
        routeMethod: median === undefined ? 'sum_of_links' : 'matched',
      });

      const withoutRoute = ({ route: _route, routeMethod: _method, ...link }: TravelTimeEstimate) => link;

      it('lists estimates by route and range, oldest first by default, with a limit per route', async () => {
        const ofR = [1, 2, 3, 4].map((minute) => estimate(R, minute, 100 + minute));
        const ofR2 = [2, 5].map((minute) => estimate(R2, minute));
        await repository.routeTravelTimes.put(shuffled([...ofR, ...ofR2]));
        expect(await repository.routeTravelTimes.list({ routes: [R] })).toStrictEqual(ofR);
        expect(await repository.routeTravelTimes.list({ routes: [R2, R], limitPerRoute: 1 })).toEqual([
          ofR2[0],
          ofR[0],
        ]);
        expect(
          await repository.routeTravelTimes.list({ routes: [R], order: 'newest_first', limitPerRoute: 2 }),
        ).toEqual([ofR[3], ofR[2]]);
        const range = { after: at(2 * 60), before: at(4 * 60) };
        expect(await repository.routeTravelTimes.list({ routes: [R, R2], range })).toEqual([
          ofR[1],
          ofR[2],
          ofR2[0],
        ]);
        expect(await repository.routeTravelTimes.list({ routes: [R], limitPerRoute: 0 })).toEqual([]);
      });

      it('replaces an estimate of the same route and interval end', async () => {
        await repository.routeTravelTimes.put([estimate(R, 1, 60)]);
        await repository.routeTravelTimes.put([estimate(R, 1, 75)]);
        expect(await repository.routeTravelTimes.list({ routes: [R] })).toEqual([estimate(R, 1, 75)]);
      });

      it('gives the latest estimate of each route, of given routes or of all', async () => {
        const other = 'east' as RouteName;
        await repository.routeTravelTimes.put([
          estimate(R, 1, 60),
          estimate(R, 3, 62),
          estimate(R2, 2),
          estimate(other, 1, 9),
        ]);
        expect(await repository.routeTravelTimes.latest([R2, 'none' as RouteName, R])).toEqual([
          estimate(R2, 2),
          estimate(R, 3, 62),
        ]);
        const all = await repository.routeTravelTimes.latest();
        expect(all).toHaveLength(3);
        expect(all).toEqual(
          expect.arrayContaining([estimate(R, 3, 62), estimate(R2, 2), estimate(other, 1, 9)]),
        );
      });

      it('keeps route estimates apart from link estimates', async () => {
        await repository.routeTravelTimes.put([estimate(R, 1, 60)]);
        expect(await repository.travelTimes.latest()).toEqual([]);
        expect(
          await repository.travelTimes.list({
            links: [{ source: detector('a'), destination: detector('c') }],
          }),
        ).toEqual([]);
      });

      it('follows estimates put after it started until aborted', async () => {
        await repository.routeTravelTimes.put([estimate(R, 1, 60)]);
        const controller = new AbortController();
        const following = repository.routeTravelTimes.follow(controller.signal)[Symbol.asyncIterator]();
        const later = [estimate(R, 2, 61), estimate(R2, 2, 70)];
        // A link estimate is not a route's: not followed here.
        await repository.travelTimes.put([withoutRoute(later[0]!)]);
        await repository.routeTravelTimes.put([later[0]!]);
        await repository.routeTravelTimes.put([later[1]!]);
        expect(await take(following, 2)).toEqual(later);
        controller.abort();
        expect(await following.next()).toEqual({ done: true, value: undefined });
      });

      it('refuses an estimate without a route, or with a route name that cannot be a key', async () => {
        await expect(repository.routeTravelTimes.put([withoutRoute(estimate(R, 1, 60))])).rejects.toThrow(
          /estimates\[0\]\.route/,
        );
        await expect(
          repository.routeTravelTimes.put([estimate('a/b' as RouteName, 1)]),
        ).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        await expect(
          repository.routeTravelTimes.list({ routes: ['a/b' as RouteName] }),
        ).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        expect(await repository.routeTravelTimes.latest()).toEqual([]);
      });
    });

    describe('typical profiles', () => {
      const profile = (target: TypicalProfile['target'], median: number): TypicalProfile => ({
        target,
        computedAt: at(600, 17n),
        weeks: 4,
        binMinutes: 15,
        timeZone: 'Europe/Warsaw',
        freeFlowSeconds: 41.5,
        bins: [
          {
            dayOfWeek: 1,
            minuteOfDay: 0,
            medianSeconds: median,
            p15Seconds: 50,
            p85Seconds: 75.25,
            samples: 12,
          },
          { dayOfWeek: 7, minuteOfDay: 1425, medianSeconds: 58, p15Seconds: 49, p85Seconds: 70, samples: 3 },
        ],
      });
      const link = { kind: 'link', source: detector('a'), destination: detector('b') } as const;
      const route = { kind: 'route', route: 'north' as RouteName } as const;

      it('puts and gets the profile of a link and of a route, each apart', async () => {
        await repository.profiles.put(profile(link, 60));
        await repository.profiles.put(profile(route, 300));
        expect(await repository.profiles.get(link)).toStrictEqual(profile(link, 60));
        expect(await repository.profiles.get(route)).toStrictEqual(profile(route, 300));
        const reversed = { kind: 'link', source: detector('b'), destination: detector('a') } as const;
        expect(await repository.profiles.get(reversed)).toBeUndefined();
        expect(await repository.profiles.get({ kind: 'route', route: 'nort' as RouteName })).toBeUndefined();
      });

      it('replaces the previous profile of a target, and keeps one without data', async () => {
        await repository.profiles.put(profile(link, 60));
        await repository.profiles.put(profile(link, 65));
        expect(await repository.profiles.get(link)).toEqual(profile(link, 65));
        const { freeFlowSeconds, ...empty } = { ...profile(route, 1), bins: [] };
        await repository.profiles.put(empty);
        expect(await repository.profiles.get(route)).toStrictEqual(empty);
        expect(freeFlowSeconds).toBe(41.5);
      });

      it('refuses a target whose ids cannot be a key, and a bin outside the week', async () => {
        const slashed = { kind: 'link', source: 'a/b' as DetectorId, destination: detector('b') } as const;
        await expect(repository.profiles.put(profile(slashed, 60))).rejects.toThrow(
          /profile\.target\.source/,
        );
        await expect(
          repository.profiles.get({ kind: 'route', route: '' as RouteName }),
        ).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        const badBin = { ...profile(link, 60), bins: [{ ...profile(link, 60).bins[0]!, dayOfWeek: 8 }] };
        await expect(repository.profiles.put(badBin)).rejects.toThrow(/bins\[0\]\.dayOfWeek/);
        expect(await repository.profiles.get(link)).toBeUndefined();
      });
    });

    describe('alerts', () => {
      const A = detector('det-A');
      let serial = 0;
      const alert = (
        startSeconds: number,
        extra: Partial<Omit<Alert, 'id' | 'start'>> = {},
        id?: string,
      ): Alert => {
        const start = at(startSeconds, 123_456n);
        serial += 1;
        return {
          id: id ?? alertUlid(start, serial),
          kind: 'congestion',
          severity: 'warning',
          subject: { kind: 'link', source: detector('a'), destination: detector('b') },
          start,
          updated: start,
          evidence: 'a→b takes 2.6× its typical time',
          figures: { ratio_to_typical: 2.6 },
          ...extra,
        };
      };

      it('puts and gets alerts of every subject, and replaces one by id as it is updated and cleared', async () => {
        const raised = alert(60);
        const onRoute = alert(70, { subject: { kind: 'route', route: 'north' as RouteName }, figures: {} });
        const onDetector = alert(80, {
          kind: 'detector_silent',
          severity: 'critical',
          subject: { kind: 'detector', detectorId: A },
        });
        await repository.alerts.put([raised, onRoute, onDetector]);
        expect(await repository.alerts.get(raised.id)).toStrictEqual(raised);
        expect(await repository.alerts.get(onRoute.id)).toStrictEqual(onRoute);
        expect(await repository.alerts.get(onDetector.id)).toStrictEqual(onDetector);
        const worse = { ...raised, severity: 'critical' as const, updated: at(90) };
        await repository.alerts.put([worse]);
        const cleared = { ...worse, end: at(120), updated: at(120) };
        await repository.alerts.put([cleared]);
        expect(await repository.alerts.get(raised.id)).toStrictEqual(cleared);
        expect(await repository.alerts.list()).toHaveLength(3);
        expect(await repository.alerts.get(alertUlid(at(1), 999))).toBeUndefined();
      });

      it('lists newest start first, with a limit', async () => {
        const alerts = [30, 10, 50, 20, 40].map((second) => alert(second));
        await repository.alerts.put(alerts);
        const newest = [...alerts].sort((a, b) => (a.start < b.start ? 1 : -1));
        expect(await repository.alerts.list()).toEqual(newest);
        expect(await repository.alerts.list({ limit: 2 })).toEqual(newest.slice(0, 2));
        expect(await repository.alerts.list({ limit: 0 })).toEqual([]);
      });

      it('orders alerts that start within one millisecond by their exact start', async () => {
        const millisecond = at(60);
        // The later start gets the smaller ULID: key order alone would list it last.
        const earlier = { ...alert(60), start: millisecond + 1n, id: alertUlid(millisecond, 900) };
        const later = { ...alert(60), start: millisecond + 999_999n, id: alertUlid(millisecond, 100) };
        await repository.alerts.put([earlier, later, alert(30)]);
        expect((await repository.alerts.list()).map((one) => one.start)).toEqual([
          later.start,
          earlier.start,
          at(30, 123_456n),
        ]);
        expect(await repository.alerts.list({ limit: 1 })).toEqual([later]);
      });

      it('filters by kinds, least severity and whether still open', async () => {
        const congestion = alert(10, { severity: 'info' });
        const silent = alert(20, { kind: 'detector_silent', severity: 'critical' });
        const battery = alert(30, { kind: 'battery_low', severity: 'warning', end: at(40), updated: at(40) });
        await repository.alerts.put([congestion, silent, battery]);
        expect(await repository.alerts.list({ kinds: ['battery_low', 'congestion'] })).toEqual([
          battery,
          congestion,
        ]);
        expect(await repository.alerts.list({ kinds: [] })).toHaveLength(3);
        expect(await repository.alerts.list({ minSeverity: 'warning' })).toEqual([battery, silent]);
        expect(await repository.alerts.list({ minSeverity: 'critical' })).toEqual([silent]);
        expect(await repository.alerts.list({ openOnly: true })).toEqual([silent, congestion]);
        expect(await repository.alerts.list({ openOnly: true, minSeverity: 'warning', limit: 5 })).toEqual([
          silent,
        ]);
      });

      it('lists the alerts open at some time in a range', async () => {
        const endedEarly = alert(10, { end: at(20), updated: at(20) });
        const spanning = alert(15, { end: at(100), updated: at(100) });
        const stillOpen = alert(25);
        const startsLate = alert(60);
        await repository.alerts.put([endedEarly, spanning, stillOpen, startsLate]);
        const inRange = (after: number, before: number) =>
          repository.alerts.list({ range: { after: at(after), before: at(before) } });
        expect(await inRange(30, 50)).toEqual([stillOpen, spanning]);
        expect(await inRange(0, 11)).toEqual([endedEarly]);
        // An alert ended at `after` was not open in the range; one starting at `before` is not yet.
        expect(await inRange(20, 60)).toEqual([stillOpen, spanning]);
        expect(await inRange(61, 200)).toEqual([startsLate, stillOpen, spanning]);
        expect(await repository.alerts.list({ range: { after: at(101) } })).toEqual([startsLate, stillOpen]);
        expect(await inRange(30, 30)).toEqual([]);
      });

      it('follows alerts put after it started (raised, updated, cleared) until aborted', async () => {
        const before = alert(5);
        await repository.alerts.put([before]);
        const controller = new AbortController();
        const following = repository.alerts.follow(controller.signal)[Symbol.asyncIterator]();
        const raised = alert(10);
        const updated = { ...raised, severity: 'critical' as const, updated: at(20) };
        const cleared = { ...updated, end: at(30), updated: at(30) };
        for (const one of [raised, updated, cleared]) await repository.alerts.put([one]);
        expect(await take(following, 3)).toEqual([raised, updated, cleared]);
        controller.abort();
        expect(await following.next()).toEqual({ done: true, value: undefined });
      });

      it('refuses an id that is not an upper-case ULID of its start, and a bad query', async () => {
        const good = alert(10);
        for (const id of ['alert-1', good.id.toLowerCase(), 'a/b', alertUlid(at(11), 1)]) {
          await expect(repository.alerts.put([good, { ...good, id }])).rejects.toThrow(/alerts\[1\]\.id/);
        }
        await expect(
          repository.alerts.put([alert(10, { severity: 'dire' as never })]),
        ).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        await expect(repository.alerts.get('not-a-ulid')).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        await expect(repository.alerts.list({ kinds: ['fire' as never] })).rejects.toBeInstanceOf(
          StoreInvalidArgumentError,
        );
        await expect(repository.alerts.list({ minSeverity: 'dire' as never })).rejects.toBeInstanceOf(
          StoreInvalidArgumentError,
        );
        await expect(repository.alerts.list({ limit: -1 })).rejects.toBeInstanceOf(StoreInvalidArgumentError);
        expect(await repository.alerts.list()).toEqual([]);
      });
    });

    describe('detector health', () => {
      const health = (id: string, extra: Partial<DetectorHealth> = {}): DetectorHealth => ({
        detectorId: detector(id),
        checkedAt: at(600, 5n),
        problems: [],
        ...extra,
      });

      it('puts, replaces and lists health records ordered by detector id', async () => {
        const full = health('d-2', {
          lastSeen: at(590, 9_007_199_254_740_993n),
          problems: ['battery_low', 'clock_skew'],
          clockSkewSeconds: -12.5,
          batteryVoltsPerDay: -0.04,
        });
        await repository.detectorHealth.put([
          full,
          health('d-10'),
          health('d-1', { problems: ['detector_silent'] }),
        ]);
        await repository.detectorHealth.put([health('d-1', { lastSeen: at(599) })]);
        expect(await repository.detectorHealth.list()).toStrictEqual([
          health('d-1', { lastSeen: at(599) }),
          health('d-10'),
          full,
        ]);
      });

      it('refuses a record whose detector id cannot be a key, writing none of the batch', async () => {
        const bad = { ...health('d-1'), detectorId: 'd/1' as DetectorId };
        await expect(repository.detectorHealth.put([health('d-2'), bad])).rejects.toThrow(
          /health\[1\]\.detectorId/,
        );
        expect(await repository.detectorHealth.list()).toEqual([]);
      });
    });

    describe('recompute queue', () => {
      const D = detector('det-D');
      const S = detector('det-S');
      const BUCKET = 100n * NANOS_PER_SECOND;
      const bucketStart = (time: UnixNanos) => time - (time % BUCKET);
      const range = (
        from: number,
        to: number,
        extra: Partial<NewRecomputeRange> = {},
      ): NewRecomputeRange => ({
        destination: D,
        from: at(from),
        to: at(to),
        origin: 'request',
        id: 'r1',
        ...extra,
      });
      const withoutVersion = ({ version, ...rest }: RecomputeRange) => {
        expect(version).toMatch(/\S/);
        return rest;
      };

      it('marks each late detector bucket once, and nothing for fresh sightings', async () => {
        const now = BigInt(Date.now()) * NANOS_PER_MILLISECOND;
        await repository.events.append([
          sighting(D, 1, at(5)),
          sighting(D, 2, at(50)),
          sighting(D, 3, at(150)),
          sighting(S, 1, at(7)),
          sighting(S, 9, now),
        ]);
        const marks = await repository.recompute.lateSightings(10);
        expect(marks.map(({ detectorId, from, to }) => ({ detectorId, from, to }))).toEqual([
          { detectorId: D, from: bucketStart(at(5)), to: bucketStart(at(5)) + BUCKET },
          { detectorId: D, from: bucketStart(at(150)), to: bucketStart(at(150)) + BUCKET },
          { detectorId: S, from: bucketStart(at(7)), to: bucketStart(at(7)) + BUCKET },
        ]);
        expect(await repository.recompute.lateSightings(1)).toHaveLength(1);
        // The sightings are all stored, the fresh one included.
        expect(await list(repository, { detectorIds: [S] })).toHaveLength(2);
      });

      it('resolves a late mark into ranges, unless the bucket was marked again meanwhile', async () => {
        await repository.events.append([sighting(D, 1, at(5))]);
        const [mark] = await repository.recompute.lateSightings(10);
        await repository.events.append([sighting(D, 2, at(6))]);
        expect(await repository.recompute.resolveLateSightings(mark!, [range(0, 900)])).toBe(false);
        const [again] = await repository.recompute.lateSightings(10);
        expect(again!.version).not.toBe(mark!.version);
        expect(await repository.recompute.resolveLateSightings(again!, [range(0, 900)])).toBe(true);
        expect(await repository.recompute.lateSightings(10)).toEqual([]);
        expect((await repository.recompute.pending(D)).map(withoutVersion)).toEqual([
          { ...range(0, 900), doneBefore: at(0) },
        ]);
      });

      it('lists ranges by destination and from, and advances and completes them', async () => {
        const other = detector('det-O');
        await repository.recompute.add([
          range(600, 900, { id: 'late', origin: 'backlog' }),
          range(0, 300, { sources: [S] }),
          range(0, 300, { destination: other }),
        ]);
        const ofD = await repository.recompute.pending(D);
        expect(ofD.map(withoutVersion)).toEqual([
          { ...range(0, 300, { sources: [S] }), doneBefore: at(0) },
          { ...range(600, 900, { id: 'late', origin: 'backlog' }), doneBefore: at(600) },
        ]);
        expect((await repository.recompute.pending()).map((pending) => pending.destination)).toEqual([
          D,
          D,
          other,
        ]);

        const advanced = await repository.recompute.advance(ofD[0]!, at(120));
        expect(advanced?.doneBefore).toBe(at(120));
        expect(await repository.recompute.advance(ofD[0]!, at(180))).toBeUndefined();
        expect(await repository.recompute.complete(ofD[0]!)).toBe(false);
        expect((await repository.recompute.pending(D))[0]).toEqual(advanced);
        expect(await repository.recompute.complete(advanced!)).toBe(true);
        expect((await repository.recompute.pending(D)).map((pending) => pending.id)).toEqual(['late']);
      });

      it('starts a range over when the same range is added again while in progress', async () => {
        await repository.recompute.add([range(0, 600)]);
        const [first] = await repository.recompute.pending(D);
        const advanced = await repository.recompute.advance(first!, at(300));
        await repository.recompute.add([range(0, 600)]);
        expect(await repository.recompute.complete(advanced!)).toBe(false);
        const [restarted] = await repository.recompute.pending(D);
        expect(restarted?.doneBefore).toBe(at(0));
      });

      it('refuses a range that ends before it starts, or an id that is no key segment', async () => {
        await expect(repository.recompute.add([range(300, 300)])).rejects.toThrow(StoreInvalidArgumentError);
        await expect(repository.recompute.add([range(0, 300, { id: 'a/b' })])).rejects.toThrow(
          /ranges\[0\]\.id/,
        );
        expect(await repository.recompute.pending()).toEqual([]);
      });

      it('keeps pending ranges and late marks across close and reopen', async () => {
        await repository.events.append([sighting(D, 1, at(5))]);
        await repository.recompute.add([range(0, 300)]);
        const reopened = await reopen();
        expect(await reopened.recompute.lateSightings(10)).toHaveLength(1);
        expect(await reopened.recompute.pending(D)).toHaveLength(1);
      });
    });

    describe('persistence and health', () => {
      it('keeps every kind of record across close and reopen', async () => {
        const A = detector('det-A');
        const sightings = [sighting(A, 1, at(1)), sighting(A, 2, at(2, 9n))];
        const link: DetectorLink = { destination: A, source: detector('det-B'), maxSeconds: 600 };
        const status: DetectorStatus = {
          detectorId: A,
          time: at(3),
          batteryVoltage: 12.5,
          activeRadios: ['mobile'],
          detectionCounts: { mobile: 3n },
        };
        const travelTime: TravelTimeEstimate = {
          source: detector('det-B'),
          destination: A,
          intervalEnd: at(300),
          windowSeconds: 300,
          validSamples: 0,
          totalSamples: 0,
          status: 'stale',
        };
        await repository.events.append(sightings);
        await repository.links.put(link);
        await repository.detectors.putCoordinates({
          detectorId: A,
          coordinates: { latitude: 1, longitude: 2 },
        });
        await repository.detectors.appendStatus(status);
        await repository.travelTimes.put([travelTime]);

        const reopened = await reopen();
        expect(await list(reopened, { detectorIds: [A], order: 'oldest_first' })).toEqual(sightings);
        expect(await reopened.links.list()).toEqual([link]);
        expect(await reopened.detectors.getCoordinates(A)).toEqual({ latitude: 1, longitude: 2 });
        expect(await reopened.detectors.listStatus({ detectorId: A })).toEqual([status]);
        expect(await reopened.travelTimes.latest()).toEqual([travelTime]);
      });

      it('keeps routes, route estimates, profiles, alerts and health across close and reopen', async () => {
        const [a, b] = [detector('det-A'), detector('det-B')];
        const name = 'north' as RouteName;
        const routeEstimate: TravelTimeEstimate = {
          source: a,
          destination: b,
          intervalEnd: at(300),
          windowSeconds: 300,
          validSamples: 0,
          totalSamples: 0,
          status: 'stale',
          route: name,
          routeMethod: 'sum_of_links',
        };
        const profile: TypicalProfile = {
          target: { kind: 'route', route: name },
          computedAt: at(400),
          weeks: 1,
          binMinutes: 60,
          timeZone: 'UTC',
          bins: [],
        };
        const raised: Alert = {
          id: alertUlid(at(10), 1),
          kind: 'never_matches',
          severity: 'info',
          subject: { kind: 'detector', detectorId: a },
          start: at(10),
          updated: at(10),
          evidence: 'no trip ever matched',
          figures: {},
        };
        const health: DetectorHealth = { detectorId: a, checkedAt: at(500), problems: ['never_matches'] };
        await repository.routes.put({ name, detectorIds: [a, b] });
        await repository.routeTravelTimes.put([routeEstimate]);
        await repository.profiles.put(profile);
        await repository.alerts.put([raised]);
        await repository.detectorHealth.put([health]);

        const reopened = await reopen();
        expect(await reopened.routes.list()).toEqual([{ name, detectorIds: [a, b] }]);
        expect(await reopened.routeTravelTimes.latest()).toEqual([routeEstimate]);
        expect(await reopened.profiles.get(profile.target)).toEqual(profile);
        expect(await reopened.alerts.list()).toEqual([raised]);
        expect(await reopened.detectorHealth.list()).toEqual([health]);
      });

      it('reports the store reachable', async () => {
        expect(await repository.health()).toEqual({ reachable: true });
      });
    });
  });
}

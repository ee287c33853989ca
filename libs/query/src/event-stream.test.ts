import { status } from '@grpc/grpc-js';
import type { EventRepository } from '@message-bus/repository';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BASE_TIME,
  countingFollows,
  detector,
  queryCalls,
  sighting,
  startQueryServer,
  storeCases,
  StreamReader,
  timestamp,
  withEvents,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';

const SECOND = 1_000_000_000n;
const at = (seconds: bigint, nanos = 0n) => BASE_TIME + seconds * SECOND + nanos;
const event = (detectorId: string, deviceId: string, time: bigint): query.DetectionEvent => ({
  detectorId,
  deviceId,
  time: [timestamp(time)],
});

describe.each(storeCases)('StreamEvents over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let counted: ReturnType<typeof countingFollows>;
  let server: QueryServer;

  beforeAll(async () => {
    store = await storeCase.open();
    counted = countingFollows(store.repository);
    server = await startQueryServer(counted.repository);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  const stream = (request: query.DeepPartial<query.GetEventsRequest>) =>
    new StreamReader(server.client.streamEvents(query.GetEventsRequest.fromPartial(request)));

  it('with before set, replays each detector’s newest `limit` oldest first across detectors, then ends', async () => {
    const a = detector('replay-a');
    const b = detector('replay-b');
    await store.repository.events.append([
      ...[1n, 3n, 5n, 7n].map((s) => sighting(a, 'device-a', at(s))),
      ...[2n, 4n, 6n].map((s) => sighting(b, 'device-b', at(s))),
      sighting(a, 'device-a', at(9n)),
    ]);

    const reader = stream({ detectorIds: [a, b], limit: 2n, range: { before: timestamp(at(9n)) } });

    expect(await reader.ended).toBeUndefined();
    expect(reader.received).toEqual([
      event(b, 'device-b', at(4n)),
      event(a, 'device-a', at(5n)),
      event(b, 'device-b', at(6n)),
      event(a, 'device-a', at(7n)),
    ]);
    expect(counted.activeFollows()).toBe(0);
  });

  it('replays exactly the sightings GetEvents returns when the limit cuts between sightings of one instant', async () => {
    const a = detector('tie');
    await store.repository.events.append([
      sighting(a, 'device-old', at(1n)),
      ...['device-x', 'device-y', 'device-z'].map((device) => sighting(a, device, at(2n, 5n))),
      sighting(a, 'device-new', at(3n)),
    ]);
    const calls = queryCalls(server.client);
    const request = { detectorIds: [a], limit: 3n, range: { before: timestamp(at(4n)) } };
    const returned = (await calls.getEvents(request)).events.map((group) => group.deviceId);

    const reader = stream(request);
    await reader.ended;

    expect(returned).toHaveLength(3);
    expect(reader.received.map((received) => received.deviceId)).toEqual([...returned].reverse());
    expect(reader.received.at(-1)).toEqual(event(a, 'device-new', at(3n)));
  });

  it('refuses a live replay of more than maxSightingsPerLiveReplay before sending anything, and not one with before', async () => {
    const [a, b] = [detector('live-most-a'), detector('live-most-b')];
    await store.repository.events.append([
      ...[1n, 2n].map((s) => sighting(a, 'device-a', at(s))),
      ...[3n, 4n].map((s) => sighting(b, 'device-b', at(s))),
    ]);
    const capped = await startQueryServer(counted.repository, { maxSightingsPerLiveReplay: 3 });
    try {
      const cappedStream = (request: query.DeepPartial<query.GetEventsRequest>) =>
        new StreamReader(capped.client.streamEvents(query.GetEventsRequest.fromPartial(request)));
      const refused = cappedStream({ detectorIds: [a, b] });
      const error = await refused.ended;
      expect({ code: error?.code, details: error?.details }).toEqual({
        code: status.INVALID_ARGUMENT,
        details:
          'limit: selects 4 sightings to replay, more than the 3 a live StreamEvents remembers to drop repeats; ' +
          'lower limit or narrow range or detector_ids, or set range.before to replay any amount and follow ' +
          'from there in a second call',
      });
      expect(refused.received).toEqual([]);
      await vi.waitFor(() => expect(counted.activeFollows()).toBe(0), { timeout: 10_000, interval: 20 });

      const bounded = cappedStream({ detectorIds: [a, b], range: { before: timestamp(at(5n)) } });
      expect(await bounded.ended).toBeUndefined();
      expect(bounded.received).toHaveLength(4);

      const atTheCap = cappedStream({ detectorIds: [a, b], limit: 1n });
      await atTheCap.waitForCount(2);
      expect(atTheCap.received).toEqual([event(a, 'device-a', at(2n)), event(b, 'device-b', at(4n))]);
      atTheCap.call.cancel();
    } finally {
      await capped.stop();
    }
  });

  it('follows live sightings after the replay, in range and of the asked detectors only, until the client cancels', async () => {
    const a = detector('live-a');
    const other = detector('live-other');
    await store.repository.events.append([sighting(a, 'device-1', at(1n)), sighting(a, 'device-2', at(2n))]);

    const reader = stream({ detectorIds: [a], range: { after: timestamp(at(1n, 1n)) } });
    expect(await reader.waitForCount(1)).toEqual([event(a, 'device-2', at(2n))]);
    expect(counted.activeFollows()).toBe(1);

    await store.repository.events.append([sighting(a, 'device-3', at(10n))]);
    await store.repository.events.append([
      sighting(other, 'device-3', at(11n)), // another detector
      sighting(a, 'device-4', at(1n)), // before `after`
      sighting(a, 'device-2', at(2n)), // already replayed, written again
    ]);
    await store.repository.events.append([sighting(a, 'device-5', at(12n))]);

    await reader.waitForCount(3);
    expect(reader.received).toEqual([
      event(a, 'device-2', at(2n)),
      event(a, 'device-3', at(10n)),
      event(a, 'device-5', at(12n)),
    ]);

    reader.call.cancel();
    await vi.waitFor(() => expect(counted.activeFollows()).toBe(0), { timeout: 10_000, interval: 20 });
  });

  it('delivers a sighting written while the replay reads exactly once', async () => {
    const a = detector('during-replay');
    const duringReplay = sighting(a, 'device-late', at(20n));
    let written = false;
    // The store itself, with one append slipped in just before the replay's oldest-first read.
    const events: EventRepository = {
      append: (sightings) => store.repository.events.append(sightings),
      follow: (detectorIds, signal) => store.repository.events.follow(detectorIds, signal),
      listPages: (eventQuery) => store.repository.events.listPages(eventQuery),
      list: (eventQuery) => {
        if (eventQuery.order !== 'oldest_first' || written) return store.repository.events.list(eventQuery);
        written = true;
        return (async function* appendThenList() {
          await store.repository.events.append([duringReplay]);
          yield* store.repository.events.list(eventQuery);
        })();
      },
    };
    const racing = await startQueryServer(withEvents(store.repository, events));
    try {
      await store.repository.events.append([sighting(a, 'device-1', at(1n))]);
      const reader = new StreamReader(
        racing.client.streamEvents(query.GetEventsRequest.fromPartial({ detectorIds: [a] })),
      );
      await reader.waitForCount(2);
      await store.repository.events.append([sighting(a, 'device-after', at(21n))]);
      await reader.waitForCount(3);

      expect(written).toBe(true);
      expect(reader.received).toEqual([
        event(a, 'device-1', at(1n)),
        event(a, 'device-late', at(20n)),
        event(a, 'device-after', at(21n)),
      ]);
      reader.call.cancel();
    } finally {
      await racing.stop();
    }
  });
});

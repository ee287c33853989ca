import { status } from '@grpc/grpc-js';
import type { TravelTimeEstimate } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  allLinks,
  BASE_TIME,
  countingTravelTimeFollows,
  detector,
  estimate,
  estimateOnWire,
  intoDestination,
  oneLink,
  startQueryServer,
  storeCases,
  StreamReader,
  type OpenStore,
  type QueryServer,
} from '../test/query-harness';

const MINUTE = 60_000_000_000n;
const minute = (n: number) => BASE_TIME + BigInt(n) * MINUTE;
const onWire = (estimates: readonly TravelTimeEstimate[]) => estimates.map(estimateOnWire);

describe.each(storeCases)('StreamTravelTimes over gRPC on the $name', (storeCase) => {
  let store: OpenStore;
  let counted: ReturnType<typeof countingTravelTimeFollows>;
  let server: QueryServer;

  beforeAll(async () => {
    store = await storeCase.open();
    counted = countingTravelTimeFollows(store.repository);
    server = await startQueryServer(counted.repository);
  });
  afterAll(async () => {
    await server.stop();
    await store.close();
  });

  /** Opens a stream and waits until the server follows the store, so later puts must arrive. */
  const following = async (links: query.DeepPartial<query.LinkSelector>) => {
    const before = counted.activeFollows();
    const reader = new StreamReader(
      server.client.streamTravelTimes(query.StreamTravelTimesRequest.fromPartial({ links })),
    );
    await vi.waitFor(() => expect(counted.activeFollows()).toBe(before + 1), {
      timeout: 10_000,
      interval: 20,
    });
    return reader;
  };
  const put = (...estimates: TravelTimeEstimate[]) => store.repository.travelTimes.put(estimates);

  it('sends the link’s estimates put after the call, none from before, a rewrite again, until the client cancels', async () => {
    const [source, destination, other] = [detector('s'), detector('d'), detector('other')];
    await put(estimate(source, destination, minute(1)));

    const reader = await following(oneLink(source, destination));
    const second = estimate(source, destination, minute(2));
    const rewritten = { ...second, medianSeconds: 140, validSamples: 8 };
    const third = estimate(source, destination, minute(3), {
      status: 'insufficient_data',
      medianSeconds: undefined,
    });
    await put(second);
    await put(estimate(other, destination, minute(2))); // another link into the same destination
    await put(estimate(source, other, minute(2))); // another link from the same source
    await put(rewritten);
    await put(third);

    expect(await reader.waitForCount(3)).toEqual(onWire([second, rewritten, third]));
    reader.call.cancel();
    const ended = await reader.ended;
    expect(ended?.code).toBe(status.CANCELLED);
    await vi.waitFor(() => expect(counted.activeFollows()).toBe(0), { timeout: 10_000, interval: 20 });
    expect(reader.received).toHaveLength(3);
  });

  it('filters by selector: every link, every link into a destination (listed or not), one link', async () => {
    const [d1, d2, s1, s2] = [detector('d1'), detector('d2'), detector('s1'), detector('s2')];
    const all = await following(allLinks);
    const intoD1 = await following(intoDestination(d1));
    const one = await following(oneLink(s2, d2));

    const [s1d1, s1d2, s2d1, s2d2] = [
      estimate(s1, d1, minute(1)),
      estimate(s1, d2, minute(1)),
      estimate(s2, d1, minute(1), { status: 'stale' }),
      estimate(s2, d2, minute(1), { speedKmh: undefined }),
    ];
    // Each stream's last estimate comes last in commit order, so when it has arrived,
    // anything else the stream would (wrongly) get has arrived too.
    const [lastIntoD1, lastOfOne] = [estimate(s2, d1, minute(2)), estimate(s2, d2, minute(2))];
    const putInOrder = [s1d1, s1d2, s2d1, s2d2, lastIntoD1, lastOfOne];
    for (const each of putInOrder) await put(each);

    expect(await all.waitForCount(6)).toEqual(onWire(putInOrder));
    expect(await intoD1.waitForCount(3)).toEqual(onWire([s1d1, s2d1, lastIntoD1]));
    expect(await one.waitForCount(2)).toEqual(onWire([s2d2, lastOfOne]));

    for (const reader of [all, intoD1, one]) reader.call.cancel();
    await vi.waitFor(() => expect(counted.activeFollows()).toBe(0), { timeout: 10_000, interval: 20 });
  });
});

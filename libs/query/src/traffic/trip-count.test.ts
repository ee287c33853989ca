import { originDestination, type DetectorId, type Sighting } from '@message-bus/domain';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BASE_TIME, detector, storeCases, type OpenStore } from '../../test/query-harness';
import { eventLoopTurns, NO_EVENTS, PAGE, PagedEvents } from '../../test/paged-events';
import { countTrips } from './trip-count';

const SECOND = 1_000_000_000n;
const [embedded] = storeCases;

/**
 * Sightings of `devices` devices, each passing a few of `detectors` a minute or so apart
 * and some coming back after hours: thousands per detector, so each is read over several
 * store pages. Deterministic (a Lehmer sequence).
 */
function traffic(detectors: readonly DetectorId[], devices: number): Sighting[] {
  let state = 12_345;
  const next = (below: number) => {
    state = (state * 48_271) % 2_147_483_647;
    return state % below;
  };
  const sightings: Sighting[] = [];
  for (let device = 0; device < devices; device += 1) {
    let seconds = next(6 * 3600);
    for (let trip = 0; trip < 1 + next(3); trip += 1) {
      for (let stop = 0; stop < 1 + next(4); stop += 1) {
        const detectorId = detectors[next(detectors.length)]!;
        sightings.push({
          detectorId,
          deviceId: `device-${device}`,
          time: BASE_TIME + BigInt(seconds) * SECOND,
        });
        seconds += 30 + next(300);
      }
      seconds += 3600 + next(7200);
    }
  }
  return sightings;
}

describe('countTrips', () => {
  let store: OpenStore;
  beforeAll(async () => {
    store = await embedded!.open();
  });
  afterAll(() => store.close());

  it('merges each detector’s pages by time into the same matrix as the domain over all sightings', async () => {
    const detectors = ['m1', 'm2', 'm3', 'm4'].map(detector);
    const sightings = traffic(detectors, 4_000);
    await store.repository.events.append(sightings);
    const perDetector = Math.min(
      ...detectors.map((id) => sightings.filter((each) => each.detectorId === id).length),
    );
    expect(perDetector).toBeGreaterThan(2 * PAGE);
    const range = { after: BASE_TIME, before: BASE_TIME + 24n * 3600n * SECOND };

    const matrix = await countTrips(
      store.repository.events,
      { detectorIds: detectors, range, tripGapSeconds: 1800 },
      Infinity,
    );

    expect(matrix).toEqual(originDestination(sightings, detectors, 1800));
    expect(matrix.cells.length).toBe(16);
  });

  it('stops reading within a page when the signal aborts, and rejects with its reason', async () => {
    const endless = detector('endless');
    // Far more than the scan gets through before the abort (oldest first needs a finite count).
    const events = new PagedEvents(endless, 100_000_000, NO_EVENTS);
    const aborting = new AbortController();
    const counting = countTrips(
      events,
      {
        detectorIds: [endless, detector('quiet')],
        range: { after: 0n, before: BASE_TIME },
        tripGapSeconds: 60,
      },
      Infinity,
      aborting.signal,
    );
    counting.catch(() => undefined); // awaited below
    await vi.waitFor(() => expect(events.read()).toBeGreaterThanOrEqual(3 * PAGE), { interval: 1 });

    aborting.abort(new Error('client cancelled'));
    const readAtAbort = events.read();
    await eventLoopTurns(50);

    expect(events.read() - readAtAbort).toBeLessThanOrEqual(PAGE);
    await expect(counting).rejects.toThrow('client cancelled');
  });
});

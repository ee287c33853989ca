import { describe, expect, it } from 'vitest';
import type { DetectorId } from '../ids/detector-id';
import type { Sighting } from '../sighting';
import { DEFAULT_TRIP_GAP_SECONDS, originDestination, TripCounter } from './origin-destination';

const [A, B, C] = ['A', 'B', 'C'] as DetectorId[] as [DetectorId, DetectorId, DetectorId];
const T0 = 1_700_000_000_000_000_000n;
const at = (seconds: number) => T0 + BigInt(seconds) * 1_000_000_000n;
const seen = (
  detectorId: DetectorId,
  deviceId: string,
  seconds: number,
  previousDeviceId?: string,
): Sighting => ({
  detectorId,
  deviceId,
  time: at(seconds),
  ...(previousDeviceId === undefined ? {} : { previousDeviceId }),
});

describe('originDestination', () => {
  it('counts each trip once from its first detector to its last, with the median duration', () => {
    const matrix = originDestination(
      [
        // d1: A at 0, B at 100, C at 300: one trip A → C of 300 s.
        seen(C, 'd1', 300),
        seen(A, 'd1', 0),
        seen(B, 'd1', 100),
        // d2 and d3: A → B in 120 s and 200 s, d3 seen twice at A first.
        seen(A, 'd2', 10),
        seen(B, 'd2', 130),
        seen(A, 'd3', 20),
        seen(A, 'd3', 25),
        seen(B, 'd3', 220),
        // d4: B → A in 60 s.
        seen(B, 'd4', 0),
        seen(A, 'd4', 60),
        // d5: only at C, three times: one single-detector trip.
        seen(C, 'd5', 0),
        seen(C, 'd5', 30),
        seen(C, 'd5', 90),
      ],
      [A, B, C],
    );
    expect(matrix).toEqual({
      cells: [
        { origin: A, destination: B, trips: 2, medianSeconds: 160 },
        { origin: A, destination: C, trips: 1, medianSeconds: 300 },
        { origin: B, destination: A, trips: 1, medianSeconds: 60 },
      ],
      singleDetectorTrips: 1,
    });
  });

  it('orders cells by the detectors as given, and counts a round trip as origin to itself', () => {
    const matrix = originDestination(
      [seen(A, 'd1', 0), seen(B, 'd1', 50), seen(A, 'd1', 110), seen(C, 'd2', 0), seen(A, 'd2', 40)],
      [C, B, A],
    );
    expect(matrix.cells).toEqual([
      { origin: C, destination: A, trips: 1, medianSeconds: 40 },
      { origin: A, destination: A, trips: 1, medianSeconds: 110 },
    ]);
    expect(matrix.singleDetectorTrips).toBe(0);
  });

  it('ends a trip when the device is unseen for longer than the gap, not at exactly the gap', () => {
    const sightings = [
      seen(A, 'd1', 0),
      seen(B, 'd1', 600), // exactly the gap: the same trip, A → B
      seen(B, 'd1', 1201), // 601 s later: a new trip
      seen(C, 'd1', 1500),
      seen(A, 'd1', 3000), // a third trip, single-detector
    ];
    expect(originDestination(sightings, [A, B, C], 600)).toEqual({
      cells: [
        { origin: A, destination: B, trips: 1, medianSeconds: 600 },
        { origin: B, destination: C, trips: 1, medianSeconds: 299 },
      ],
      singleDetectorTrips: 1,
    });
    // The default gap, an hour, makes it one trip A → A.
    expect(DEFAULT_TRIP_GAP_SECONDS).toBe(3600);
    expect(originDestination(sightings, [A, B, C])).toEqual({
      cells: [{ origin: A, destination: A, trips: 1, medianSeconds: 3000 }],
      singleDetectorTrips: 0,
    });
  });

  it('takes the median of an even count as the midpoint, in fractional seconds', () => {
    const matrix = originDestination(
      [
        { detectorId: A, deviceId: 'd1', time: at(0) },
        { detectorId: B, deviceId: 'd1', time: at(10) + 500_000_000n },
        { detectorId: A, deviceId: 'd2', time: at(0) },
        { detectorId: B, deviceId: 'd2', time: at(20) },
      ],
      [A, B],
    );
    expect(matrix.cells).toEqual([{ origin: A, destination: B, trips: 2, medianSeconds: 15.25 }]);
  });

  it('continues a trip across a pseudonym rotation through the previous pseudonym', () => {
    const matrix = originDestination(
      [seen(A, 'old', 0), seen(B, 'new', 100, 'old'), seen(C, 'new', 250)],
      [A, B, C],
    );
    expect(matrix).toEqual({
      cells: [{ origin: A, destination: C, trips: 1, medianSeconds: 250 }],
      singleDetectorTrips: 0,
    });
  });

  it('answers no sightings with nothing', () => {
    expect(originDestination([], [A, B])).toEqual({ cells: [], singleDetectorTrips: 0 });
  });
});

describe('TripCounter', () => {
  it('refuses sightings out of time order, at other detectors, and a gap that is not positive', () => {
    const counter = new TripCounter([A, B]);
    counter.add(seen(A, 'd1', 10));
    expect(() => counter.add(seen(B, 'd1', 9))).toThrow(
      new RangeError('sightings must come in time order: this one is earlier than the one before'),
    );
    expect(() => counter.add(seen(C, 'd1', 20))).toThrow(
      new RangeError('sighting at "C", which is not one of the counted detectors'),
    );
    expect(() => new TripCounter([A], 0)).toThrow(
      new RangeError('tripGapSeconds must be a finite number > 0, got 0'),
    );
  });

  it('closes trips as time passes, so only devices seen within the gap stay open', () => {
    const counter = new TripCounter([A, B], 60);
    counter.add(seen(A, 'd1', 0));
    counter.add(seen(B, 'd1', 30));
    counter.add(seen(A, 'd2', 200)); // d1 closed by now
    counter.add(seen(A, 'd1', 210)); // a new trip of d1
    expect(counter.matrix()).toEqual({
      cells: [{ origin: A, destination: B, trips: 1, medianSeconds: 30 }],
      singleDetectorTrips: 2,
    });
  });
});

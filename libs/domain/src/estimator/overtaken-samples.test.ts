import { describe, expect, it } from 'vitest';
import { at } from '../../test/synthetic-traffic';
import type { TravelSample } from './pass-matching';
import { withoutOvertakenSamples } from './overtaken-samples';

/** A sample that left at `departure` and took `travel` seconds. */
function sample(deviceId: string, departure: number, travel: number): TravelSample {
  return {
    deviceId,
    sourceTime: at(departure),
    destinationTime: at(departure + travel),
    travelSeconds: travel,
  };
}

const ids = (samples: readonly TravelSample[]) => samples.map((kept) => kept.deviceId);

describe('withoutOvertakenSamples', () => {
  it('drops a trip that a vehicle leaving later overtook (a stop), keeping the others', () => {
    // "stop" leaves at 0 and takes 900 s; "b" leaves at 300 s and arrives at 600 s, 300 s before it.
    const samples = [sample('a', 100, 300), sample('b', 300, 300), sample('stop', 0, 900), sample('c', 700, 300)];
    expect(ids(withoutOvertakenSamples(samples))).toEqual(['a', 'b', 'c']);
  });

  it('keeps a jam’s slow trips: queued traffic keeps its order', () => {
    // Departures a minute apart; from 600 s on each takes 600 s instead of 300 s.
    const samples = [0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 660, 720].map((departure) =>
      sample(`d${departure}`, departure, departure < 600 ? 300 : 600),
    );
    expect(ids(withoutOvertakenSamples(samples))).toEqual(ids(samples));
  });

  it('keeps ordinary spread: overtaking by less than a fifth of the trip (and 10 s) is not a stop', () => {
    // "b" leaves 50 s after "a" and arrives 50 s before it: within 20 % of a's 300 s, kept;
    // "d" overtakes "c" by 70 s each way, beyond 20 % of c's 340 s (68 s): c is dropped.
    const kept = [sample('b', 50, 200), sample('a', 0, 300)];
    expect(ids(withoutOvertakenSamples(kept))).toEqual(['b', 'a']);
    const dropped = [sample('d', 1070, 200), sample('c', 1000, 340)];
    expect(ids(withoutOvertakenSamples(dropped))).toEqual(['d']);
    // On a short link the 10 s floor holds: 8 s either way on a 30 s trip is noise.
    expect(ids(withoutOvertakenSamples([sample('f', 508, 14), sample('e', 500, 30)]))).toEqual(['f', 'e']);
  });

  it('gives nothing for nothing', () => {
    expect(withoutOvertakenSamples([])).toEqual([]);
  });
});
